#!/usr/bin/env bash
# Install everything (venv, Python packages, Debian's Chromium and nginx for the browser and balancer tests),
# then run ruff and the whole test suite. Fails loudly on the first error.
# Extra arguments go to pytest, e.g. `bash scripts/run_tests.sh -k stages`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    as_root="none"
  fi
  if [ "$as_root" = none ]; then
    echo "==> no root and no passwordless sudo: Debian's chromium and nginx cannot be installed here, so the" \
      "browser and balancer tests will be skipped (install the chromium and nginx packages to run them)"
  else
    echo "==> installing Debian's chromium and nginx for the browser and balancer tests"
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium nginx
  fi
fi
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pytest"
# Three workers on two cores: the browser and replica tests (one worker each, --dist loadgroup) mostly wait for their
# servers, so they run beside the rest; every worker runs torch on one thread (tests/conftest.py).
exec .venv/bin/python -m pytest -ra -n "${TEST_WORKERS:-3}" --dist loadgroup "$@"
