#!/usr/bin/env bash
# Students launched from Moodle or Canvas (LTI 1.3) into the shared JupyterHub, their scores back in
# the platform's gradebook (AGS), for one course, as root, after deploy/setup-course.sh
# (docs/deploy.md, "Launched from Moodle or Canvas"; docs/lti.md):
# - the platform's registration and the claim mapping written into the course's nbgrader_config.py
#   (with formgrader's Release Feedback queueing the released scores for the platform);
# - the tool's key pair made as the course's account (`python -m autograder lti keys`);
# - the hub switched to the kit's LTI authenticator for that course: a launch logs a student in as
#   their own Unix account (made beforehand, in the students' group); instructors keep their
#   password login; the hub serves the tool's keyset at <hub>/hub/lti/jwks.
# Re-running it with other values replaces them (the key is kept).
#
#   bash deploy/setup-lti.sh --course-dir /home/prof/cours --claims moodle|canvas \
#        --issuer https://moodle.univ-exemple.fr --client-id kXxD3Yq8cZ1Jt5P --deployment-id 3 \
#        --jwks-url https://moodle.univ-exemple.fr/mod/lti/certs.php \
#        --auth-url https://moodle.univ-exemple.fr/mod/lti/auth.php \
#        --token-url https://moodle.univ-exemple.fr/mod/lti/token.php \
#        [--deployment-id ANOTHER ...] [--public-url https://hub.univ-exemple.fr] [--prefix /opt/descente-gradient]
#        [--no-systemd]
set -euo pipefail
PREFIX=/opt/descente-gradient
COURSE_DIR= CLAIMS= ISSUER= CLIENT_ID= DEPLOYMENTS= JWKS_URL= AUTH_URL= TOKEN_URL= PUBLIC_URL= SYSTEMD=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --course-dir) COURSE_DIR=$2; shift 2 ;;
    --claims) CLAIMS=$2; shift 2 ;;
    --issuer) ISSUER=$2; shift 2 ;;
    --client-id) CLIENT_ID=$2; shift 2 ;;
    --deployment-id) DEPLOYMENTS="$DEPLOYMENTS${DEPLOYMENTS:+ }$2"; shift 2 ;;
    --jwks-url) JWKS_URL=$2; shift 2 ;;
    --auth-url) AUTH_URL=$2; shift 2 ;;
    --token-url) TOKEN_URL=$2; shift 2 ;;
    --public-url) PUBLIC_URL=$2; shift 2 ;;
    --prefix) PREFIX=$2; shift 2 ;;
    --no-systemd) SYSTEMD=no; shift ;;
    *) echo "error: unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "error: run as root" >&2; exit 2; }
for pair in "course-dir:$COURSE_DIR" "claims:$CLAIMS" "issuer:$ISSUER" "client-id:$CLIENT_ID" \
            "deployment-id:$DEPLOYMENTS" "jwks-url:$JWKS_URL" "auth-url:$AUTH_URL" "token-url:$TOKEN_URL"; do
  [ -n "${pair#*:}" ] || { echo "error: --${pair%%:*} is required (see the head of $0)" >&2; exit 2; }
done
case "$CLAIMS" in moodle|canvas) ;; *) echo "error: --claims moodle or --claims canvas" >&2; exit 2 ;; esac
[ -f "$COURSE_DIR/nbgrader_config.py" ] || { echo "error: no course at $COURSE_DIR: run deploy/setup-course.sh first" >&2; exit 2; }
[ -f "$PREFIX/etc/hub.env" ] || { echo "error: no hub in $PREFIX: run deploy/install.sh first" >&2; exit 2; }
ACCOUNT=$(stat -c %U "$COURSE_DIR")
HOME_DIR=$(getent passwd "$ACCOUNT" | cut -d: -f6)
HUB_URL=$(sed -n 's/^KIT_HUB_URL=//p' "$PREFIX/etc/hub.env")
COURSE_ID=$(sed -n 's/^c.CourseDirectory.course_id = "\(.*\)"$/\1/p' "$PREFIX/venv/etc/jupyter/nbgrader_config.py")
PUBLIC_URL=${PUBLIC_URL:-$HUB_URL}
PUBLIC_URL=${PUBLIC_URL%/}
as_account() { runuser -u "$ACCOUNT" -- env -i HOME="$HOME_DIR" USER="$ACCOUNT" LOGNAME="$ACCOUNT" LANG=C.UTF-8 \
                 PATH="$PREFIX/venv/bin:/usr/local/bin:/usr/bin:/bin" "$@"; }
say() { echo "== $*"; }

say "the platform's registration in $COURSE_DIR/nbgrader_config.py ($CLAIMS claims)"
(cd "$COURSE_DIR" && as_account env LTI_ISSUER="$ISSUER" LTI_CLIENT_ID="$CLIENT_ID" LTI_DEPLOYMENTS="$DEPLOYMENTS" \
   LTI_JWKS_URL="$JWKS_URL" LTI_AUTH_URL="$AUTH_URL" LTI_TOKEN_URL="$TOKEN_URL" LTI_CLAIMS="$CLAIMS" \
   LTI_TOOL_URL="$PUBLIC_URL" python - nbgrader_config.py <<'PY'
import os, re, sys
from pathlib import Path

BEGIN, END = "# --- LTI platform (deploy/setup-lti.sh) ---", "# --- end of LTI platform ---"
claims = {
    "moodle": {"student_id_claim": "https://purl.imsglobal.org/spec/lti/claim/ext#user_username"},
    "canvas": {"student_id_claim": "https://purl.imsglobal.org/spec/lti/claim/custom#login_id",
               "lms_user_id_claim": "https://purl.imsglobal.org/spec/lti/claim/custom#canvas_user_id"},
}[os.environ["LTI_CLAIMS"]]
settings = {"issuer": os.environ["LTI_ISSUER"], "client_id": os.environ["LTI_CLIENT_ID"],
            "deployment_ids": os.environ["LTI_DEPLOYMENTS"].split(), "jwks_url": os.environ["LTI_JWKS_URL"],
            "auth_login_url": os.environ["LTI_AUTH_URL"], "access_token_url": os.environ["LTI_TOKEN_URL"],
            "tool_url": os.environ["LTI_TOOL_URL"], **claims}
lines = [BEGIN] + [f"c.LtiPlatform.{name} = {value!r}" for name, value in settings.items()] + [
    "# formgrader's Release Feedback (and nbgrader release_feedback) queues the released scores for the platform",
    'c.ExchangeFactory.release_feedback = "autograder.nbgrader_exchange.LtiReleaseFeedback"', END]
config = Path(sys.argv[1])
text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", "", config.read_text(), flags=re.S)
config.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n")
PY
)

say "the tool's key pair, made as $ACCOUNT"
(cd "$COURSE_DIR" && as_account python -m autograder lti keys) | sed -n '1p'

say "the hub: LTI launches for $COURSE_DIR ($PREFIX/etc/hub.env)"
sed -i '/^KIT_LTI_COURSE_DIR=/d' "$PREFIX/etc/hub.env"
echo "KIT_LTI_COURSE_DIR=$COURSE_DIR" >> "$PREFIX/etc/hub.env"
if [ "$SYSTEMD" = auto ] && [ "$(ps -p 1 -o comm=)" = systemd ]; then SYSTEMD=yes; fi
if [ "$SYSTEMD" = yes ]; then
  systemctl restart jupyterhub.service
  systemctl try-restart "autograder-serve-$COURSE_ID.service"     # serve reads the registration at start
else
  say "no systemd here: restart the hub and the course's serve yourself (both read the registration at start)"
fi

cat <<EOF
== register the tool in the platform (docs/lti.md, sections 2 and 3) with:
   Tool URL / Target Link URI:                  $PUBLIC_URL/
   Initiate login URL / OpenID Connect URL:     $PUBLIC_URL/hub/lti/login
   Redirection URI(s):                          $PUBLIC_URL/hub/lti/launch
   Public keyset URL / Public JWK URL:          $PUBLIC_URL/hub/lti/jwks
   Services: Assignment and Grade Services (scores), names and e-mail shared.
== students launch as their own Unix account (deploy/add-account.sh --student NAME, NAME as the platform's
   $( [ "$CLAIMS" = moodle ] && echo "username" || echo "login id") ); instructors log in at $PUBLIC_URL/hub/login with their password.
EOF
