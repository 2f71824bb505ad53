"""Grading as work arrives: `python -m autograder serve [ASSIGNMENT...]` watches nbgrader's exchange,
grades each submission with the kit's grader and releases its feedback; with `--queue
redis://...`, `python -m autograder worker` processes on any machines do the sandboxed part.
See docs/service.md."""
from __future__ import annotations

import os


def add_service_commands(sub) -> None:
    """The `serve` and `worker` subcommands, on the command line's subparsers."""
    p = sub.add_parser("serve", help="grade submissions as nbgrader submit brings them; release their feedback")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                   help="serve only these assignments (default: every assignment the course has released, "
                        "and each one released later)")
    p.add_argument("--queue", default=None, metavar="redis://HOST:PORT/N",
                   help="put the notebooks on this Redis job queue for `worker` processes (default: grade here)")
    p.add_argument("--jobs", type=int, default=2, help="sandboxed workers in this process (without --queue)")
    p.set_defaults(func=_serve)

    p = sub.add_parser("worker", help="take grading jobs from the Redis queue of `serve --queue`")
    p.add_argument("--queue", required=True, metavar="redis://HOST:PORT/N", help="the queue's Redis")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (one warm sandbox each)")
    p.set_defaults(func=_worker)


def _serve(args) -> int:
    from .serve import cmd_serve

    return cmd_serve(args)


def _worker(args) -> int:
    from .worker import cmd_worker

    return cmd_worker(args)
