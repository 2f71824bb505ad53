#!/usr/bin/env bash
# The main job: install, then grade the sample class end to end (nbgrader generate_assignment,
# autograde, generate_feedback, export, with the SQLite gradebook) and print the grade table.
# Extra arguments go to `python -m autograder demo` (e.g. --grader nbgrader).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg
exec python -m autograder demo "$@"
