#!/usr/bin/env bash
# Installs what the demo and the tests need, when it is missing: Debian packages (as root, with
# apt-get) and the npm dependencies (npm ci). Safe to run again; does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker-registry docker.io skopeo podman buildah gnome-keyring dbus dbus-x11 libsecret-tools
  golang-docker-credential-helpers hyperfine apache2-utils jq openssl uidmap chromium iproute2 zsh fish strace)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# npm ci when node_modules is missing or older than the lock file. Never through a symlink (a
# worktree sharing another checkout's install): npm ci would empty the folder it points to.
if [ -L node_modules ]; then
  [ -x node_modules/.bin/node ] || { echo "node_modules links to a folder without an install: run npm ci there" >&2; exit 1; }
elif [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
