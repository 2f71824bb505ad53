"""nbgrader configuration of the course kit, read from the repository root."""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "descente_gradient_pytorch"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# *.kit.json: the kit's record of each graded notebook (autograder/records.py), never copied from a
# submission nor into the students' feedback.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.kit.json"]

# generate_feedback (formgrader's Generate Feedback too) deletes feedback/<student>/<assignment>/: the
# kit's French summary page, resume.html, is written again after nbgrader's pages (nothing is rerun).
c.GenerateFeedback.post_convert_hook = "autograder.reports.feedback_hook.write_summary_after_nbgrader"

# An untouched solution cell says in French what to do (Validate and the feedback show this line).
c.ClearSolutions.code_stub = dict(
    python='# VOTRE CODE ICI\nraise NotImplementedError("Cellule à compléter : remplace cette ligne par ton code.")')
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"

# A notebook trains for at most a few thousand iterations: 60 s per cell is generous.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 60

# Torch sometimes warns on stderr about things that do not change the answer; a test
# cell writing to stderr scores 0 in nbgrader, so such lines are dropped before grading.
c.IgnorePattern.pattern = r"(?s).*(UserWarning|DeprecationWarning|FutureWarning).*"

# Feedback pages (nbgrader generate_feedback, formgrader's Generate Feedback, serve): each hidden
# test region shows as one French line, a failed hidden check as its verdict and message
# (autograder/hidden_tests.py); formgrader and autograded/ keep everything.
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades", "autograder.hidden_tests.HideHiddenTests",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

# Kernels draw as JupyterLab does (the inline backend: each figure becomes a PNG output at the end
# of its cell, no window), so a student's plots are in the autograded notebook and the feedback;
# the kit's grader runs cells with the same backend.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"

# nbgrader's exchange on a shared machine (docs/deploy.md): collect refuses an entry not owned by the
# account it names or holding a link (nbgrader's check_owner, True by default, only warned); each
# released feedback page is readable by its student's account only. The students' side
# (PrivateSubmit, FetchFeedbackWithSummary) is set in the shared environment's config.
c.ExchangeFactory.collect = "autograder.nbgrader_exchange.VettedCollect"
c.ExchangeFactory.release_feedback = "autograder.nbgrader_exchange.PrivateReleaseFeedback"

# Grading on submit (`python -m autograder serve`), docs/service.md#policies: feedback on at most
# N submissions per student and hour; hidden checks' messages hidden until the due date.
# c.ServicePolicy.feedback_per_hour = 3
# c.ServicePolicy.hidden_messages_before_deadline = False
