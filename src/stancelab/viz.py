"""Plots for reports, notebooks and the command line (matplotlib, written atomically as PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

LABEL_COLOURS = {"support": "#1a9850", "oppose": "#d73027", "conditional": "#4575b4"}
FALLBACK_COLOURS = ["#1a9850", "#d73027", "#4575b4", "#984ea3", "#ff7f00", "#a65628"]


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(metrics: dict[str, Any], path: Path, title: str) -> Path:
    """Confusion matrix as a PNG, counts in the cells, rows = gold."""
    plt = pyplot()
    labels, matrix = metrics["labels"], np.array(metrics["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(matrix, cmap="Blues")
    ax.set(
        xticks=range(len(labels)),
        yticks=range(len(labels)),
        xticklabels=labels,
        yticklabels=labels,
        xlabel="predicted",
        ylabel="gold",
        title=title,
    )
    for i, j in np.ndindex(matrix.shape):
        colour = "white" if matrix[i, j] > matrix.max() / 2 else "black"
        ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=colour)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_reliability(rows: list[dict[str, Any]], path: Path, title: str, n_bins: int = 10) -> Path:
    """Reliability diagram: accuracy against confidence per bin, with the diagonal of perfect calibration."""
    plt = pyplot()
    conf = np.array([r["confidence"] for r in rows])
    correct = np.array([r["predicted"] == r["label"] for r in rows], dtype=float)
    edges = np.linspace(0, 1, n_bins + 1)
    centres, accs, counts = [], [], []
    for low, high in zip(edges[:-1], edges[1:]):
        mask = (conf > low) & (conf <= high)
        if mask.any():
            centres.append((low + high) / 2)
            accs.append(correct[mask].mean())
            counts.append(int(mask.sum()))
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.bar(centres, accs, width=1 / n_bins, edgecolor="black", alpha=0.7, label="accuracy in bin")
    for x, y, n in zip(centres, accs, counts):
        ax.text(x, y + 0.02, str(n), ha="center", fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1.08), xlabel="confidence", ylabel="accuracy", title=title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
    return path


def label_colour(label: str, labels: list[str]) -> str:
    return LABEL_COLOURS.get(label, FALLBACK_COLOURS[labels.index(label) % len(FALLBACK_COLOURS)])


def map_axes(table: Any) -> tuple[str, str]:
    """The columns a stance map crosses: actors x issues for a ``predict_article`` table that has them
    (speakers grouped under the actor they speak for, target mentions under their issue), else
    speakers x targets."""
    who = "actor" if "actor" in table.columns else "speaker"
    what = "issue" if "issue" in table.columns else "target"
    return who, what


def stance_matrix(table: Any) -> tuple[list[str], list[str], list[list[tuple[str, float] | None]]]:
    """Actors (or speakers) x issues (or targets); each cell holds the most confident (label, confidence)."""
    who, what = map_axes(table)
    speakers = list(dict.fromkeys(table[who]))
    targets = list(dict.fromkeys(table[what]))
    cells: list[list[tuple[str, float] | None]] = [[None] * len(targets) for _ in speakers]
    for row in table.to_dict(orient="records"):
        i, j = speakers.index(row[who]), targets.index(row[what])
        if cells[i][j] is None or row["confidence"] > cells[i][j][1]:
            cells[i][j] = (row["label"], float(row["confidence"]))
    return speakers, targets, cells


def stance_map_figure(table: Any, title: str = "stance map", labels: list[str] | None = None) -> Any:
    """Heat map of a ``predict_article`` table: one row per target, one column per speaker; returns the Figure.

    Cells come from ``stance_matrix`` (the most confident label per pair): colour = label, opacity =
    confidence. Targets run down the side so that long target phrases stay readable.
    """
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    plt = pyplot()
    labels = labels or sorted(
        set(table["label"]), key=lambda lb: list(LABEL_COLOURS).index(lb) if lb in LABEL_COLOURS else 99
    )
    speakers, targets, cells = stance_matrix(table)
    image = np.ones((max(len(targets), 1), max(len(speakers), 1), 4))
    fig, ax = plt.subplots(figsize=(min(5.0 + 0.85 * len(speakers), 12), 1.9 + 0.36 * len(targets)))
    for i, j in np.ndindex(len(speakers), len(targets)):
        if cells[i][j] is not None:
            label, confidence = cells[i][j]
            image[j, i] = to_rgba(label_colour(label, labels), alpha=0.25 + 0.75 * confidence)
            mark = "if…" if label == "conditional" else label[:4]  # conditional cells: the condition is in the table
            ax.text(i, j, f"{mark}\n{confidence:.2f}", ha="center", va="center", fontsize=7, linespacing=0.9)
    ax.imshow(image, aspect="auto")
    ax.set_xticks(range(len(speakers)), [_wrap(s, 16) for s in speakers], rotation=35, ha="right", fontsize=8.5)
    ax.set_yticks(range(len(targets)), [_wrap(t, 42) for t in targets], fontsize=8.5)
    ax.set(title=title, xlabel=map_axes(table)[0], ylabel=map_axes(table)[1])
    handles = [Patch(color=label_colour(lb, labels), label=lb) for lb in labels]
    ax.legend(handles=handles, bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=8, title="label")
    fig.tight_layout()
    return fig


def plot_stance_map(table: Any, path: Path, title: str = "stance map", labels: list[str] | None = None) -> Path:
    """``stance_map_figure`` written to a PNG."""
    return save_figure(stance_map_figure(table, title, labels), path)


def _wrap(text: str, width: int) -> str:
    """At most three lines; a visible ellipsis when the text is longer."""
    import textwrap

    lines = textwrap.wrap(text, width)
    return "\n".join(lines[:2] + [lines[2] + (" …" if len(lines) > 3 else "")] if len(lines) > 2 else lines)


def plot_learning_curves(
    histories: dict[str, list[dict[str, Any]]], path: Path, title: str = "learning curves"
) -> Path:
    """Training loss and dev macro-F1 per epoch for one or more runs (rows of train_log.csv / log_history)."""
    plt = pyplot()
    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name, rows in histories.items():
        train = [(r["epoch"], r["loss"]) for r in rows if r.get("loss") not in (None, "")]
        dev = [(r["epoch"], r["eval_macro_f1"]) for r in rows if r.get("eval_macro_f1") not in (None, "")]
        if train:
            loss_ax.plot(*zip(*train), marker="o", label=name)
        if dev:
            f1_ax.plot(*zip(*dev), marker="o", label=name)
    loss_ax.set(xlabel="epoch", ylabel="training loss", title="training loss")
    f1_ax.set(xlabel="epoch", ylabel="dev macro-F1", title="dev macro-F1", ylim=(0, 1))
    f1_ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
