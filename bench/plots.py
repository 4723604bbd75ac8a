"""The requests/s-against-clients figure that every throughput plot of the bench draws on."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def rate_figure() -> tuple[Any, Any]:
    """A figure and its axis, for requests/s lines against concurrent clients (files only: no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    return figure, axis


def save_rate_figure(figure: Any, axis: Any, path: Path, title: str | None = None, legend_size: int = 8) -> None:
    """Log-log axes, labels, grid and legend, then the PNG at ``path``."""
    import matplotlib.pyplot as plt

    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.set_xlabel("concurrent clients")
    axis.set_ylabel("requests/s (median over rounds)")
    if title:
        axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=legend_size)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
