#!/usr/bin/env bash
# Install everything (venv, Python packages, Debian's Chromium for the browser tests),
# then run ruff and the whole test suite. Fails loudly on the first error.
# Extra arguments go to pytest, e.g. `bash scripts/run_tests.sh -k stages`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    as_root="none"
  fi
  if [ "$as_root" = none ]; then
    echo "==> no root and no passwordless sudo: Debian's chromium cannot be installed here, so the browser tests" \
      "will be skipped (install the chromium package to run them)"
  else
    echo "==> installing Debian's chromium for the browser tests"
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  fi
fi
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pytest"
exec .venv/bin/python -m pytest -ra "$@"
