"""The process that runs student code: reads one job on stdin, writes one JSON result.

The result goes to a pipe that the parent opened (fd given in argv); stdout and stderr are
the student's and are thrown away, so nothing a student prints can pose as a result.
"""
from __future__ import annotations

import json
import os
import sys


def main() -> None:
    result_fd = int(sys.argv[1])
    job = json.loads(sys.stdin.read())
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ["MPLBACKEND"] = "Agg"
    from autograder.observe import Cell, observe

    cells = [Cell.from_dict(c) for c in job["cells"]]
    observation = observe(job["step"], cells, job["tirage"])
    with os.fdopen(result_fd, "w") as out:
        json.dump(observation, out)
    os._exit(0)


if __name__ == "__main__":
    main()
