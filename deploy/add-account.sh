#!/usr/bin/env bash
# A local Unix account for the course, as root (docs/deploy.md; departments with LDAP/SSSD create
# theirs there and only need the group and the home's mode): in the group JupyterHub lets in, its
# home closed to other accounts (0700: a student's notebooks and fetched feedback are theirs).
# The groups are the hub's (install.sh --groups STUDENTS,INSTRUCTORS, kept in PREFIX/etc/hub.env).
# A student launched from an LTI platform needs no password: the launch logs them in.
#
#   bash deploy/add-account.sh --student alice [--password-stdin] [--prefix /opt/descente-gradient]
#   bash deploy/add-account.sh --instructor prof [--password-stdin] [--prefix /opt/descente-gradient]
set -euo pipefail
PREFIX=/opt/descente-gradient
ROLE= NAME= PASSWORD=no
while [ $# -gt 0 ]; do
  case "$1" in
    --student) ROLE=student; NAME=$2; shift 2 ;;
    --instructor) ROLE=instructor; NAME=$2; shift 2 ;;
    --password-stdin) PASSWORD=yes; shift ;;
    --prefix) PREFIX=$2; shift 2 ;;
    *) echo "error: unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "error: run as root" >&2; exit 2; }
GROUPS_ALLOWED=$(sed -n 's/^KIT_HUB_GROUPS=//p' "$PREFIX/etc/hub.env" 2>/dev/null)
GROUPS_ALLOWED=${GROUPS_ALLOWED:-kit-students,kit-instructors}
if [ "$ROLE" = student ]; then ROLE=${GROUPS_ALLOWED%%,*}; else ROLE=${GROUPS_ALLOWED#*,}; ROLE=${ROLE%%,*}; fi
[ -n "$NAME" ] || { echo "error: --student NAME or --instructor NAME" >&2; exit 2; }
[[ "$NAME" =~ ^[a-z][a-z0-9_-]{0,31}$ ]] || { echo "error: $NAME is not a plain account name" >&2; exit 2; }
getent group "$ROLE" >/dev/null || groupadd "$ROLE"
if ! id "$NAME" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash --groups "$ROLE" "$NAME"
else
  usermod --append --groups "$ROLE" "$NAME"
fi
home=$(getent passwd "$NAME" | cut -d: -f6)
chmod 0700 "$home"
if [ "$PASSWORD" = yes ]; then
  IFS= read -r password
  printf '%s:%s\n' "$NAME" "$password" | chpasswd
fi
echo "== $NAME: group $ROLE, home $home (0700)"
