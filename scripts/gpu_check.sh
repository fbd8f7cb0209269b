#!/usr/bin/env bash
# The GPU check in one go (benchmarks/gpu_check.py): the tests parametrised over devices on the device, a device audit
# (fails if any multiply-add ran on another device), and the GPU benchmarks; one JSON file of figures and a table in
# artifacts/gpu-check/. On CUDA it stops after 8 minutes.
# Usage: bash scripts/gpu_check.sh [--device cuda|cpu] [--only STEP ...]      (default --device cuda)
#   It installs into .venv as scripts/setup.sh does (requirements-dev.txt). On a machine with its own torch and no
#   package index (a lent GPU machine), EXPLORER_PYTHON=python3 uses that interpreter instead; wheels of missing pure
#   Python packages in .whl/ are installed beside it first (pip --no-index --target).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${EXPLORER_PYTHON:-}" ]; then
  python="$EXPLORER_PYTHON"
  if compgen -G ".whl/*.whl" >/dev/null; then
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/explorer-site \
      .whl/*.whl
    export PYTHONPATH="/tmp/explorer-site${PYTHONPATH:+:$PYTHONPATH}"
  fi
else
  bash scripts/setup.sh requirements-dev.txt
  python=.venv/bin/python
fi
limit=0  # no limit on the CPU: the same check takes longer there
case " $* " in *" --device cpu "*|*" --device=cpu "*|*" --device mps "*|*" --device=mps "*) ;; *) limit=480 ;; esac
export PYTHONUNBUFFERED=1
if [ "$limit" -gt 0 ]; then
  exec timeout --signal=INT --kill-after=20 "$limit" "$python" benchmarks/gpu_check.py "$@"
fi
exec "$python" benchmarks/gpu_check.py "$@"
