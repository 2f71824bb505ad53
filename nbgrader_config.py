"""nbgrader configuration of the course kit, read from the repository root."""
import os

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "descente_gradient_pytorch"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

c.ClearSolutions.code_stub = dict(python="# VOTRE CODE ICI\nraise NotImplementedError()")
c.ClearSolutions.text_stub = "VOTRE RÉPONSE ICI"

# A notebook trains for at most a few thousand iterations: 60 s per cell is generous.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 60

# Torch sometimes warns on stderr about things that do not change the answer; a test
# cell writing to stderr scores 0 in nbgrader, so such lines are dropped before grading.
c.IgnorePattern.pattern = r"(?s).*(UserWarning|DeprecationWarning|FutureWarning).*"

# Grading runs headless: no plot may try to open a window.
os.environ.setdefault("MPLBACKEND", "Agg")
