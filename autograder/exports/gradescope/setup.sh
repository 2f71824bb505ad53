#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image; the zip is unpacked
# in /autograder/source. It installs the kit's pinned Python packages into a venv outside
# /autograder (the student's code must be able to run Python, never to read /autograder), tries
# to install bubblewrap (the kit's sandbox), creates the unprivileged user that runs the student's
# code where bubblewrap cannot make namespaces, and grades the instructor's notebooks once.
set -euo pipefail
SOURCE=$(cd "$(dirname "$0")" && pwd)
VENV=${KIT_VENV:-/opt/kit-venv}
SANDBOX_USER=${KIT_SANDBOX_USER:-student}
TORCH_INDEX=${KIT_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
export DEBIAN_FRONTEND=noninteractive

echo "== system packages: bubblewrap (sandbox), util-linux (runuser)"
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates util-linux >/dev/null
apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null ||
  echo "warning: bubblewrap could not be installed: student code will run as '$SANDBOX_USER' (runuser)"

echo "== Python 3.11 (the kit's packages are pinned for it)"
py_ok() {
  command -v python3.11 >/dev/null &&
    python3.11 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info.releaselevel != "final")' 2>/dev/null
}
if ! py_ok; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null 2>&1 || true
fi
if ! py_ok; then   # Ubuntu 22.04 ships a release candidate, 24.04 none: the deadsnakes builds
  apt-get install -y -qq software-properties-common >/dev/null
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update -qq
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
fi
py_ok || { echo "error: no usable Python 3.11" >&2; exit 1; }

echo "== unprivileged user '$SANDBOX_USER' for the student's code"
id -u "$SANDBOX_USER" >/dev/null 2>&1 ||
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SANDBOX_USER"

echo "== the kit's pinned packages into $VENV (torch from the CPU index)"
python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r "$SOURCE/requirements-torch.txt" --index-url "$TORCH_INDEX"
"$VENV/bin/python" -m pip install -q -r "$SOURCE/requirements-gradescope.txt"
chmod -R a+rX "$VENV"            # the unprivileged user runs this Python, and nothing under /autograder

echo "== /autograder readable by root only (the hidden checks are in source/)"
chmod 0700 "$(dirname "$SOURCE")"

echo "== self-test: the instructor's notebooks must get every point"
cd "$SOURCE"
KIT_SANDBOX_USER="$SANDBOX_USER" "$VENV/bin/python" -m autograder.exports.gradescope_run --selftest
