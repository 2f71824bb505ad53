"""A course on a shared machine: the exchange's modes, and `python -m autograder doctor`."""
