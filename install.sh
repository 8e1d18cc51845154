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
#   ./install.sh --uninstall [--purge] [--prefix DIR]
#                                                log out (revoked at the IdP), undo every wiring setup
#                                                 wrote, remove the service, the helper and the compile
#                                                 cache; --purge also the config, the log and the store
#                                                 (every keychain entry of the helper too)
# It installs npm dependencies with `npm ci` when they are missing. Nothing runs as root.
set -eu

root=$(cd "$(dirname "$0")" && pwd)
prefix=${HOME:?HOME is not set}/.local/bin
setup=yes
action=install
binary=yes
systemd=no
purge=no
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
    --purge) purge=yes; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
link=$prefix/docker-credential-eidf
unit_dir=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user
unit=$unit_dir/docker-credential-eidf.service

# The product's per-user folders, as src/config.ts names them (XDG values must be absolute there too).
xdg_dir() { # VALUE DEFAULT
  case ${1:-} in /*) echo "$1/docker-credential-eidf" ;; *) echo "$2/docker-credential-eidf" ;; esac
}

if [ -n "${EIDF_HOME:-}" ]; then
  config_dir=$EIDF_HOME data_dir=$EIDF_HOME state_dir=$EIDF_HOME cache_dir=$EIDF_HOME/compile-cache
  run_dir=$EIDF_HOME/run
else
  config_dir=$(xdg_dir "${XDG_CONFIG_HOME:-}" "$HOME/.config")
  data_dir=$(xdg_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")
  state_dir=$(xdg_dir "${XDG_STATE_HOME:-}" "$HOME/.local/state")
  cache_dir=$(xdg_dir "${XDG_CACHE_HOME:-}" "$HOME/.cache")
  case ${XDG_RUNTIME_DIR:-} in /*) run_dir=$XDG_RUNTIME_DIR/docker-credential-eidf ;; *) run_dir=/tmp/docker-credential-eidf-$(id -u) ;; esac
fi
# The folders install.sh made for the helper and the unit (with any parents it had to make), one
# per line: --uninstall removes those once empty, and never a folder that was there before (a
# ~/.local/bin that a login shell puts on PATH only when it exists).
made_dirs=$state_dir/install-made-folders

# mkdir -p DIR, recording in $made_dirs each folder it makes.
make_dir() {
  d=$1
  made=
  while [ ! -d "$d" ]; do
    made="$made$d
"
    d=$(dirname "$d")
  done
  [ -n "$made" ] || return 0
  mkdir -p "$1"
  (umask 077 && mkdir -p "$state_dir")
  printf '%s' "$made" | while IFS= read -r m; do
    grep -qxF -e "$m" "$made_dirs" 2>/dev/null || printf '%s\n' "$m" >>"$made_dirs"
  done
}

# Removes DIR and its parents while they are empty and install.sh made them (see make_dir).
remove_made_dirs() {
  d=$1
  while grep -qxF -e "$d" "$made_dirs" 2>/dev/null && rmdir "$d" 2>/dev/null; do
    d=$(dirname "$d")
  done
}

# Removes DIR and its parents while they are empty and inside HOME (never HOME itself).
remove_empty_dirs() {
  d=$1
  while case $d in "$HOME"/?*) true ;; *) false ;; esac && [ -d "$d" ] && rmdir "$d" 2>/dev/null; do
    d=$(dirname "$d")
  done
}

# Removes PATH (file, link or folder) when it exists, saying so in one line, then its parents
# while empty: those inside HOME for the product's own folders, only those install.sh made for the
# helper (PARENTS=made).
remove_path() { # PATH WHAT [PARENTS]
  if [ -e "$1" ] || [ -L "$1" ]; then
    rm -rf "$1"
    echo "removed $2 ($1)" >&2
    if [ "${3:-}" = made ]; then remove_made_dirs "$(dirname "$1")"; else remove_empty_dirs "$(dirname "$1")"; fi
  fi
}

# --uninstall: everything install.sh and the helper put in place, each removal said in one line.
uninstall() {
  if [ -x "$link" ]; then
    # While the helper is there: the wiring undone, then logged out (the refresh token revoked at the IdP).
    "$link" setup --undo --all >&2 || echo "note: setup --undo --all failed (see above); check Docker's config.json" >&2
    forget=
    [ "$purge" = yes ] && forget=--forget-all # the keychain's entries too: every secret the helper kept
    "$link" logout $forget >&2 || echo "note: logout failed (see above); the session may still be valid at the IdP" >&2
  fi
  if [ -f "$unit" ]; then
    if command -v systemctl >/dev/null 2>&1; then
      systemctl --user disable --now docker-credential-eidf.service >/dev/null 2>&1 || true
    fi
    rm -f "$unit"
    if command -v systemctl >/dev/null 2>&1; then systemctl --user daemon-reload >/dev/null 2>&1 || true; fi
    echo "removed the systemd user service ($unit)" >&2
    remove_made_dirs "$unit_dir"
  fi
  if [ -x "$link" ]; then
    "$link" daemon stop >/dev/null 2>&1 && echo "stopped the agent" >&2
  fi
  remove_path "$link" "the helper" made
  remove_path "$run_dir" "the agent's runtime folder"
  remove_path "$cache_dir" "the compile cache"
  if [ "$purge" = yes ]; then
    if [ -n "${EIDF_HOME:-}" ]; then
      remove_path "$EIDF_HOME" "the product's folder (config, log, store)"
    else
      remove_path "$config_dir" "the config"
      remove_path "$state_dir" "the agent log"
      remove_path "$data_dir" "the file store"
    fi
  fi
}

if [ "$action" = uninstall ]; then
  uninstall
  exit 0
fi
[ "$purge" = no ] || { echo "install.sh: --purge goes with --uninstall" >&2; exit 2; }

# The single executable: the faster `get` (npm run bench compares the two shapes), and no checkout needed.
install_binary() {
  if [ -z "$from" ]; then
    from=$root/dist/sea/docker-credential-eidf
    # Build when there is no executable yet, or a source file is newer than it.
    if [ ! -x "$from" ] || [ -n "$(find "$root/src" "$root/scripts/build-sea.ts" -newer "$from" -print 2>/dev/null | head -n 1)" ]; then
      ensure_npm_deps
      echo "building the single executable (scripts/build-sea.ts)" >&2
      # The pinned Node directly, not `npm run`: npm would leave its logs in the user's ~/.npm.
      (cd "$root" && "$root/node_modules/node/bin/node" scripts/build-sea.ts >&2)
    fi
  fi
  [ -f "$from" ] && [ -x "$from" ] || { echo "install.sh: $from is not an executable file" >&2; exit 2; }
  make_dir "$prefix"
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
    *) (cd "$root" && "$root/node_modules/node/bin/node" scripts/build.ts >&2) ;;
  esac
  make_dir "$prefix"
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
  make_dir "$unit_dir"
  # Settings come from the config file (~/.config/docker-credential-eidf/config.json), not from
  # a shell's environment, which a user service does not see.
  cat > "$unit" <<UNIT
[Unit]
Description=docker-credential-eidf agent: keeps the EIDF registry login and secret alive

[Service]
ExecStart=$link daemon run
# glibc's malloc settings of the agents the helper starts (src/platform/runtime.ts): less resident memory.
Environment=MALLOC_ARENA_MAX=2
Environment=MALLOC_MMAP_THRESHOLD_=4096
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
