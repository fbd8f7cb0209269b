#!/usr/bin/env bash
# Install everything (venv, Python packages, Debian's Chromium with a Chinese font, nginx and redis-server for the
# browser, balancer and class-store tests),
# then run ruff and the whole test suite. Fails loudly on the first error.
# Extra arguments go to pytest, e.g. `bash scripts/run_tests.sh -k stages`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
CHINESE_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc  # the pages in Chinese, in the browser tests' screenshots
if [ ! -x /usr/bin/chromium ] || [ ! -f "$CHINESE_FONT" ] || [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/redis-server ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=""
  elif sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    as_root="none"
  fi
  if [ "$as_root" = none ]; then
    echo "==> no root and no passwordless sudo: Debian's chromium, fonts-wqy-microhei, nginx and redis-server" \
      "cannot be installed" \
      "here, so the browser, balancer and Redis tests will be skipped (install those packages to run them)"
  else
    echo "==> installing Debian's chromium, fonts-wqy-microhei, nginx and redis-server for the browser, balancer and Redis tests"
    # another install holding dpkg's lock (a second clone's set-up, unattended upgrades) is waited for, not a failure
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q)
    $as_root "${apt[@]}" update
    $as_root "${apt[@]}" install -y chromium fonts-wqy-microhei nginx redis-server
  fi
fi
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> pytest"
# Three workers on two cores: the page-browser tests (one worker, one server), the replica test and the class test
# (one worker each: --dist loadgroup) mostly wait for their pages, so they run beside the rest and are handed out
# first; every worker runs torch on one thread (tests/conftest.py). Measured: four workers were slower.
exec .venv/bin/python -m pytest -ra -n "${TEST_WORKERS:-3}" --dist loadgroup "$@"
