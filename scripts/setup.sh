#!/usr/bin/env bash
# Install what the kit needs, once: a venv in .venv with the pinned packages, and (as root on
# Debian/Ubuntu) bubblewrap for the grader's sandbox, chromium for the browser tests, redis-server
# for the grading service's job queue and postgresql for the shared-hub test's gradebook (their
# tests start their own servers) and configurable-http-proxy (npm) for JupyterHub.
# Re-running it is cheap: nothing is reinstalled while requirements.txt is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "error: the kit needs Python 3.11 (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

need_apt=()
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${need_apt[*]} (Debian packages)"
    # PostgreSQL's server for the shared-hub test's gradebook, which starts a cluster of its own:
    # no main cluster made or started by the package
    mkdir -p /etc/postgresql-common
    [ -e /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold "${need_apt[@]}" >/dev/null
  else
    echo "warning: missing ${need_apt[*]}: install them with your package manager (see README)" >&2
  fi
fi

# JupyterHub's proxy (the LTI authenticator's tests start a real hub; the deployment runs one).
if ! command -v configurable-http-proxy >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v npm >/dev/null; then
    echo "== installing configurable-http-proxy (npm)"
    npm install -g --silent configurable-http-proxy@5.3.0 >/dev/null
  else
    echo "warning: missing configurable-http-proxy: npm install -g configurable-http-proxy@5.3.0" >&2
  fi
fi

stamp=.venv/.kit-installed
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing the pinned Python packages into .venv (first run: a few minutes)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  log=.venv/install.log
  { .venv/bin/python -m pip install --upgrade pip &&
    .venv/bin/python -m pip install -r requirements.txt &&
    .venv/bin/python -m pip install --no-deps -e . ; } > "$log" 2>&1 ||
    { grep -v '^WARNING: Location' "$log" | tail -30 >&2; echo "error: pip failed (log: $log)" >&2; exit 1; }
  .venv/bin/python -c 'import torch, nbgrader, autograder' || { echo "error: the install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
