"""The figures of the reports, drawn headless (Agg) and returned as base64 PNG for <img> tags."""
from __future__ import annotations

import base64
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


def training_figure(reference: list | None, history: list[tuple[float, float]] | None) -> str:
    """The student's loss and w per iteration against the reference descent: a base64 PNG."""
    fig, (ax_L, ax_w) = plt.subplots(1, 2, figsize=(10, 3.4))
    if history:
        points = [(i, w, L) for i, (w, L) in enumerate(history, 1) if math.isfinite(w) and math.isfinite(L)]
        ax_L.semilogy([p[0] for p in points], [max(p[2], 1e-12) for p in points], color="tab:blue",
                      lw=3, alpha=.7, label="ton regret L")
        ax_w.plot([p[0] for p in points], [p[1] for p in points], color="tab:blue", lw=3, alpha=.7, label="ton w")
    else:
        for ax in (ax_L, ax_w):
            ax.text(0.5, 0.5, "pas de courbe : ton apprentissage\nne s'est pas exécuté", ha="center",
                    va="center", transform=ax.transAxes, color="tab:red")
    # The reference on top, dashed, so that it shows even where the student's curve is the same.
    if reference:
        ref_i, ref_w, ref_L = zip(*reference)
        ax_L.semilogy(ref_i, [max(v, 1e-12) for v in ref_L], "--", color="black", lw=1.2, label="référence")
        ax_w.plot(ref_i, ref_w, "--", color="black", lw=1.2, label="référence")
    ax_L.set_xlabel("itération"); ax_L.set_ylabel("regret L (échelle log)"); ax_L.legend()
    ax_w.set_xlabel("itération"); ax_w.set_ylabel("w"); ax_w.legend()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.96, wspace=0.25)  # tight_layout costs a draw
    return png_base64(fig)


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
