"""Figure style for papers, colours per teacher, and saving in several formats."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from teacher.analysis.errors import AnalysisError

__all__ = ["FORMATS", "PALETTE", "format_value", "paper_style", "save_figure",
           "teacher_colors", "check_formats", "check_dpi"]

FORMATS = ("png", "pdf", "svg")

# Okabe & Ito's colour-blind-safe palette (black last: it is kept for text).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442",
           "#000000")
# The paper's teachers keep one colour in every figure, whatever else is compared.
_TEACHER_COLORS = {"alp-gmm": "#0072b2", "alp-gmm+": "#d55e00", "covar-gmm": "#009e73",
                   "riac": "#e69f00", "oracle": "#cc79a7", "random": "#000000"}

PAPER_RC: dict[str, Any] = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3, "lines.linewidth": 1.6,
    "pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none",
}


@contextmanager
def paper_style() -> Iterator[None]:
    """Readable fonts, light grid, embedded TrueType in PDFs, text kept as text in SVGs."""
    with mpl.rc_context(PAPER_RC):  # type: ignore[arg-type]  # keys checked at run time
        yield


def teacher_colors(labels: Iterable[str]) -> dict[str, str]:
    """A colour per label: the paper's teachers always get the same one; other labels
    take the remaining palette colours in sorted order (cycling past eight)."""
    labels = sorted(set(labels))
    out = {lab: _TEACHER_COLORS[lab] for lab in labels if lab in _TEACHER_COLORS}
    free = [c for c in PALETTE if c not in out.values()] or list(PALETTE)
    for i, lab in enumerate(x for x in labels if x not in out):
        out[lab] = free[i % len(free)]
    return out


def format_value(v: float, digits: int = 3) -> str:
    """A number at its real magnitude: ``0``, ``0.125``, ``1.46e-25``, ``3.2e+06``."""
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.{digits}g}"
    return f"{v:.{max(1, digits - 1)}e}"


def check_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """``"png,pdf"`` or ``["png", "svg"]`` -> validated, de-duplicated tuple."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    out = tuple(dict.fromkeys(str(f).strip().lower().lstrip(".") for f in items))
    bad = [f for f in out if f not in FORMATS]
    if not out or bad:
        raise AnalysisError(
            f"formats must be among {', '.join(FORMATS)}, got {formats!r}"
        )
    return out


def check_dpi(dpi: Any) -> int:
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 2400:
        raise AnalysisError(f"dpi must be an integer in [10, 2400], got {dpi!r}")
    return dpi


def save_figure(
    fig: Figure, out_dir: str | os.PathLike[str], stem: str,
    formats: Sequence[str] = ("png",), dpi: int = 150,
) -> list[Path]:
    """Write ``fig`` as ``<out_dir>/<stem>.<format>`` for each format; returns the paths."""
    formats, dpi = check_formats(formats), check_dpi(dpi)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with paper_style():
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            fig.savefig(path, dpi=dpi, format=fmt, metadata=_metadata(fmt))
            paths.append(path)
    return paths


def _metadata(fmt: str) -> dict[str, Any] | None:
    # No creation date: the same log gives byte-identical PDF and SVG files.
    if fmt == "pdf":
        return {"CreationDate": None}
    if fmt == "svg":
        return {"Date": None}
    return None
