"""Student cells run as a Jupyter kernel runs them: through IPython's own InteractiveShell.

One `KernelLikeShell` per process (made once, before the sandbox forks). It transforms and runs
each cell as ipykernel's shell does (magics, `!` escapes, `display`, `get_ipython()`, the last
expression shown, the inline matplotlib backend) and, for the notebook's own run, records each
cell's outputs as nbformat dicts, bounded. Nothing is sent anywhere: no ZMQ, no history file.
"""
from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import sys
import types
import warnings

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from .cells import MIME_TYPES

INLINE = "module://matplotlib_inline.backend_inline"
MAX_CELL_CHARS = 100_000        # text and images kept per cell
MAX_NOTEBOOK_CHARS = 4_000_000  # ... and per notebook
MAX_CELL_OUTPUTS = 200
MAX_SHELL_OUTPUT = 1_000_000    # bytes read from a `!command`
CUT_NOTE = "\n[… sortie coupée par le correcteur : {n} caractères de plus]\n"


def _text(value) -> str:
    try:
        return value if isinstance(value, str) else str(value)
    except BaseException:   # a hostile __str__
        return "?"


class Outputs:
    """The outputs of the cells of one run, as nbformat output dicts, within a budget: what does
    not fit is cut and said so in the cell's last output."""

    def __init__(self, per_notebook: int = MAX_NOTEBOOK_CHARS):
        self.left = per_notebook
        self.current: list[dict] | None = None
        self._cell_left = self._cut = 0

    def begin(self) -> None:
        """A new cell: what follows is its output, until `end`."""
        self.current: list[dict] = []
        self._cell_left, self._cut = MAX_CELL_CHARS, 0

    def end(self) -> list[dict]:
        """The cell's outputs, with a note at the end when some had to be cut."""
        outputs, self.current = self.current, None
        if self._cut:
            outputs.append({"output_type": "stream", "name": "stderr", "text": CUT_NOTE.format(n=self._cut)})
        return outputs

    def _room(self, size: int) -> int:
        return max(0, min(size, self._cell_left, self.left))

    def _spend(self, size: int, kept: int) -> None:
        self._cell_left -= kept
        self.left -= kept
        self._cut += size - kept

    def stream(self, name: str, text: str) -> None:
        if self.current is None or not text:
            return
        kept = self._room(len(text))
        self._spend(len(text), kept)
        if not kept:
            return
        outputs = self.current
        if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == name:
            outputs[-1]["text"] += text[:kept]
        elif len(outputs) < MAX_CELL_OUTPUTS:
            outputs.append({"output_type": "stream", "name": name, "text": text[:kept]})

    def rich(self, output_type: str, data: dict, metadata: dict, execution_count: int | None = None) -> None:
        if self.current is None:
            return
        plain = {}
        for mime in MIME_TYPES:
            if mime in data:
                value = data[mime]
                if isinstance(value, (bytes, bytearray)):
                    value = base64.b64encode(value).decode("ascii")
                plain[mime] = _text(value)
        size = sum(len(v) for v in plain.values())
        if not plain or len(self.current) >= MAX_CELL_OUTPUTS or self._room(size) < size:
            self._spend(size, 0)
            return
        self._spend(size, size)
        output = {"output_type": output_type, "data": plain, "metadata": _plain_metadata(metadata)}
        if output_type == "execute_result":
            output["execution_count"] = execution_count
        self.current.append(output)

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        if self.current is None:
            return
        lines = [_text(line)[:5000] for line in traceback[:200]]
        size = len(ename) + len(evalue) + sum(map(len, lines))
        kept = self._room(size)
        self._spend(size, kept)
        if len(self.current) < MAX_CELL_OUTPUTS:
            self.current.append({"output_type": "error", "ename": ename[:200], "evalue": evalue[:kept or 200],
                                   "traceback": lines if kept == size else [f"{ename}: {evalue[:200]}"]})

    def clear(self) -> None:
        if self.current is not None:
            self.current.clear()


def _plain_metadata(metadata) -> dict:
    """Only the image sizes of a display's metadata (what Jupyter reads), as numbers."""
    out = {}
    if isinstance(metadata, dict):
        for mime, value in metadata.items():
            if mime in MIME_TYPES and isinstance(value, dict):
                sizes = {k: v for k, v in value.items() if k in ("width", "height") and type(v) in (int, float)}
                if sizes:
                    out[mime] = sizes
    return out


class _Publisher(DisplayPublisher):
    """`display(...)` and matplotlib's inline figures land in the current cell's outputs."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        if self.shell.outputs is not None and isinstance(data, dict):
            self.shell.outputs.rich("display_data", data, metadata or {})

    def clear_output(self, wait=False):
        if self.shell.outputs is not None:
            self.shell.outputs.clear()


class _DisplayHook(DisplayHook):
    """The value of a cell's last expression, as an `execute_result` (as ipykernel sends it)."""

    def start_displayhook(self):
        self._result = None

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        self._result = (format_dict, md_dict or {})

    def finish_displayhook(self):
        if self._result and self.shell.outputs is not None:
            self.shell.outputs.rich("execute_result", *self._result, execution_count=self.prompt_count)
        self._result = None


class _Stream:
    """sys.stdout / sys.stderr while a cell runs."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, shell: "KernelLikeShell", name: str):
        self.shell, self.name = shell, name

    def write(self, text) -> int:
        text = _text(text)
        if self.shell.outputs is not None:
            self.shell.outputs.stream(self.name, text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("no file descriptor")


class KernelLikeShell(InteractiveShell):
    """IPython's InteractiveShell with the few parts ipykernel replaces replaced the same way:
    outputs go to the current cell (not a terminal), tracebacks become error outputs, `!cmd`
    runs in a subprocess whose output is the cell's. No history, no `sys.modules['__main__']`
    take-over (the shell may live in a process that has its own, such as a kernel)."""

    displayhook_class = _DisplayHook
    display_pub_class = _Publisher

    def __init__(self, **kwargs):
        config = Config()
        config.HistoryManager.enabled = False
        config.InteractiveShell.colors = "nocolor"
        config.InteractiveShell.warn_venv = False
        config.InteractiveShell.autocall = 0
        self.outputs: Outputs | None = None
        self._transformed: dict[str, str] = {}
        super().__init__(config=config, **kwargs)

    def init_sys_modules(self):
        pass

    def transform_cell(self, raw_cell: str) -> str:
        """IPython's own transformation, remembered: a notebook's cells are replayed once per scenario."""
        transformed = self._transformed.get(raw_cell)
        if transformed is None:
            if len(self._transformed) > 2000:
                self._transformed.clear()
            transformed = self._transformed[raw_cell] = super().transform_cell(raw_cell)
        return transformed

    def should_run_async(self, raw_cell: str, *, transformed_cell=None, preprocessing_exc_tuple=None) -> bool:
        """IPython's answer, without parsing the cell once more when it cannot hold a top-level
        `await` (`async for`, `async with`): a fifth of the shell's own time per cell."""
        if transformed_cell is not None and "await" not in transformed_cell and "async" not in transformed_cell:
            return False
        return super().should_run_async(raw_cell, transformed_cell=transformed_cell,
                                        preprocessing_exc_tuple=preprocessing_exc_tuple)

    def _showtraceback(self, etype, evalue, stb):
        if self.outputs is not None:
            self.outputs.error(getattr(etype, "__name__", "Error"), _text(evalue), list(stb))

    def system(self, cmd):
        """`!cmd`: run by /bin/sh with no input, its output the cell's (bounded)."""
        cmd = self.var_expand(cmd, depth=1)
        proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        read = 0
        while chunk := proc.stdout.read1(65536):
            read += len(chunk)
            if read > MAX_SHELL_OUTPUT:
                proc.kill()
                break
            sys.stdout.write(chunk.decode("utf-8", "replace").replace("\n", "\r\n"))   # as through ipykernel's pty
        proc.stdout.close()
        self.user_ns["_exit_code"] = proc.wait()

    system_piped = system

    def enable_gui(self, gui=None):
        """As a headless kernel: the inline backend needs no event loop, a window toolkit cannot start."""
        if gui not in (None, "inline"):
            raise RuntimeError(f"pas d'affichage graphique ici : le backend {gui!r} ne peut pas démarrer "
                               "(utilise %matplotlib inline)")

    def fresh_namespace(self) -> dict:
        """A new user namespace, as a new kernel has (the previous one stays as it was)."""
        module = types.ModuleType("__main__", doc="Automatically created module for IPython interactive environment")
        self.user_module = module
        self.user_ns = module.__dict__
        self.user_ns_hidden = {}
        self.init_user_ns()
        self.execution_count = 1
        return self.user_ns

    @contextlib.contextmanager
    def active(self):
        """While this shell runs cells: it is the one `display()` and `get_ipython()` find."""
        previous = InteractiveShell._instance
        InteractiveShell._instance = self
        try:
            yield
        finally:
            InteractiveShell._instance = previous

    def run(self, source: str, outputs: Outputs | None = None) -> tuple[int | None, dict | None, list | None]:
        """Run one cell: (its execution count, None for an empty cell; its error as plain data or
        None; its outputs when `outputs` keeps them, else None)."""
        self.outputs = outputs
        if outputs is not None:
            outputs.begin()
        count, error = None, None
        try:
            if source.strip():
                count = self.execution_count
                result = self.run_cell(source, store_history=True)
                error = result.error_before_exec or result.error_in_exec
        except BaseException as exc:   # nothing a cell does may stop the replay
            error = exc
        finally:
            self.outputs = None
        return count, None if error is None else describe(error), None if outputs is None else outputs.end()


def describe(exc: BaseException) -> dict:
    return {"type": _text(getattr(type(exc), "__name__", "Error"))[:100], "message": _text(exc)[:500]}


_SHELL: KernelLikeShell | None = None


def kernel_like_shell() -> KernelLikeShell:
    """This process's shell, made on first use. Where the default matplotlib backend is the
    inline one (a kernel's default), figures are shown at the end of each cell, as in Jupyter."""
    global _SHELL
    if _SHELL is None:
        _SHELL = KernelLikeShell()
        if os.environ.get("MPLBACKEND") in ("inline", INLINE) and InteractiveShell._instance is None:
            with _SHELL.active():
                from IPython.core.pylabtools import activate_matplotlib
                from matplotlib_inline.backend_inline import configure_inline_support

                activate_matplotlib(INLINE)
                configure_inline_support(_SHELL, INLINE)
    return _SHELL


@contextlib.contextmanager
def captured(shell: KernelLikeShell, on_warning):
    """stdout, stderr and warnings of the cells go to the shell's current cell; each warning
    shown is also passed to `on_warning(category_name, message)`."""
    def show(message, category, filename, lineno, file=None, line=None):
        on_warning(getattr(category, "__name__", "Warning"), _text(message))
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    with contextlib.redirect_stdout(_Stream(shell, "stdout")), contextlib.redirect_stderr(_Stream(shell, "stderr")), \
            warnings.catch_warnings(), shell.active():
        warnings.showwarning = show
        yield
