#!/usr/bin/env bash
# Installs what is missing, builds a release clustertop and starts it on this machine
# (no config, no ssh). Extra arguments go to clustertop: ./scripts/start.sh --headless
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/clustertop "$@"
