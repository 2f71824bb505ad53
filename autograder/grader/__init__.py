"""The kit's fast isolated grader: nbgrader's own bookkeeping, the sandbox for student code,
and the hidden checks (`autograder.checks.run_check`) deciding in the grader's process."""
from .nbgrader_internals import skip_iri_grammar

skip_iri_grammar()
