"""`parley eval --report DIR`: precision-recall and score-distribution PNGs plus an HTML page.

matplotlib is optional (the `report` extra); `ReportUnavailable` carries the install hint.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.metrics import Report, format_report, pr_curve


class ReportUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ReportUnavailable("--report needs matplotlib: pip install 'parley[report]'") from exc
    return plt


def write_report(
    out_dir: Path,
    report: Report,
    labels: Mapping[str, npt.ArrayLike],
    scores: Mapping[str, npt.ArrayLike],
    *,
    title: str,
    baseline: Report | None = None,
) -> Path:
    """Write pr_<topic>.png, dist_<topic>.png and index.html; return the HTML path."""
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    images = []
    for m in report.topics:
        y = np.asarray(labels[m.topic], dtype=bool)
        s = np.asarray(scores[m.topic], dtype=np.float64)
        precision, recall, _ = pr_curve(y, s)
        fig, ax = plt.subplots(figsize=(4.5, 3.6), dpi=100)
        ax.plot(recall, precision, drawstyle="steps-post", label=f"AP {m.average_precision:.3f}")
        ax.scatter(
            [m.recall], [m.precision], color="red", zorder=3, label=f"threshold {m.threshold:.2f}"
        )
        ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02), title=m.topic)
        ax.legend(loc="lower left")
        fig.tight_layout()
        fig.savefig(out_dir / f"pr_{m.topic}.png")
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(4.5, 3.6), dpi=100)
        bins = np.linspace(0, 1, 21)
        ax.hist(s[~y], bins=bins, alpha=0.6, label=f"negatives ({int((~y).sum())})", log=True)
        ax.hist(s[y], bins=bins, alpha=0.6, label=f"positives ({int(y.sum())})", log=True)
        ax.axvline(m.threshold, color="red", linestyle="--")
        ax.set(xlabel="score", ylabel="items (log)", title=f"{m.topic}: score distribution")
        ax.legend(loc="upper center")
        fig.tight_layout()
        fig.savefig(out_dir / f"dist_{m.topic}.png")
        plt.close(fig)
        images.append(m.topic)
    page = out_dir / "index.html"
    page.write_text(_html(title, report, images, baseline), encoding="utf-8")
    return page


def _html(title: str, report: Report, topics: list[str], baseline: Report | None) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}img{margin:4px;border:1px solid #ccc}"
        "pre{background:#f6f6f6;padding:1em}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<pre>{html.escape(format_report(report))}</pre>",
    ]
    if baseline is not None:
        parts += [
            "<h2>Keyword baseline</h2>",
            f"<pre>{html.escape(format_report(baseline))}</pre>",
        ]
    for topic in topics:
        t = html.escape(topic)
        parts.append(
            f"<h2>{t}</h2><img src='pr_{t}.png' alt='precision-recall {t}'>"
            f"<img src='dist_{t}.png' alt='score distribution {t}'>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)
