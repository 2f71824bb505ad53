#!/usr/bin/env bash
# The test suite: install, then run pytest on tests/ (real nbgrader, kernels, torch, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg
exec python -m pytest "$@"
