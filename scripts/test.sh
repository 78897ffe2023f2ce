#!/usr/bin/env bash
# test.sh: set up (Debian 12, as root), configure, build and run every test into build/.
# Exits non-zero on any failure, including a ctest run that found no test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-debian.sh
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || { echo "test.sh: runc is missing" >&2; exit 1; }

build=${JSHIM_BUILD_DIR:-build}
cmake -S . -B "$build"
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure --no-tests=error "$@"
