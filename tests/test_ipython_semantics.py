"""Student cells run in the sandbox as a Jupyter kernel runs them (IPython's own shell): magics,
shell escapes, display, the value of the last expression, errors in the cell where they happen,
outputs kept for autograded/ and bounded. The cells here are plain student cells; what they
are worth is tested with the corpus (tests/test_corpus.py)."""
from __future__ import annotations

import pytest

from autograder.courses.descente_gradient.draws import draw
from autograder.observe import Cell
from autograder.sandbox import SandboxPool


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(jobs=1) as pool:
        assert pool.isolated
        yield pool


def run(pool, *sources: str) -> list[dict]:
    """The recorded run of a notebook made of `sources` (student cells): per cell, its count and outputs."""
    answer = pool.run("etape1", [Cell(s) for s in sources], draw("etape1", seed=0))
    assert answer["ok"], answer
    return answer["observation"]["runs"][0]["cells"]


def text(cell: dict, name: str = "stdout") -> str:
    return "".join(o["text"] for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == name)


def test_magics_shell_escapes_and_display_work_as_in_a_kernel(pool):
    cells = run(pool,
                "%%time\ntotal = sum(range(10))\nprint('total', total)",
                "%time carre = 3 ** 2",
                "!echo bonjour",
                "from IPython.display import display, Markdown\ndisplay(Markdown('**gras**'))\nget_ipython().run_line_magic('who', '')",
                "carre",
                "carre;")
    assert "total 45" in text(cells[0]) and "Wall time" in text(cells[0]), cells[0]
    assert "Wall time" in text(cells[1]), cells[1]
    assert text(cells[2]) == "bonjour\r\n", "a shell escape's output, as through ipykernel's pty"
    assert cells[3]["outputs"][0]["data"]["text/markdown"] == "**gras**"
    assert "carre" in text(cells[3]) and "total" in text(cells[3]), "%who lists the notebook's names"
    assert cells[4]["outputs"] == [{"output_type": "execute_result", "data": {"text/plain": "9"}, "metadata": {},
                                    "execution_count": 5}]
    assert cells[5]["outputs"] == [], "a trailing semicolon hides the value, as in Jupyter"
    assert [c["execution_count"] for c in cells] == [1, 2, 3, 4, 5, 6]


def test_top_level_await_runs_as_in_a_kernel(pool):
    cells = run(pool, "import asyncio\nasync def double(x):\n    await asyncio.sleep(0)\n    return 2 * x",
                "valeur = await double(21)\nprint('valeur', valeur)",
                "asynchrone = 'await'  # the word alone does not make a cell asynchronous\nasynchrone")
    assert cells[0]["outputs"] == [], cells[0]
    assert text(cells[1]) == "valeur 42\n", cells[1]
    assert cells[2]["outputs"][0]["data"]["text/plain"] == "'await'", cells[2]


def test_figures_are_shown_inline_at_the_end_of_their_cell(pool):
    cells = run(pool, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.title('ma courbe')",
                "%matplotlib inline\nplt.plot([3, 2, 1])\nplt.show()\nprint('après')")
    for cell in cells:
        images = [o for o in cell["outputs"] if o["output_type"] == "display_data"]
        assert len(images) == 1 and images[0]["data"]["image/png"].startswith("iVBOR"), cell
    assert text(cells[1]) == "après\n"


def test_an_error_stays_in_its_cell_and_the_notebook_goes_on(pool):
    cells = run(pool, "def f(:\n    pass", "x = 1 / 0", "print('suite')")
    assert [o["ename"] for o in cells[0]["outputs"]] == ["SyntaxError"]
    assert [o["ename"] for o in cells[1]["outputs"]] == ["ZeroDivisionError"]
    assert any("1 / 0" in line for line in cells[1]["outputs"][0]["traceback"]), "the student's own traceback"
    assert text(cells[2]) == "suite\n"


def test_magics_that_would_reach_outside_fail_inside_the_sandbox(pool):
    reference = "/".join(__file__.split("/")[:-2]) + "/autograder/reference/training.py"
    cells = run(pool, f"%run {reference}", "%load https://example.com/solution.py", "!cat /etc/shadow; ls ~")
    assert [o["output_type"] for o in cells[0]["outputs"]] in (["error"], ["stream"]), cells[0]
    assert "def line_descent" not in str(cells[0]), "the kit's reference is not visible from the sandbox"
    assert [o["output_type"] for o in cells[1]["outputs"]] == ["error"], cells[1]
    assert "root:" not in text(cells[2])


def test_outputs_are_bounded_with_a_visible_note(pool):
    cells = run(pool, "print('x' * 300_000)", "!yes | head -c 3000000", "for i in range(500):\n    display(i)")
    for cell in cells:
        size = sum(len(o.get("text", "")) + sum(map(len, o.get("data", {}).values())) for o in cell["outputs"])
        assert size <= 110_000, size
    assert "sortie coupée par le correcteur" in text(cells[0], "stderr")
    assert len(cells[2]["outputs"]) <= 201
