"""The two preprocessors that stand for nbgrader's `Execute` in the kit's save pass: the
student's own run (recorded in the sandbox) and the grader's decision in each test cell."""
from __future__ import annotations

from nbformat import from_dict
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from ..feedback import wrapped

PASSED_TEXT = "Vérification cachée « {grade_id} » réussie.\n"


class WriteDecisions(NbGraderPreprocessor):
    """Give each test cell the output that its decision stands for: an AssertionError with the
    French message (wrapped, as the hidden cell raises it under nbgrader) when it fails, a short
    line on stdout when it passes. (The notebook is validated once the pass is over, not each
    output as `nbformat.v4.new_output` would.)"""

    def preprocess(self, nb, resources):
        self._decisions = {d["grade_id"]: d for d in resources.get("kit_decisions", [])}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        grade_id = cell.metadata.nbgrader.get("grade_id")
        decision = self._decisions.get(grade_id) or {
            "passed": False, "ename": "AssertionError", "message": "Cette cellule n'a pas été corrigée."}
        if decision["passed"]:
            cell.outputs = [from_dict({"output_type": "stream", "name": "stdout",
                                       "text": PASSED_TEXT.format(grade_id=grade_id)})]
        else:
            ename, message = decision["ename"] or "AssertionError", wrapped(decision["message"])
            cell.outputs = [from_dict({"output_type": "error", "ename": ename, "evalue": message,
                                       "traceback": [f"{ename}: {message}"]})]
        return cell, resources


class WriteOutputs(NbGraderPreprocessor):
    """Give each code cell the execution count and the outputs of the student's own run, as
    `nbgrader autograde`'s kernel leaves them (test cells keep theirs: their decision writes them).
    The outputs were made plain by `outputs.recorded_cells` (LimitOutput bounds them again)."""

    def preprocess(self, nb, resources):
        recorded = resources.get("kit_cells") or []
        code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
        for cell, run in zip(code_cells, recorded):
            if run is None:
                continue
            cell.execution_count = run["execution_count"]
            if not run.get("test"):
                cell.outputs = [from_dict(output) for output in run["outputs"]]
        return nb, resources
