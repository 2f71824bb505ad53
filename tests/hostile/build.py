"""Build hostile and broken submissions from the release and source notebooks.

Every submission starts from `autograder.sample_class.submission()` (the release, filled in
with the instructor's solution and, for a mistake, one piece of it replaced); an attack then
edits solution cells, adds cells or tampers with the nbgrader metadata. Nothing is hand-edited
JSON.

Every attack is bounded by itself (a loop stops after `LIMIT_S` seconds in total, the memory
bomb at `BOMB_GIB` GiB, at most 300 children that sleep `SLEEP_S` seconds), so that a missing
limit in the grader makes a test fail slowly instead of hurting the machine.

Each spawned process and each process that ran student code carries the run's `marker` in its
command line or in its `comm`, so that the tests can look for survivors in /proc.

    python -m tests.hostile.build COURSE_DIR   # writes submitted/<id>/descente_gradient/ there
"""
from __future__ import annotations

import copy
import json
import os
import random
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.courses.descente_gradient.course import ASSIGNMENT, STEPS
from autograder.nbgrader_cli import ROOT
from autograder.courses.descente_gradient.sample_class import STUDENTS, Student, submission

LIMIT_S = 45          # total seconds an endless attack may run in one process, whatever happens
BOMB_GIB = 3          # the memory bomb stops there
SLEEP_S = 40          # how long a spawned child sleeps
N_CHILDREN = 300

BY_ID = {s.id: s for s in STUDENTS}
HONEST = BY_ID["alice_juste"]
NOTHING = BY_ID["nina_non_rendu"]


@dataclass
class Ctx:
    """What an attack knows: where the course is, the loopback port, the run's marker."""
    course_dir: Path
    port: int
    marker: str               # unique per run, in every process an attack starts
    victim: str = "alice_juste"
    repo: Path = ROOT


@dataclass
class Hostile:
    id: str                                   # the student id (folder name)
    attack: str                               # what it tries, in English
    notebooks: dict[str, bytes | None]        # file name -> content (None: not handed in)
    earned: dict[str, set[str]]               # step -> checks it may pass at most
    broken: set[str] = field(default_factory=set)   # steps whose notebook is unreadable on purpose
    exact: bool = False                       # earned is exact (an honest notebook in a broken set)
    links: dict[str, Path] = field(default_factory=dict)  # file name -> what it is a symbolic link to
    folder_link: Path | None = None           # the whole assignment folder is a symbolic link to this


def dump(nb: dict) -> bytes:
    return json.dumps(nb, indent=1, ensure_ascii=False).encode("utf-8")


def _meta(cell: dict) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def cell_of(nb: dict, grade_id: str) -> dict:
    for cell in nb["cells"]:
        if _meta(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def inject(nb: dict, grade_id: str, code: str, before: bool = True) -> dict:
    """Put `code` at the start (or end) of the solution cell `grade_id`."""
    cell = cell_of(nb, grade_id)
    src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    cell["source"] = (code + "\n" + src) if before else (src + "\n" + code)
    return nb


def replace(nb: dict, grade_id: str, code: str) -> dict:
    cell_of(nb, grade_id)["source"] = code
    return nb


def passes(student: Student, step: str) -> set[str]:
    return set(STEPS[step].checks) - student.fails.get(step, set())


def earned_of(student: Student, steps=None) -> dict[str, set[str]]:
    return {s: passes(student, s) for s in (steps or STEPS)}


def prologue(ctx: Ctx) -> str:
    """Every attack cell starts by putting the marker in its process's name (comm)."""
    return (f"import os as _o, sys as _s, time as _t, builtins as _b\n"
            f"try:\n    open('/proc/self/comm', 'w').write({('hx' + ctx.marker)[:15]!r})\n"
            f"except Exception:\n    pass\n"
            f"_b.__dict__.setdefault('_hx_t0', _t.monotonic())\n"
            f"_hx_over = lambda: _t.monotonic() - _b._hx_t0 > {LIMIT_S}\n")


def spawn_code(ctx: Ctx, n: int, detach: bool) -> str:
    """Start n `sleep` children whose argv[0] carries the marker (bounded: at most n, each ends)."""
    return (f"import subprocess as _sp\n"
            f"for _i in range({n}):\n"
            f"    try:\n"
            + (f"        if _o.fork() == 0:\n"
               f"            _o.setsid()\n"
               f"            if _o.fork() == 0:\n"
               f"                import signal as _sg\n"
               f"                for _n in ('SIGTERM', 'SIGHUP', 'SIGINT'):\n"
               f"                    _sg.signal(getattr(_sg, _n), _sg.SIG_IGN)\n"
               f"                try:\n"
               f"                    _o.execv('/bin/sleep', ['hx-{ctx.marker}', '{SLEEP_S}'])\n"
               f"                finally:\n"
               f"                    _o._exit(0)\n"
               f"            _o._exit(0)\n"
               if detach else
               f"        _sp.Popen(['hx-{ctx.marker}', '{SLEEP_S}'], executable='/bin/sleep', start_new_session=True)\n")
            + f"    except Exception:\n        break\n")


def _c(ctx: Ctx, body: str) -> str:
    return prologue(ctx) + body


# --- the attacks -----------------------------------------------------------------------------
# Each returns (notebooks by step, earned). Most sit on a base that earns nothing or a known
# part, so that "no point it did not earn" is an exact bound.

def _single(base: Student, step: str, edit) -> tuple[dict, dict]:
    nb = edit(submission(ROOT, base, step))
    return {step: nb}, {step: passes(base, step)}


def attack_catalog(ctx: Ctx) -> list[tuple[str, str, dict, dict]]:
    """(id, description, {step: nb dict}, earned)."""
    A = []

    def add(id_, what, notebooks, earned):
        A.append((id_, what, notebooks, earned))

    # Endless work: a Python loop, one that ignores every catchable signal, C-level work.
    add("h_boucle_infinie", "infinite Python loop in a cell (bounded at LIMIT_S s in total)",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, "while not _hx_over():\n    pass"))))
    add("h_boucle_sourde", "infinite loop ignoring SIGALRM, SIGTERM, SIGINT, SIGXCPU, SIGHUP",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "regret", _c(ctx,
            "import signal\nfor n in ('SIGALRM', 'SIGTERM', 'SIGINT', 'SIGXCPU', 'SIGHUP', 'SIGUSR1'):\n"
            "    signal.signal(getattr(signal, n), signal.SIG_IGN)\n"
            "while not _hx_over():\n    try:\n        pass\n    except BaseException:\n        pass"))))
    add("h_calcul_c", "CPU burner inside one C call (sum over a huge range), deaf to Python signal handlers",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx,
            "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "if not _hx_over():\n    sum(range(4 * 10**9))"))))
    add("h_bombe_memoire", f"memory bomb: touches 256 MiB blocks up to {BOMB_GIB} GiB, kept across replays",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx,
            "_b.__dict__.setdefault('_hx_mem', [])\n"
            f"while len(_b._hx_mem) < {BOMB_GIB * 4} and not _hx_over():\n"
            "    _b._hx_mem.append(b'\\x01' * (256 << 20))"))))
    # Processes.
    add("h_300_enfants", f"{N_CHILDREN} `sleep {SLEEP_S}` children in their own sessions, never waited for",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, spawn_code(ctx, N_CHILDREN, False)))))
    add("h_enfants_calculent", "60 children burning CPU beside the parent, to starve the honest notebooks graded "
        "at the same time", *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx,
            "for _i in range(60):\n    try:\n        if _o.fork() == 0:\n"
            "            while not _hx_over():\n                pass\n            _o._exit(0)\n"
            "    except Exception:\n        break\nwhile not _hx_over():\n    pass\n"))))
    add("h_enfants_orphelins", "double fork + setsid, children that ignore SIGTERM/SIGHUP and outlive the notebook",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, spawn_code(ctx, 5, True)))))
    # Exits and crashes, on a notebook whose other cells are right: nothing after them may be lost
    # by the grader, nothing before them may be forged.
    for id_, code, what in (
            ("h_sys_exit", "_s.exit(0)", "sys.exit(0) in a cell"),
            ("h_os_exit", "_o._exit(0)", "os._exit(0) in a cell"),
            ("h_systemexit", "raise SystemExit(0)", "raise SystemExit"),
            ("h_keyboardinterrupt", "raise KeyboardInterrupt", "raise KeyboardInterrupt"),
            ("h_segfault", "import ctypes\nctypes.string_at(0)", "segfault through ctypes"),
            ("h_abort", "_o.kill(_o.getpid(), 6)", "SIGABRT sent to itself")):
        base = BY_ID["chloe_gradient_somme"]
        add(id_, what + " (the gradient is the seed's sum, wrong)",
            *_single(base, "etape1", lambda nb, code=code: inject(nb, "gradient", _c(ctx, code), before=False)))
    # Monkeypatching what a check might use.
    patches = (
        "import numpy, math, builtins\n"
        "numpy.allclose = lambda *a, **k: True\nnumpy.isclose = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\nmath.isclose = lambda *a, **k: True\n"
        "math.isfinite = lambda *a: True\nbuiltins.abs = lambda x: 0\nbuiltins.float = lambda *a: 2.0\n"
        "builtins.AssertionError = type('AssertionError', (Exception,), {})\n"
        "_s.excepthook = lambda *a: None\n"
        "try:\n    import torch\n    torch.allclose = lambda *a, **k: True\n    torch.isclose = lambda *a, **k: True\n"
        "    torch.equal = lambda *a, **k: True\nexcept Exception:\n    pass\n"
        "import json as _j\n_j.dumps = lambda *a, **k: '{\"token\": \"x\", \"observation\": {\"runs\": []}}'\n"
        "for _name in list(_s.modules):\n"
        "    if _name.startswith('autograder'):\n"
        "        _m = _s.modules[_name]\n"
        "        for _f in ('close', 'numbers', 'run_check', 'flat', 'plain', 'call', 'first_error'):\n"
        "            if hasattr(_m, _f):\n"
        "                setattr(_m, _f, (lambda *a, **k: True))\n"
        "_s.modules['autograder.feedback'] = type(_s)('autograder.feedback')\n"
        "_s.modules['autograder.feedback'].run_check = lambda *a, **k: None\n"
        "_s.modules['autograder.feedback'].Feedback = str\n"
    )
    add("h_monkeypatch_etape1", "monkeypatch numpy/math/builtins/json/assert hooks and the kit's helpers, wrong gradient",
        *_single(BY_ID["chloe_gradient_somme"], "etape1", lambda nb: inject(nb, "gradient", _c(ctx, patches))))
    add("h_monkeypatch_etape2", "monkeypatch torch.allclose and friends, loss as a sum",
        *_single(BY_ID["lea_regret_somme"], "etape2", lambda nb: inject(nb, "regret", _c(ctx, patches))))
    # Values that lie.
    liars = (
        "import numpy as np\n"
        "class Menteur(float):\n"
        "    def __new__(cls, v=123.0):\n        return float.__new__(cls, v)\n"
        "    __eq__ = lambda s, o: True\n    __ne__ = lambda s, o: False\n    __abs__ = lambda s: 0.0\n"
        "    __sub__ = __rsub__ = lambda s, o: 0.0\n    __float__ = lambda s: 2.0\n"
        "    __lt__ = __le__ = __gt__ = __ge__ = lambda s, o: True\n"
        "    __array__ = lambda s, *a, **k: np.array(2.0)\n    __round__ = lambda s, *a: 2.0\n"
        "    __format__ = lambda s, f: '10.000'\n    __bool__ = lambda s: True\n"
        "class TableauMenteur(np.ndarray):\n"
        "    __eq__ = lambda s, o: np.ones(np.shape(o), bool)\n    __sub__ = lambda s, o: np.zeros(np.shape(o))\n"
        "    __abs__ = lambda s: np.zeros(s.shape)\n    __float__ = lambda s: 2.0\n"
        "    def __array__(self, *a, **k):\n        return np.zeros(self.shape)\n"
        "    def tolist(self):\n        return [2.0] * self.size\n"
        "    def astype(self, *a, **k):\n        return np.full(self.shape, 2.0)\n"
        "def tableau(n):\n    return np.full(n, 999.0).view(TableauMenteur)\n"
    )
    add("h_menteurs_numpy", "float and ndarray subclasses whose __eq__/__abs__/__sub__/__float__/__array__ lie",
        *_single(NOTHING, "etape1", lambda nb: (
            inject(nb, "avant", _c(ctx, liars) + "\ndef avant(x):\n    return tableau(len(x))"),
            replace(nb, "regret", "def regret(y, y_predit):\n    return Menteur()"),
            replace(nb, "gradient", "def gradient(x, y, y_predit):\n    return Menteur()"),
            replace(nb, "entrainement", "w = Menteur(); L = Menteur(0.5)\nhistorique = []"))[0]))
    tensor_liar = (
        "import torch\n"
        "class TenseurMenteur(torch.Tensor):\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        name = getattr(func, '__name__', '')\n"
        "        if name in ('tolist',):\n            return [2.0]\n"
        "        if name in ('item', '__float__'):\n            return 2.0\n"
        "        if name in ('eq', '__eq__', 'allclose', 'isclose', 'equal'):\n            return True\n"
        "        return super().__torch_function__(func, types, args, kwargs or {})\n"
        "    __eq__ = lambda s, o: True\n    __float__ = lambda s: 2.0\n    __abs__ = lambda s: torch.tensor(0.0)\n"
        "    def __array__(self, *a, **k):\n        import numpy\n        return numpy.array(2.0)\n"
    )
    add("h_menteurs_torch", "Tensor subclass whose __torch_function__, tolist, __eq__, __float__ lie",
        *_single(NOTHING, "etape2", lambda nb: (
            inject(nb, "avant", _c(ctx, tensor_liar) + "\ndef avant(x):\n    return torch.full_like(x, 7.0).as_subclass(TenseurMenteur)"),
            replace(nb, "regret", "def regret(y, y_predit):\n    return torch.tensor(9.0).as_subclass(TenseurMenteur)"),
            replace(nb, "entrainement", "w = torch.tensor(0.5).as_subclass(TenseurMenteur)\n"
                                        "L = torch.tensor(3.0).as_subclass(TenseurMenteur)\nhistorique = []"))[0]))
    # Reading what a student must never see, and showing it wherever a student could read it back.
    targets = [ctx.course_dir / "source" / ASSIGNMENT / STEPS["etape1"].filename,
               ctx.course_dir / "gradebook.db",
               ctx.course_dir / "submitted" / ctx.victim / ASSIGNMENT / STEPS["etape1"].filename,
               ctx.repo / "autograder" / "reference" / "training.py",
               ctx.repo / "autograder" / "draws.py", ctx.repo / "autograder" / "checks" / "etape1.py"]
    reader = (
        f"_cibles = {[str(t) for t in targets]!r}\n"
        "try:\n    import autograder\n    _cibles += [_o.path.join(_o.path.dirname(autograder.__file__), 'reference', 'training.py')]\n"
        "except Exception:\n    pass\n"
        "_lu = []\n"
        "for _p in _cibles:\n"
        "    try:\n        _lu.append(open(_p, 'rb').read(200000).decode('utf-8', 'replace'))\n"
        "    except Exception as _e:\n        _lu.append(repr(_e))\n"
        "_tout = '\\n'.join(_lu)\n"
        "print(_tout)\n"
        "import warnings\nwarnings.warn(_tout[:5000])\n"
        "open('results.json', 'w').write(_tout)\n"
    )
    add("h_lu_secrets", "reads source/, the gradebook, another student's notebook and autograder/, prints them, "
        "warns them and raises them", *_single(NOTHING, "etape1", lambda nb: (
            inject(nb, "avant", _c(ctx, reader)),
            inject(nb, "regret", "raise RuntimeError(_tout[:20000])"),
            replace(nb, "gradient", "def gradient(x, y, y_predit):\n    raise ValueError(_tout[-20000:])"))[0]))
    # Writing where only the grader writes.
    victim_nb = ctx.course_dir / "submitted" / ctx.victim / ASSIGNMENT / STEPS["etape1"].filename
    writer = (
        "import sqlite3, shutil, glob\n"
        f"_racine = {str(ctx.course_dir)!r}\n"
        "for _p in [_racine + '/PIRATE.txt', _racine + '/autograded/PIRATE.txt', _racine + '/feedback/PIRATE.txt',\n"
        f"           _racine + '/submitted/{ctx.victim}/PIRATE.txt', _racine + '/source/PIRATE.txt',\n"
        f"           {str(ctx.repo / 'autograder')!r} + '/hx_{ctx.marker}.txt', '/tmp/hx_{ctx.marker}.txt']:\n"
        "    try:\n        open(_p, 'w').write('pirate')\n    except Exception:\n        pass\n"
        "try:\n"
        "    _db = sqlite3.connect(_racine + '/gradebook.db')\n"
        "    _db.execute('update grade set auto_score = 100, manual_score = 100')\n    _db.commit()\n"
        "except Exception:\n    pass\n"
        "try:\n"
        f"    open({str(victim_nb)!r}, 'w').write('{{}}')\n"
        "except Exception:\n    pass\n"
        "for _f in glob.glob(_racine + '/autograded/*/*/*.ipynb') + glob.glob(_racine + '/feedback/*/*/*.html'):\n"
        "    try:\n        open(_f, 'a').write('pirate')\n    except Exception:\n        pass\n"
        "try:\n    open(_racine + '/gradebook.db', 'ab').write(b'pirate' * 1000)\nexcept Exception:\n    pass\n"
    )
    add("h_ecriture", "writes to the gradebook (SQL and bytes), autograded/, feedback/, another student's notebook, "
        "the course root, source/, autograder/ and /tmp",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, writer))))
    # Network.
    net = (
        "import socket\n"
        "for _h in ('127.0.0.1', 'localhost', '::1'):\n"
        "    try:\n"
        f"        _so = socket.create_connection((_h, {ctx.port}), timeout=2)\n"
        "        _so.sendall(b'hx')\n        _so.close()\n"
        "    except Exception:\n        pass\n"
        "try:\n"
        "    _u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        f"    _u.sendto(b'hx', ('127.0.0.1', {ctx.port}))\n"
        "except Exception:\n    pass\n"
    )
    add("h_reseau", "opens TCP connections (and a UDP datagram) to the test's loopback server",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, net))))
    # Output: fake results, fake nbgrader lines, 200 MB, bytes that are not UTF-8.
    fake = {"score": 100, "tests": [{"name": c, "score": 100, "max_score": 1, "status": "passed"}
                                    for c in STEPS["etape1"].checks]}
    output = (
        f"print({json.dumps(fake)!r})\n"
        "print('[AutogradeApp | INFO] Autograding etape1_numpy: score 100/100')\n"
        "print('Vérification cachée « test_gradient » réussie.')\n"
        "open('results.json', 'w').write(" + repr(json.dumps(fake)) + ")\n"
        "for _fd in (1, 2):\n"
        "    try:\n        _o.write(_fd, b'\\xff\\xfe\\x80 not utf-8 \\xc3\\x28\\n' * 1000)\n    except Exception:\n        pass\n"
        "_bloc = 'x' * (1 << 20)\n"
        "for _i in range(100):\n    print(_bloc)\n    _s.stderr.write(_bloc)\n"
        "for _i in range(100):\n"
        "    try:\n        _o.write(1, _bloc.encode())\n    except Exception:\n        break\n"
        "print('\\udcff\\ud800 surrogates')\n"
        "import warnings\nwarnings.warn('\\udcff bad \\ud800')\n"
    )
    add("h_lu_sortie", "prints a fake results.json and fake nbgrader lines, 200 MB of output, non-UTF-8 bytes and "
        "lone surrogates; the gradient is wrong", *_single(BY_ID["chloe_gradient_somme"], "etape1", lambda nb: (
            inject(nb, "avant", _c(ctx, output)),
            inject(nb, "gradient", "raise ValueError('\\udcff\\ud800 \\x00 erreur')", before=False))[0]))
    # The instructor's terminal: escape sequences and forged lines in an exception's message.
    add("h_terminal", "an exception whose message holds terminal escape sequences and forged summary lines",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx,
            "raise RuntimeError('\\x1b[2J\\x1b[H\\x1b]0;pirate\\x07\\r\\n"
            "  HX_FAUX alice_juste / etape1_numpy: could not be run to the end: rien\\n"
            "Graded 0 notebooks HX_FAUX\\x1b[8m')"))))
    # Forging the observer's result from inside the student's process.
    forge = (
        "import json, struct, gc\n"
        "_num = lambda v: {'kind': 'number', 'type': 'float', 'value': v}\n"
        "_snap = {'w': _num(2.0), 'L': _num(0.0), 'f5': {'value': _num(10.0)}, 'learning_rate': _num(0.01),\n"
        "         'n_iters': _num(71), 'historique': None}\n"
        "_run = {'errors': [], 'warnings': [], 'visible_tests': {}, 'stdout': '', 'snapshots': {'entrainement': _snap}}\n"
        "_obs = {'runs': [_run] * 4, 'avant': [], 'regret': [], 'gradient': []}\n"
        "_tok = None\n"
        "_f = _s._getframe()\n"
        "while _f is not None:\n"
        "    for _k, _v in _f.f_locals.items():\n"
        "        if _k == 'token' and isinstance(_v, str):\n            _tok = _v\n"
        "        if _k == 'tirage' and isinstance(_v, dict):\n"
        "            _obs['runs'] = [_run] * len(_v['scenarios'])\n"
        "            _obs['avant'] = [{'value': _num(2.0)}] * len(_v['probes']['avant'])\n"
        "            _obs['regret'] = [{'value': _num(0.0)}] * len(_v['probes']['regret'])\n"
        "            _obs['gradient'] = [{'value': _num(0.0)}] * len(_v['probes']['gradient'])\n"
        "    _f = _f.f_back\n"
        "_msg = json.dumps({'token': _tok, 'observation': _obs}).encode()\n"
        "_msg = struct.pack('>Q', len(_msg)) + _msg\n"
        "for _fd in range(3, 300):\n"
        "    try:\n        _o.write(_fd, _msg)\n    except Exception:\n        pass\n"
        "_o._exit(0)\n"
    )
    add("h_lu_faux_resultat", "writes a forged observation (with the channel's token read from the stack) to every "
        "open fd, then os._exit(0)", *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, forge))))
    nested = ("_deep = b'[' * 200000 + b']' * 200000\n"
              "for _fd in range(3, 300):\n"
              "    try:\n        _o.write(_fd, __import__('struct').pack('>Q', len(_deep)) + _deep)\n"
              "    except Exception:\n        pass\n"
              "_o._exit(0)\n")
    add("h_json_profond", "writes a 200 000-deep nested JSON to every open fd (RecursionError in a JSON reader)",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, nested))))
    # Detecting grading to switch to a fake answer.
    detect = (
        "def _corrige():\n"
        "    if _o.environ.get('NBGRADER_EXECUTION'):\n        return True\n"
        "    try:\n"
        "        _pp = open('/proc/%d/cmdline' % _o.getppid(), 'rb').read()\n"
        "        if b'autograder' in _pp or b'bwrap' in _pp or b'zygote' in _pp:\n            return True\n"
        "    except Exception:\n        return True\n"
        "    return 'submitted' not in _o.getcwd() or _o.getuid() != 1000\n"
        "_en_correction = _corrige()\n"
        "def avant(x):\n    return 2 * x\n"
    )
    def _detect(nb):
        inject(nb, "avant", _c(ctx, detect))
        replace(nb, "regret", "def regret(y, y_predit):\n    return 0.0 if _en_correction else ((y_predit - y)**2).sum()")
        replace(nb, "gradient", "def gradient(x, y, y_predit):\n    return 0.0")
        replace(nb, "entrainement",
                "historique = []\nif _en_correction or X.tolist() != [1, 2, 3, 4]:\n"
                "    w, L = 2.0, 0.0\nelse:\n    raise NotImplementedError()")
        return nb
    add("h_detecte_correction", "detects grading (NBGRADER_EXECUTION, parent's cmdline, cwd, uid, data) and "
        "switches to typed-in answers", *_single(NOTHING, "etape1", _detect))
    # Another student's earlier job, left in the memory of a long-lived parent.
    scan = (
        "_vus = []\n"
        "try:\n"
        "    import ctypes, re\n"
        "    for _l in open('/proc/self/maps'):\n"
        "        _fs = _l.split()\n"
        "        _a, _p = _fs[:2]\n"
        "        if not _p.startswith('rw') or (len(_fs) > 5 and _fs[5] != '[heap]'):\n            continue\n"
        "        _lo, _hi = (int(v, 16) for v in _a.split('-'))\n"
        "        if _hi - _lo > 64 << 20:\n            continue\n"
        "        _mem = ctypes.string_at(_lo, _hi - _lo)\n"
        f"        _vus += [m.decode('latin-1') for m in re.findall(rb'CANARI_AUTRE_[0-9a-f]+', _mem)]\n"
        "except Exception as _e:\n    _vus.append(repr(_e))\n"
        "print(_vus)\n"
        "raise RuntimeError('vu en mémoire : ' + ' '.join(sorted(set(_vus)))[:2000])\n"
    )
    add("h_lu_memoire_voisins", "scans its own memory (inherited from the warm parent) for another student's code",
        *_single(NOTHING, "etape1", lambda nb: inject(nb, "avant", _c(ctx, scan))))
    # Impersonating the API a check asks for: a hand-made optimizer posing as torch.optim.SGD, a
    # hand-made layer posing as nn.Linear (torch.nn.Linear itself replaced, so isinstance agrees).
    fake_sgd = (
        "class SGD:\n"
        "    def __init__(self, params, lr):\n"
        "        self.param_groups = [{'params': list(params), 'lr': lr}]\n"
        "    def step(self):\n"
        "        with torch.no_grad():\n"
        "            for p in self.param_groups[0]['params']:\n"
        "                p -= self.param_groups[0]['lr'] * p.grad\n"
        "    def zero_grad(self):\n"
        "        for p in self.param_groups[0]['params']:\n"
        "            p.grad = None\n"
        "SGD.__module__, SGD.__qualname__ = 'torch.optim.sgd', 'SGD'\n"
        "torch.optim.SGD = SGD\n")
    nb = submission(ROOT, NOTHING, "etape3")
    replace(nb, "avant", "def avant(x):\n    return w * x")
    replace(nb, "entrainement", _c(ctx, fake_sgd) + "".join(
        cell_of(submission(ROOT, HONEST, "etape3"), "entrainement")["source"]))
    add("h_faux_sgd", "a hand-written optimizer posing as torch.optim.SGD (module and name forged, torch.optim.SGD "
        "replaced by it); avant is right", {"etape3": nb}, {"etape3": {"test_avant"}})
    fake_linear = (
        "class Lineaire(torch.nn.Module):\n"
        "    def __init__(self, i, o):\n"
        "        super().__init__()\n"
        "        self.in_features, self.out_features = i, o\n"
        "        self.poids = torch.nn.Parameter(torch.zeros(o, i))\n"
        "    def forward(self, x):\n"
        "        return x @ self.poids.T + 1.0\n"
        "Lineaire.__module__, Lineaire.__qualname__ = 'torch.nn.modules.linear', 'Linear'\n"
        "torch.nn.Linear = nn.Linear = Lineaire\n"
        "model = Lineaire(input_size, output_size)\n")
    add("h_faux_linear", "a hand-made layer posing as nn.Linear (torch.nn.Linear replaced by it)",
        *_single(NOTHING, "etape4", lambda nb: replace(nb, "modele", _c(ctx, fake_linear))))
    return A


def tampered(ctx: Ctx) -> list[tuple[str, str, dict, dict]]:
    """nbgrader metadata tampering."""
    T = []
    nb = submission(ROOT, HONEST, "etape1")
    for cell in nb["cells"]:
        if _meta(cell).get("grade"):
            cell["metadata"]["nbgrader"]["points"] = 100
    T.append(("h_points_100", "every test cell's points set to 100 (answers right)", {"etape1": nb},
              {"etape1": passes(HONEST, "etape1")}))
    nb = submission(ROOT, NOTHING, "etape1")
    for cell in nb["cells"]:
        m = _meta(cell)
        if m.get("grade"):
            m.update(grade=False, solution=True, locked=False)
            m.pop("points", None)
            cell["source"] = "print('Vérification cachée réussie.')\nassert True"
    T.append(("h_test_en_solution", "test cells turned into solution cells that pass (answers not written)",
              {"etape1": nb}, {"etape1": set()}))
    nb = submission(ROOT, NOTHING, "etape1")
    nb["cells"] = [c for c in nb["cells"] if not _meta(c).get("grade")]
    T.append(("h_tests_supprimes", "test cells deleted (answers not written)", {"etape1": nb}, {"etape1": set()}))
    nb = submission(ROOT, BY_ID["chloe_gradient_somme"], "etape1")
    cells = []
    for cell in nb["cells"]:
        cells.append(cell)
        if _meta(cell).get("grade") or _meta(cell).get("grade_id") == "avant":
            cells += [copy.deepcopy(cell) for _ in range(4)]
    nb["cells"] = cells
    T.append(("h_grade_id_dupliques", "each test cell and a solution cell copied 4 times with the same grade_id "
              "(gradient wrong)", {"etape1": nb}, {"etape1": passes(BY_ID["chloe_gradient_somme"], "etape1")}))
    nb = submission(ROOT, HONEST, "etape2")
    nb["metadata"]["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    nb["metadata"]["language_info"] = {"name": "bash"}
    T.append(("h_kernelspec", "kernelspec changed to bash (answers right)", {"etape2": nb},
              {"etape2": passes(HONEST, "etape2")}))
    nb = submission(ROOT, NOTHING, "etape1")
    for gid in ("donnees", "poids_initial", "hyperparametres"):
        m = _meta(cell_of(nb, gid))
        m.update(locked=False, solution=True)
    replace(nb, "avant", "def avant(x):\n    return w * x")
    replace(nb, "entrainement", "historique = []\nw, L = 2.0, 0.0")
    T.append(("h_donnees_deverrouillees", "locked data cells turned into solution cells, trained weight typed in",
              {"etape1": nb}, {"etape1": {"test_avant"}}))
    nb = submission(ROOT, NOTHING, "etape1")
    for gid in ("donnees", "poids_initial", "hyperparametres"):
        cell = cell_of(nb, gid)
        cell["metadata"]["nbgrader"]["grade_id"] = gid + "_renomme"
    replace(nb, "entrainement", "historique = []\nw, L = 2.0, 0.0")
    T.append(("h_grade_id_renommes", "locked data cells given other grade_ids, trained weight typed in",
              {"etape1": nb}, {"etape1": set()}))
    nb = submission(ROOT, NOTHING, "etape1")
    cell_of(nb, "test_avant")["cell_type"] = "markdown"
    cell_of(nb, "test_avant").pop("outputs", None)
    cell_of(nb, "test_avant").pop("execution_count", None)
    cell_of(nb, "test_regret")["cell_type"] = "raw"
    cell_of(nb, "test_regret").pop("outputs", None)
    cell_of(nb, "test_regret").pop("execution_count", None)
    replace(nb, "test_gradient", "assert True")
    cell_of(nb, "donnees")["cell_type"] = "markdown"
    cell_of(nb, "donnees").pop("outputs", None)
    cell_of(nb, "donnees").pop("execution_count", None)
    T.append(("h_types_de_cellules", "test cells turned into Markdown and raw cells, a test cell's source replaced, "
              "the data cell turned into Markdown (answers not written)", {"etape1": nb}, {"etape1": set()}))
    nb = submission(ROOT, NOTHING, "etape1")
    bonus = copy.deepcopy(cell_of(nb, "test_avant"))
    bonus["metadata"]["nbgrader"].update(grade_id="test_bonus", points=100)
    bonus["source"] = "assert True"
    nb["cells"].append(bonus)
    m = _meta(cell_of(nb, "avant"))
    m.update(grade=True, points=50)
    replace(nb, "avant", "def avant(x):\n    return 2 * x\nassert True")
    weird = {}
    nb = submission(ROOT, NOTHING, "etape1")
    cell_of(nb, "test_avant")["metadata"]["nbgrader"]["grade_id"] = ["test_avant"]
    cell_of(nb, "test_regret")["metadata"]["nbgrader"]["points"] = "NaN"
    cell_of(nb, "test_gradient")["metadata"]["nbgrader"] = "test_gradient"
    weird["etape1"] = nb
    nb = submission(ROOT, NOTHING, "etape2")
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {"nbgrader": {"grade": True, "grade_id": {"x": 1},
                           "points": -1e308, "solution": True}}, "source": 12345, "outputs": None})
    weird["etape2"] = nb
    nb = submission(ROOT, NOTHING, "etape3")
    nb["cells"].append({"cell_type": "raw", "metadata": {"nbgrader": {"grade": True, "grade_id": "test_avant",
                        "points": 1000, "locked": True}}, "source": "assert True"})
    nb["metadata"]["nbgrader"] = {"kit_score": 100}
    weird["etape3"] = nb
    nb = submission(ROOT, NOTHING, "etape4")
    for cell in nb["cells"]:
        if _meta(cell).get("grade"):
            cell["metadata"]["nbgrader"]["checksum"] = "0" * 32
            cell["metadata"]["nbgrader"]["grade_id"] = "test_modele"
    weird["etape4"] = nb
    T.append(("h_metadonnees_bizarres", "grade_id as a list or a dict, points 'NaN' or -1e308, metadata as a string, "
              "a raw cell posing as a test, every test cell renamed test_modele", weird,
              {s: set() for s in STEPS}))
    T.append(("h_cellule_test_ajoutee", "a new test cell worth 100 points and a solution cell turned into a "
              "50-point test cell, both passing", {"etape1": nb}, {"etape1": set()}))
    return T


def broken(ctx: Ctx) -> list[Hostile]:
    """Broken inputs: each hands in three right notebooks and one broken (or missing) one."""
    rng = random.Random(4)
    right = {s: dump(submission(ROOT, HONEST, s)) for s in STEPS}
    fname = {s: STEPS[s].filename for s in STEPS}
    full = {s: passes(HONEST, s) for s in STEPS}

    def with_(step, content, extra=None, name="etape1"):
        nbs = {fname[s]: right[s] for s in STEPS}
        nbs[fname[step]] = content
        nbs.update(extra or {})
        return nbs

    out = []

    def add(id_, what, notebooks, broken_steps):
        out.append(Hostile(id_, what, notebooks, {s: (set() if s in broken_steps else full[s]) for s in STEPS},
                           broken=set(broken_steps), exact=True))

    add("b_vide", "etape1 is an empty file", with_("etape1", b""), {"etape1"})
    add("b_json_invalide", "etape2 is not valid JSON", with_("etape2", right["etape2"][:-200]), {"etape2"})
    add("b_octets_aleatoires", "etape3 is 64 KiB of random bytes",
        with_("etape3", bytes(rng.getrandbits(8) for _ in range(1 << 16))), {"etape3"})
    import nbformat

    v3 = nbformat.convert(nbformat.reads(right["etape4"].decode(), as_version=4), 3)
    add("b_nbformat3", "etape4 saved as nbformat 3", with_("etape4", nbformat.writes(v3).encode()), {"etape4"})
    bare = submission(ROOT, HONEST, "etape1")
    for cell in bare["cells"]:
        cell.get("metadata", {}).pop("nbgrader", None)
    add("b_sans_metadonnees", "etape1 without any nbgrader metadata (answers right)", with_("etape1", dump(bare)),
        {"etape1"})
    add("b_manquant", "etape2 not handed in", with_("etape2", None), {"etape2"})
    add("b_renomme", "etape3 handed in under another name",
        with_("etape3", None, {"etape3 (copie).ipynb": right["etape3"]}), {"etape3"})
    extra = dump(submission(ROOT, NOTHING, "etape1"))
    add("b_en_trop", "an extra notebook beside the four right ones",
        {**{fname[s]: right[s] for s in STEPS}, "brouillon.ipynb": extra, "etape1_numpy-Copy1.ipynb": extra}, set())
    big = submission(ROOT, HONEST, "etape1")
    big["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "a" * (100 * 1024**2)})
    add("b_100_mo", "etape1 of 100 MB (a huge markdown cell; answers right)", with_("etape1", dump(big)), {"etape1"})
    # A path with spaces and accents is not an error: graded in full.
    out.append(Hostile("Zoé Dupont-Müller é", "student id with spaces and accents (answers right)",
                       {fname[s]: right[s] for s in STEPS}, dict(full), exact=True))
    for h in out:
        if h.id in ("b_100_mo", "b_nbformat3"):  # refusing is allowed; grading it in full too (nbgrader
            # reads nbformat 3 by converting it)
            h.exact = False
            h.earned = dict(full)
    return out


def hostile_class(ctx: Ctx, only: set[str] | None = None) -> list[Hostile]:
    """All hostile and broken submissions (or those whose id is in `only`)."""
    subs = []
    for id_, what, nbs, earned in attack_catalog(ctx) + tampered(ctx):
        subs.append(Hostile(id_, what, {STEPS[s].filename: dump(nb) for s, nb in nbs.items()},
                            {s: earned.get(s, set()) for s in STEPS}))
    source = ctx.course_dir / "source" / ASSIGNMENT
    subs.append(Hostile("h_lu_lien_symbolique", "hands in symbolic links to the instructor's notebooks in source/ "
                        "(a zip archive can carry them)", {}, {s: set() for s in STEPS},
                        links={**{STEPS[s].filename: source / STEPS[s].filename for s in STEPS},
                               "notes.txt": source / STEPS["etape1"].filename,
                               "carnet.db": ctx.course_dir / "gradebook.db"}))
    subs.append(Hostile("h_lu_dossier_lien", "hands in its assignment folder as a symbolic link to "
                        "source/descente_gradient", {}, {s: set() for s in STEPS}, folder_link=source))
    subs += broken(ctx)
    return [h for h in subs if only is None or h.id in only]


def write_hostile(course_dir: Path, subs: list[Hostile]) -> None:
    for h in subs:
        folder = course_dir / "submitted" / h.id / ASSIGNMENT
        if h.folder_link is not None:
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.symlink_to(h.folder_link, target_is_directory=True)
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in h.notebooks.items():
            if content is not None:
                (folder / name).write_bytes(content)
        for name, target in h.links.items():
            (folder / name).symlink_to(target)
        (folder / "timestamp.txt").write_text("2026-11-27 09:00:00.000000 UTC")


def new_marker() -> str:
    return secrets.token_hex(5)


if __name__ == "__main__":
    target = Path(sys.argv[1])
    ctx = Ctx(course_dir=target.resolve(), port=int(os.environ.get("HX_PORT", "9")), marker=new_marker())
    subs = hostile_class(ctx)
    write_hostile(target, subs)
    print(f"wrote {len(subs)} hostile or broken submissions under {target / 'submitted'} (marker {ctx.marker})")
