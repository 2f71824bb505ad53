"""`python -m autograder lti keys|jwks|status|push`."""
from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from . import outbox, store


def _registration(args):
    from .settings import registration

    return registration(Path(args.course_dir).resolve())


def cmd_keys(args) -> int:
    from .keys import load_or_create_key

    reg = _registration(args)
    key, made = load_or_create_key(reg.key_file)
    with store.connect(reg.state_file):        # made now, by the course's owner, so that the hub writes into it
        pass
    print(f"{'Made' if made else 'Kept'} the tool's key {reg.key_file} (kid {key.kid}); LTI state: {reg.state_file}")
    print("Give the platform the tool's public keyset URL (the hub serves it at <hub>/hub/lti/jwks), or this JWK:")
    print(json.dumps(key.public_jwk, indent=2))
    return 0


def cmd_jwks(args) -> int:
    from .keys import load_key

    jwks = load_key(_registration(args).key_file).jwks()
    if args.serve:
        from .jwks import serve_jwks

        serve_jwks(jwks, args.port, args.address)
    else:
        print(json.dumps(jwks, indent=2))
    return 0


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S") if epoch else "-"


def cmd_status(args) -> int:
    reg = _registration(args)
    if not reg.state_file.exists():
        print(f"No LTI state at {reg.state_file}: nothing was launched or queued yet.")
        return 0
    with store.connect(reg.state_file) as db:
        rows = outbox.entries(db, args.assignment_filter)
        linked = db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    by_status = {s: [e for e in rows if e.status == s] for s in (outbox.PENDING, outbox.REFUSED, outbox.POSTED,
                                                                  outbox.SUPERSEDED)}
    print(f"{linked} students launched from the platform; scores: " +
          ", ".join(f"{len(v)} {k}" for k, v in by_status.items()))
    for entry in by_status[outbox.PENDING]:
        why = f"; last: {entry.reason}" if entry.reason else ""
        print(f"pending  {entry.assignment} {entry.student_id} {entry.score:g}/{entry.max_score:g} "
              f"(submitted {entry.submitted_at}; next try {_when(entry.next_try)}{why})")
    for entry in by_status[outbox.REFUSED]:
        print(f"refused  {entry.assignment} {entry.student_id} {entry.score:g}/{entry.max_score:g} "
              f"(submitted {entry.submitted_at}): {entry.reason}")
    if args.all:
        for entry in by_status[outbox.POSTED]:
            print(f"posted   {entry.assignment} {entry.student_id} {entry.score:g}/{entry.max_score:g} "
                  f"(submitted {entry.submitted_at}; posted {_when(entry.done_at)})")
    return 0


def cmd_push(args) -> int:
    from .passback import drain
    from .push import queue_gradebook

    reg = _registration(args)
    reg.require("client_id", "access_token_url")
    for result in queue_gradebook(reg, args.assignment_filter, retry_refused=args.retry_refused):
        print(f"{result.assignment}: {len(result.queued)} scores to send, {result.unchanged} already sent or queued")
    outcome = drain(reg, time.monotonic() + args.wait)
    print(f"posted {len(outcome.posted)}, refused {len(outcome.refused)}, waiting for a launch "
          f"{len(outcome.waiting)}" + (f"; the platform failed: {outcome.failure} (kept; serve or the next push "
                                       "sends them)" if outcome.failure else ""))
    for entry in outcome.refused:
        print(f"refused  {entry.assignment} {entry.student_id}: see `lti status`")
    return 1 if outcome.failure or outcome.refused else 0


def cmd_record_launch(args) -> int:
    from .as_owner import record_launch_from_stdin

    return record_launch_from_stdin(_registration(args))


def add_lti_commands(sub) -> None:
    lti = sub.add_parser("lti", help="LTI 1.3: the tool's keys, and scores to the LMS (docs/lti.md)")
    commands = lti.add_subparsers(dest="lti_command", required=True)
    p = commands.add_parser("keys", help="make the tool's key pair if missing, and show its public key")
    p.set_defaults(func=cmd_keys)
    p = commands.add_parser("jwks", help="print the tool's JWKS (its public keyset), or serve it over HTTP")
    p.add_argument("--serve", action="store_true", help="serve it at <prefix>jwks until interrupted")
    p.add_argument("--port", type=int, default=10101)
    p.add_argument("--address", default="127.0.0.1")
    p.set_defaults(func=cmd_jwks)
    p = commands.add_parser("status", help="scores pending, refused (and why), posted")
    p.add_argument("assignment_filter", nargs="?", metavar="ASSIGNMENT")
    p.add_argument("--all", action="store_true", help="list the posted scores too")
    p.set_defaults(func=cmd_status)
    p = commands.add_parser("push", help="send nbgrader's current scores (manual grades included)")
    p.add_argument("assignment_filter", nargs="?", metavar="ASSIGNMENT", help="default: every assignment")
    p.add_argument("--retry-refused", action="store_true", help="send the refused scores again")
    p.add_argument("--wait", type=float, default=60.0, help="seconds to keep retrying an unreachable platform")
    p.set_defaults(func=cmd_push)
    p = commands.add_parser("record-launch", help="(run by the hub as the course's owner) record a checked launch "
                                                  "read as JSON on stdin")
    p.set_defaults(func=cmd_record_launch)
