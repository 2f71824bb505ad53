#!/usr/bin/env bash
# Set up one course for its instructor (or grader) account, as root, after deploy/install.sh
# (docs/deploy.md): the course folder owned by that account and closed to others, its
# nbgrader_config.py (the exchange, the gradebook, the kit's exchange classes), formgrader enabled
# for that account only, the assignments generated, and `serve` (with Redis workers when --queue is
# given) as systemd units running as that account, restarted on failure. Ends with the doctor.
#
#   bash deploy/setup-course.sh --account prof --course-dir /home/prof/cours
#        [--prefix /opt/descente-gradient] [--db-url postgresql+psycopg2://prof@/gradebook?host=/run/postgresql]
#        [--queue redis://127.0.0.1:6379/0 --workers 2] [--no-systemd]
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=$PWD
PREFIX=/opt/descente-gradient
ACCOUNT= COURSE_DIR= DB_URL= QUEUE= WORKERS=2 SYSTEMD=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --account) ACCOUNT=$2; shift 2 ;;
    --course-dir) COURSE_DIR=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --db-url) DB_URL=$2; shift 2 ;;
    --queue) QUEUE=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --no-systemd) SYSTEMD=no; shift ;;
    *) echo "error: unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "error: run as root" >&2; exit 2; }
[ -n "$ACCOUNT" ] && [ -n "$COURSE_DIR" ] || { echo "error: --account and --course-dir are required" >&2; exit 2; }
id "$ACCOUNT" >/dev/null 2>&1 || { echo "error: no account $ACCOUNT (deploy/add-account.sh --instructor $ACCOUNT)" >&2; exit 2; }
[ -x "$PREFIX/venv/bin/python" ] || { echo "error: no shared environment in $PREFIX: run deploy/install.sh first" >&2; exit 2; }
STUDENTS_CONFIG=$PREFIX/venv/etc/jupyter/nbgrader_config.py
COURSE_ID=$(sed -n 's/^c.CourseDirectory.course_id = "\(.*\)"$/\1/p' "$STUDENTS_CONFIG")
EXCHANGE=$(sed -n 's/^c.Exchange.root = "\(.*\)"$/\1/p' "$STUDENTS_CONFIG")
HOME_DIR=$(getent passwd "$ACCOUNT" | cut -d: -f6)
as_account() { runuser -u "$ACCOUNT" -- env -i HOME="$HOME_DIR" USER="$ACCOUNT" LOGNAME="$ACCOUNT" LANG=C.UTF-8 \
                 PATH="$PREFIX/venv/bin:/usr/local/bin:/usr/bin:/bin" "$@"; }
say() { echo "== $*"; }

say "the course folder $COURSE_DIR (owner $ACCOUNT, mode 0700: source/, the gradebook and autograded/ are the instructor's)"
install -d -m 0700 -o "$ACCOUNT" -g "$(id -gn "$ACCOUNT")" "$COURSE_DIR"
if [ ! -e "$COURSE_DIR/nbgrader_config.py" ]; then
  cp -r "$KIT/source" "$COURSE_DIR/source"
  { cat "$KIT/nbgrader_config.py"
    echo
    echo "# --- this course on the shared JupyterHub (deploy/setup-course.sh) ---"
    echo "c.CourseDirectory.course_id = \"$COURSE_ID\""
    echo "c.Exchange.root = \"$EXCHANGE\""
    [ -n "$DB_URL" ] && echo "c.CourseDirectory.db_url = \"$DB_URL\""
    echo "# one Unix account per student: collect refuses an entry not owned by the student it names"
    echo "c.ExchangeCollect.check_owner = True"
  } > "$COURSE_DIR/nbgrader_config.py"
  chown -R "$ACCOUNT:$(id -gn "$ACCOUNT")" "$COURSE_DIR"
else
  say "kept the existing $COURSE_DIR/nbgrader_config.py and source/"
fi

say "formgrader and Create Assignment for $ACCOUNT only; formgrader reads the course's config from ~/.jupyter"
# formgrader loads nbgrader's config from the Jupyter config folders, not from the course folder:
# the account's own config loads the course's (its gradebook, exchange classes, feedback pages)
as_account mkdir -p "$HOME_DIR/.jupyter"
as_account sh -c "printf '%s\n' 'c = get_config()' \
  '# the course of this account (deploy/setup-course.sh): formgrader and nbgrader commands run anywhere use it' \
  'load_subconfig(\"$COURSE_DIR/nbgrader_config.py\")' > '$HOME_DIR/.jupyter/nbgrader_config.py'"
for ext in formgrader create-assignment course-list; do
  as_account jupyter labextension enable --level=user "@jupyter/nbgrader:$ext" >/dev/null 2>&1
done
# (`jupyter server extension enable --user` writes nothing for an extension the user's config does not
# list yet: the file is written here, in the folder Jupyter Server reads before the environment's)
as_account mkdir -p "$HOME_DIR/.jupyter/jupyter_server_config.d"
as_account tee "$HOME_DIR/.jupyter/jupyter_server_config.d/nbgrader-instructor.json" >/dev/null <<'JSON'
{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": true, "nbgrader.server_extensions.course_list": true}}}
JSON

say "the assignments of source/, generated (the gradebook: $( [ -n "$DB_URL" ] && echo "${DB_URL%%\?*}" || echo "$COURSE_DIR/gradebook.db"))"
for assignment in $(ls "$COURSE_DIR/source"); do
  (cd "$COURSE_DIR" && as_account nbgrader generate_assignment "$assignment" --force >/dev/null 2>&1) ||
    { echo "error: nbgrader generate_assignment $assignment failed as $ACCOUNT" >&2; exit 1; }
done

say "systemd units in $PREFIX/etc/systemd (serve as $ACCOUNT$( [ -n "$QUEUE" ] && echo ", $WORKERS Redis worker(s)"))"
install -d -m 0755 "$PREFIX/etc/systemd"
unit=autograder-serve-$COURSE_ID.service
sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ACCOUNT@|$ACCOUNT|g" -e "s|@COURSE_DIR@|$COURSE_DIR|g" \
    -e "s|@COURSE_ID@|$COURSE_ID|g" -e "s|@QUEUE@|${QUEUE:+--queue $QUEUE}|g" \
    deploy/systemd/autograder-serve.service > "$PREFIX/etc/systemd/$unit"
units=("$unit")
if [ -n "$QUEUE" ]; then
  sed -i -e "s|^After=.*|& redis-server.service|" -e "s|^Wants=.*|& redis-server.service|" "$PREFIX/etc/systemd/$unit"
  worker=autograder-worker-$COURSE_ID@.service
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@ACCOUNT@|$ACCOUNT|g" -e "s|@QUEUE@|$QUEUE|g" -e "s|@COURSE_ID@|$COURSE_ID|g" \
      deploy/systemd/autograder-worker@.service > "$PREFIX/etc/systemd/$worker"
  for i in $(seq 1 "$WORKERS"); do units+=("${worker%@.service}@$i.service"); done
fi
if [ "$SYSTEMD" = auto ] && [ "$(ps -p 1 -o comm=)" = systemd ]; then SYSTEMD=yes; fi
if [ "$SYSTEMD" = yes ]; then
  cp "$PREFIX"/etc/systemd/autograder-*"$COURSE_ID"*.service /etc/systemd/system/
  systemctl daemon-reload
  systemctl enable --now "${units[@]}"
else
  say "no systemd here: run the units' ExecStart as $ACCOUNT yourself ($PREFIX/etc/systemd/$unit)"
fi

say "doctor (as $ACCOUNT)"
cd "$COURSE_DIR" && "$PREFIX/venv/bin/python" -m autograder doctor --account "$ACCOUNT" ${QUEUE:+--queue "$QUEUE"} || true
