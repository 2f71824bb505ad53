"""nbgrader's configuration for every account of the shared environment (its etc/jupyter/, read by
each student's nbgrader, the Assignment List included): the course and its exchange, and the kit's
exchange classes for the students' side (autograder/nbgrader_exchange/). Written by
deploy/install.sh; the course's own nbgrader_config.py must name the same course id and exchange
(`python -m autograder doctor` checks it)."""
c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "@COURSE_ID@"
c.Exchange.root = "@EXCHANGE@"
# A submission readable by its student and the course's graders only (nbgrader's is world-readable).
c.ExchangeFactory.submit = "autograder.nbgrader_exchange.PrivateSubmit"
# The kit's French summary page fetched with nbgrader's feedback pages.
c.ExchangeFactory.fetch_feedback = "autograder.nbgrader_exchange.FetchFeedbackWithSummary"
