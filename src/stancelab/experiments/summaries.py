"""Summaries of experiment results: mean and std over folds and seeds, Markdown tables, the curve plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancelab.data.io import atomic_write_json, atomic_write_text
from stancelab.evaluate.metrics import mean_std_table
from stancelab.viz import pyplot, save_figure


def summarise_folds(entry: dict[str, Any]) -> None:
    """Set a method's LODO mean and std over its folds, and over the folds scored without test-split
    examples ("selection"), where there are any."""
    folds = list(entry["folds"].values())
    if folds:
        entry["mean"], entry["std"] = summarise([f["test"] for f in folds])
    chosen_on = [f["selection"] for f in folds if "selection" in f]
    if chosen_on:
        entry["selection_mean"], entry["selection_std"] = summarise(chosen_on)


def summarise(metrics: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and standard deviation (ddof=1; 0 for one value) of macro-F1 and per-label F1."""
    values: dict[str, list[float]] = {"macro_f1": [m["macro_f1"] for m in metrics]}
    for label in metrics[0]["labels"]:
        values[f"f1_{label}"] = [m["per_class"][label]["f1"] for m in metrics]
    return mean_std_table(values)


def lodo_markdown(results: dict[str, Any]) -> str:
    """A summary table (one row per method) and a per-domain table per method."""
    lines = [
        "| method | held-out domains | LODO macro-F1 (mean ± std) | LODO without test-split examples (for "
        "choosing configs) | in-domain test macro-F1 | gap | LODO F1 conditional | extra sets (macro-F1 / F1 "
        "conditional) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in results["methods"].items():
        mean, std, ref = entry.get("mean"), entry.get("std"), entry.get("in_domain")
        lodo = f"{mean['macro_f1']:.3f} ± {std['macro_f1']:.3f}" if mean else "-"
        chosen_on = entry.get("selection_mean")
        selection = f"{chosen_on['macro_f1']:.3f} ± {entry['selection_std']['macro_f1']:.3f}" if chosen_on else "-"
        test = f"{ref['test']['macro_f1']:.3f}" if ref else "-"
        gap = f"{mean['macro_f1'] - ref['test']['macro_f1']:+.3f}" if mean and ref else "-"
        cond = f"{mean['f1_conditional']:.3f}" if mean and "f1_conditional" in mean else "-"
        extra = ", ".join(
            f"{k}: {v['macro_f1']:.3f} / {v['per_class'].get('conditional', {}).get('f1', float('nan')):.3f}"
            for k, v in (ref or {}).items()
            if isinstance(v, dict) and "macro_f1" in v and k != "test"
        )
        lines.append(
            f"| {name} | {len(entry['folds'])} | {lodo} | {selection} | {test} | {gap} | {cond} | {extra or '-'} |"
        )
    for name, entry in results["methods"].items():
        if entry["folds"]:
            lines += ["", f"### {name}", "", *_per_label_table(entry["folds"], "domain")]
    return "\n".join(lines) + "\n"


def _per_label_table(rows: dict[str, dict[str, Any]], key: str) -> list[str]:
    labels = next(iter(rows.values()))["test"]["labels"]
    out = [
        f"| {key} | n train | n test | macro-F1 | " + " | ".join(f"F1 {lb}" for lb in labels) + " | fit s |",
        "|---|---|---|---|" + "---|" * len(labels) + "---|",
    ]
    for name, row in rows.items():
        m = row["test"]
        per = " | ".join(f"{m['per_class'][lb]['f1']:.3f}" for lb in labels)
        out.append(f"| {name} | {row['n_train']} | {m['n']} | {m['macro_f1']:.3f} | {per} | {row['fit_seconds']} |")
    return out


def curve_markdown(results: dict[str, Any]) -> str:
    """Dev macro-F1 (mean ± std over seeds) per method and training-set size."""
    sizes = results["sizes"]
    lines = ["| method | " + " | ".join(f"n={s}" for s in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for name, entry in results["methods"].items():
        cells = []
        for size in sizes:
            s = entry["summary"].get(str(size))
            cells.append(f"{s['mean']['macro_f1']:.3f} ± {s['std']['macro_f1']:.3f} ({s['seeds']})" if s else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: dev macro-F1, mean ± std over seeds (number of seeds)."]
    return "\n".join(lines) + "\n"


def plot_curve(results: dict[str, Any], path: Path) -> Path:
    """Dev macro-F1 against training-set size, one line per method, error bars = std over seeds."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    sizes = set()
    for name, entry in results["methods"].items():
        points = sorted((s["n_train"], s["mean"]["macro_f1"], s["std"]["macro_f1"]) for s in entry["summary"].values())
        if points:
            x, y, err = zip(*points)
            ax.errorbar(x, y, yerr=err, marker="o", capsize=4, label=name)
            sizes.update(x)
    ax.set(xscale="log", xlabel="training examples (log scale)", ylabel="dev macro-F1", title="Learning curves")
    ax.set_xticks(sorted(sizes), [str(n) for n in sorted(sizes)])
    ax.minorticks_off()
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def _save_lodo(results: dict[str, Any], out_dir: Path) -> None:
    atomic_write_json(out_dir / "lodo.json", results)
    atomic_write_text(out_dir / "lodo.md", lodo_markdown(results))


def _save_curve(results: dict[str, Any], out_dir: Path) -> None:
    atomic_write_json(out_dir / "curve.json", results)
    atomic_write_text(out_dir / "curve.md", curve_markdown(results))
    plot_curve(results, out_dir / "curve.png")
