#!/usr/bin/env bash
# Runs the demo, on a fresh machine too: installs what is missing, then `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
npm run --silent demo -- "$@"
