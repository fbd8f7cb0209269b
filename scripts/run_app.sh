#!/usr/bin/env bash
# Install everything the app needs into .venv and start it on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
exec .venv/bin/streamlit run Home.py "$@"
