#!/bin/sh
# Installs docker-credential-eidf for the current user from this checkout:
#   ./install.sh [--prefix DIR] [--no-setup]     copy the single executable into DIR (default
#                                                 ~/.local/bin; built with `npm run build:sea`), then
#                                                 wire it in with `docker-credential-eidf setup`
#   ./install.sh --from FILE [...]               the same with an executable built elsewhere
#   ./install.sh --script [...]                  link dist/docker-credential-eidf.cjs (run by this
#                                                 checkout's Node through its #! line) instead
#   ./install.sh --systemd [...]                 also run the agent as a systemd user service, so it
#                                                 keeps the registry secret alive from login on
#   ./install.sh --uninstall [--prefix DIR]      undo the wiring and the service, stop the agent,
#                                                 remove the helper
# It installs npm dependencies with `npm ci` when they are missing. Nothing runs as root.
set -eu

root=$(cd "$(dirname "$0")" && pwd)
prefix=${HOME:?HOME is not set}/.local/bin
setup=yes
action=install
binary=yes
systemd=no
from=
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --no-setup) setup=no; shift ;;
    --binary) binary=yes; shift ;;
    --script) binary=no; from=; shift ;;
    --from) [ $# -ge 2 ] || { echo "install.sh: --from needs a file" >&2; exit 2; }; binary=yes; from=$2; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    --systemd) systemd=yes; shift ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
link=$prefix/docker-credential-eidf
unit_dir=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user
unit=$unit_dir/docker-credential-eidf.service

if [ "$action" = uninstall ]; then
  if [ -f "$unit" ]; then
    if command -v systemctl >/dev/null 2>&1; then systemctl --user disable --now docker-credential-eidf.service >&2 || true; fi
    rm -f "$unit"
    echo "removed $unit" >&2
  fi
  if [ -x "$link" ]; then
    "$link" setup --undo || true
    "$link" daemon stop || true
  fi
  rm -f "$link"
  echo "removed $link" >&2
  exit 0
fi

# The single executable: the faster `get` (npm run bench compares the two shapes), and no checkout needed.
install_binary() {
  if [ -z "$from" ]; then
    from=$root/dist/sea/docker-credential-eidf
    # Build when there is no executable yet, or a source file is newer than it.
    if [ ! -x "$from" ] || [ -n "$(find "$root/src" "$root/scripts/build-sea.ts" -newer "$from" -print 2>/dev/null | head -n 1)" ]; then
      ensure_npm_deps
      echo "building the single executable (npm run build:sea)" >&2
      (cd "$root" && npm run --silent build:sea >&2)
    fi
  fi
  [ -f "$from" ] && [ -x "$from" ] || { echo "install.sh: $from is not an executable file" >&2; exit 2; }
  mkdir -p "$prefix"
  # Copy beside the target, then rename: replaces a link to a checkout (never writing through
  # it) and a running copy (the agent) alike.
  cp "$from" "$link.tmp.$$"
  chmod 0755 "$link.tmp.$$"
  mv -f "$link.tmp.$$" "$link"
  echo "copied $from to $link" >&2
}

# The bundled script: docker runs it with no shell in front (its #! line names this checkout's
# pinned Node). Built again each time, so the #! line follows the checkout wherever it is.
install_script() {
  ensure_npm_deps
  target=$root/dist/docker-credential-eidf.cjs
  case $root in
    *[[:space:]]*)
      # A #! line cannot name a path with white space in it: the sh launcher then.
      echo "note: $root has white space in its path, so the helper runs through bin/docker-credential-eidf (sh)" >&2
      target=$root/bin/docker-credential-eidf ;;
    *) (cd "$root" && npm run --silent build >&2) ;;
  esac
  mkdir -p "$prefix"
  ln -sf "$target" "$link"
  echo "linked $link -> $target" >&2
}

ensure_npm_deps() {
  if [ ! -x "$root/node_modules/node/bin/node" ]; then
    echo "installing npm dependencies (npm ci)" >&2
    (cd "$root" && npm ci --no-audit --no-fund >&2)
  fi
}

if [ "$binary" = yes ]; then install_binary; else install_script; fi
"$link" version >&2

case ":${PATH:-}:" in
  *":$prefix:"*) ;;
  *) echo "note: $prefix is not on PATH; docker finds helpers on PATH, so add it (e.g. in ~/.profile)" >&2 ;;
esac
if [ "$setup" = yes ]; then
  "$link" setup
  echo "next: docker-credential-eidf login" >&2
fi
if [ "$systemd" = yes ]; then
  mkdir -p "$unit_dir"
  # Settings come from the config file (~/.config/docker-credential-eidf/config.json), not from
  # a shell's environment, which a user service does not see.
  cat > "$unit" <<UNIT
[Unit]
Description=docker-credential-eidf agent: keeps the EIDF registry login and secret alive

[Service]
ExecStart=$link daemon run
# Two malloc arenas, as the agents the helper starts get: less resident memory for an idle agent.
Environment=MALLOC_ARENA_MAX=2
# Also after an upgrade: the agent exits 75 for a command of another version, to come back as the new one.
Restart=on-failure

[Install]
WantedBy=default.target
UNIT
  echo "wrote $unit" >&2
  if command -v systemctl >/dev/null 2>&1 && systemctl --user daemon-reload 2>/dev/null; then
    systemctl --user enable --now docker-credential-eidf.service >&2
  else
    echo "note: no systemd user manager here; start it later with: systemctl --user enable --now docker-credential-eidf.service" >&2
  fi
fi
