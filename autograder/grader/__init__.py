"""The kit's fast isolated grader: nbgrader's own bookkeeping, the sandbox for student code,
and the hidden checks (`autograder.checks.run_check`) deciding in the grader's process."""
import sys

# jsonschema (under nbformat, hence nbgrader) imports `rfc3987_syntax` when installed, for the
# "iri" string format, which builds a grammar for about 1 s at start-up. Neither nbformat's nor
# nbgrader's schemas use that format: the grader's process does without it.
sys.modules.setdefault("rfc3987_syntax", None)
