#!/usr/bin/env bash
# Install the kit for a shared JupyterHub, as root (docs/deploy.md): the shared environment every
# account runs (a venv on Debian's /usr/bin/python3.11 under --prefix, not under /root), JupyterHub
# (pinned, from PyPI) and configurable-http-proxy (npm), nbgrader's exchange at a fixed place with
# nbgrader's modes, the students' nbgrader configuration, and the hub's systemd unit.
# Re-running it is safe: what is installed stays, the configuration is written again.
#
#   bash deploy/install.sh [--prefix /opt/descente-gradient] [--exchange /srv/nbgrader/exchange]
#                          [--course-id descente_gradient_pytorch] [--hub-url http://127.0.0.1:8000]
#                          [--groups kit-students,kit-instructors] [--state /var/lib/descente-gradient]
#                          (--groups: the students' Unix group, then the instructors')
#                          [--no-systemd]
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=$PWD
PREFIX=/opt/descente-gradient
EXCHANGE=/srv/nbgrader/exchange
COURSE_ID=$(sed -n 's/^c.CourseDirectory.course_id = "\(.*\)"$/\1/p' nbgrader_config.py)
HUB_URL=http://127.0.0.1:8000
GROUPS_ALLOWED=kit-students,kit-instructors
STATE=/var/lib/descente-gradient
SYSTEMD=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --exchange) EXCHANGE=$2; shift 2 ;;
    --course-id) COURSE_ID=$2; shift 2 ;;
    --hub-url) HUB_URL=$2; shift 2 ;;
    --groups) GROUPS_ALLOWED=$2; shift 2 ;;
    --state) STATE=$2; shift 2 ;;
    --no-systemd) SYSTEMD=no; shift ;;
    *) echo "error: unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "error: run as root (it installs under $PREFIX and creates $EXCHANGE)" >&2; exit 2; }
case "$PREFIX" in /root|/root/*) echo "error: $PREFIX is under /root (mode 0700): other accounts could not run it" >&2; exit 2 ;; esac
PYTHON=/usr/bin/python3.11
say() { echo "== $*"; }

need=()
[ -x "$PYTHON" ] || need+=(python3.11)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || need+=(python3.11-venv)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  say "Debian packages: ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

say "the shared environment: $PREFIX/venv (Python $("$PYTHON" -c 'import platform; print(platform.python_version())'))"
install -d -m 0755 "$PREFIX" "$PREFIX/etc"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
log=$PREFIX/install.log
stamp=$PREFIX/venv/.kit-requirements
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  { "$PREFIX/venv/bin/python" -m pip install --upgrade pip &&
    "$PREFIX/venv/bin/python" -m pip install -r requirements.txt ; } > "$log" 2>&1 ||
    { grep -v '^WARNING: Location' "$log" | tail -30 >&2; echo "error: pip failed (log: $log)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
# the kit itself, from this checkout (not editable: the environment must not depend on it)
"$PREFIX/venv/bin/python" -m pip install --no-deps --force-reinstall --no-build-isolation "$KIT" >> "$log" 2>&1 ||
  { tail -30 "$log" >&2; echo "error: pip could not install the kit (log: $log)" >&2; exit 1; }
rm -rf "$KIT/build"
chmod -R a+rX "$PREFIX/venv"

say "configurable-http-proxy (npm) in $PREFIX/node"
CHP_VERSION=5.3.0
if [ "$("$PREFIX/node/node_modules/.bin/configurable-http-proxy" --version 2>/dev/null)" != "$CHP_VERSION" ]; then
  npm install --silent --no-fund --no-audit --prefix "$PREFIX/node" "configurable-http-proxy@$CHP_VERSION" >> "$log" 2>&1 ||
    { tail -30 "$log" >&2; echo "error: npm failed (log: $log)" >&2; exit 1; }
fi

say "nbgrader's exchange: $EXCHANGE (mode 1777: every account writes, nobody renames another's folder)"
install -d -m 0755 "$(dirname "$EXCHANGE")"
install -d -m 1777 "$EXCHANGE"
chmod 1777 "$EXCHANGE"

say "the students' nbgrader configuration: $PREFIX/venv/etc/jupyter/nbgrader_config.py"
install -d -m 0755 "$PREFIX/venv/etc/jupyter"
sed -e "s|@COURSE_ID@|$COURSE_ID|" -e "s|@EXCHANGE@|$EXCHANGE|" deploy/nbgrader_config.students.py \
  > "$PREFIX/venv/etc/jupyter/nbgrader_config.py"
chmod 0644 "$PREFIX/venv/etc/jupyter/nbgrader_config.py"

say "JupyterLab for students: nbgrader's Assignment List and Validate; formgrader for instructors only"
# written, not toggled with `jupyter ... disable`: JupyterLab's command may lock a plugin at this
# level, and an instructor's own config could then not turn it back on (deploy/setup-course.sh does)
install -d -m 0755 "$PREFIX/venv/etc/jupyter/labconfig" "$PREFIX/venv/etc/jupyter/jupyter_server_config.d"
cat > "$PREFIX/venv/etc/jupyter/labconfig/page_config.json" <<'JSON'
{
  "disabledExtensions": {
    "@jupyter/nbgrader:formgrader": true,
    "@jupyter/nbgrader:create-assignment": true,
    "@jupyter/nbgrader:course-list": true
  }
}
JSON
cat > "$PREFIX/venv/etc/jupyter/jupyter_server_config.d/zz-kit-students.json" <<'JSON'
{
  "ServerApp": {
    "jpserver_extensions": {
      "nbgrader.server_extensions.formgrader": false,
      "nbgrader.server_extensions.course_list": false
    }
  }
}
JSON
chmod 0644 "$PREFIX/venv/etc/jupyter/labconfig/page_config.json" "$PREFIX/venv/etc/jupyter/jupyter_server_config.d/zz-kit-students.json"

say "JupyterHub: $PREFIX/etc/jupyterhub_config.py, state in $STATE"
install -d -m 0700 "$STATE"
install -m 0644 deploy/jupyterhub_config.py "$PREFIX/etc/jupyterhub_config.py"
lti=$(grep '^KIT_LTI_COURSE_DIR=' "$PREFIX/etc/hub.env" 2>/dev/null || true)   # deploy/setup-lti.sh's, kept
cat > "$PREFIX/etc/hub.env" <<ENV
KIT_PREFIX=$PREFIX
KIT_HUB_URL=$HUB_URL
KIT_HUB_GROUPS=$GROUPS_ALLOWED
KIT_HUB_STATE=$STATE
ENV
[ -z "$lti" ] || echo "$lti" >> "$PREFIX/etc/hub.env"
for group in ${GROUPS_ALLOWED//,/ }; do getent group "$group" >/dev/null || groupadd "$group"; done

if [ "$SYSTEMD" = auto ] && [ "$(ps -p 1 -o comm=)" = systemd ]; then SYSTEMD=yes; fi
if [ "$SYSTEMD" = yes ]; then
  say "systemd: jupyterhub.service"
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@STATE@|$STATE|g" deploy/systemd/jupyterhub.service > /etc/systemd/system/jupyterhub.service
  systemctl daemon-reload
  systemctl enable --now jupyterhub.service
else
  say "no systemd here: start the hub, as root, with  set -a; . $PREFIX/etc/hub.env; $PREFIX/venv/bin/jupyterhub -f $PREFIX/etc/jupyterhub_config.py"
fi
say "done. Next, for each course: bash deploy/setup-course.sh --account INSTRUCTOR --course-dir COURSE_DIR; from an LMS: deploy/setup-lti.sh (docs/deploy.md)"
