#!/usr/bin/env bash
# Runs every test, on a fresh machine too: installs what is missing, then `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
npm test
