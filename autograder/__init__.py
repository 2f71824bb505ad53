"""The course kit's grader: reference computations, hidden checks, sandboxed runner, reports."""
