"""What the grader shows: grade tables, results files, feedback."""
