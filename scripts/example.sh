#!/usr/bin/env bash
# Set up a local virtual environment (if needed) and check the bundled spun article.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
bash scripts/install_neural.sh  # the accurate profile (SmolLM2); without it unspin uses the fast one
.venv/bin/unspin check examples/spun_article.txt "$@"
