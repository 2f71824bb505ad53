"""The kit's fast isolated grader: nbgrader's own bookkeeping, the sandbox for student code,
and the hidden checks (`autograder.checks.run_check`) deciding in the grader's process."""
