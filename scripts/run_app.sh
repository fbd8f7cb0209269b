#!/usr/bin/env bash
# Install everything the app needs into .venv and serve it on http://localhost:8501.
# Extra arguments go to `streamlit run`, e.g. `bash scripts/run_app.sh --server.port 8600`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/python -m explorer serve "$@"
