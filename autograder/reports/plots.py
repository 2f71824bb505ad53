"""The figures of the reports, drawn headless (Agg) and returned as base64 PNG for <img> tags."""
from __future__ import annotations

import base64
import functools
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def png_base64(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def training_figures(reference: list | None, history: list[tuple[float, float]] | None,
                     loss: str, parameter: str) -> tuple[str, str]:
    """Two base64 PNGs, each small enough to read on a phone: the loss (log scale) and the parameter
    per iteration, the student's (blue) against the reference descent (black, dashed)."""
    return _training_figures(tuple(map(tuple, reference or ())), tuple(map(tuple, history or ())), loss, parameter)


@functools.lru_cache(maxsize=32)
def _training_figures(reference: tuple, history: tuple, loss: str, parameter: str) -> tuple[str, str]:
    """Remembered: in a class, many students' curves are the same (the right descent), drawn once."""
    figures = []
    for index, label, log in ((2, loss, True), (1, parameter, False)):
        fig, ax = plt.subplots(figsize=(5, 3.4))
        draw = ax.semilogy if log else ax.plot
        if history:
            points = [(i, w, L) for i, (w, L) in enumerate(history, 1) if math.isfinite(w) and math.isfinite(L)]
            draw([p[0] for p in points], [max(p[index], 1e-12) if log else p[index] for p in points],
                 color="tab:blue", lw=3, alpha=.7, label="ton notebook")
        if reference:   # on top, dashed, so that it shows even where the student's curve is the same
            draw([r[0] for r in reference], [max(r[index], 1e-12) if log else r[index] for r in reference],
                 "--", color="black", lw=1.2, label="référence")
        ax.set_xlabel("itération")
        ax.set_ylabel(f"{label} (échelle log)" if log else label)
        ax.legend()
        fig.subplots_adjust(left=0.16, right=0.97, bottom=0.15, top=0.96)   # tight_layout costs a draw
        figures.append(png_base64(fig))
    return figures[0], figures[1]


def histogram_figure(totals: list[float], max_total: float) -> str:
    fig, ax = plt.subplots(figsize=(6, 3))
    bins = range(0, int(max_total) + 2)
    ax.hist(totals, bins=bins, color="tab:blue", edgecolor="white", align="left")
    ax.set_xlabel(f"total score (out of {max_total:g})"); ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return png_base64(fig)


def bar_figure(labels: list[str], counts: list[int], xlabel: str) -> str:
    """Horizontal bars, the largest on top."""
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(labels), 2) + 0.9))
    ax.barh(labels[::-1], counts[::-1], color="tab:orange")
    ax.set_xlabel(xlabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return png_base64(fig)
