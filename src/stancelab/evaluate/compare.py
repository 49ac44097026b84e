"""Tabulate finished runs side by side.

python -m stancelab.compare runs/default runs/tfidf-check [--split test] [--markdown]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from stancelab.cli import command, description
from stancelab.data.io import InputError, read_text


def load_run(run_dir: str | Path) -> dict[str, Any]:
    """The metrics of a finished run; a clear error for a folder that is not one."""
    path = Path(run_dir) / "metrics.json"
    if not path.is_file():
        raise InputError(
            f"{run_dir}: expected a finished run directory with metrics.json, found none. "
            "Runs are written by `python -m stancelab.train`; unfinished runs live in runs/.<name>.partial/."
        )
    return json.loads(read_text(path))


def metrics_row(m: dict[str, Any]) -> dict[str, Any]:
    """One flat row of a split's metrics: n, accuracy, macro-F1 with its CI, ECE (None for the
    baselines, which have none) and the F1 of every label."""
    low, high = m["macro_f1_ci"]
    row = {"n": m["n"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "ci_low": low, "ci_high": high}
    return {**row, "ece": m.get("ece"), **{f"f1_{label}": v["f1"] for label, v in m["per_class"].items()}}


def comparison_rows(run_dirs: list[str], split: str = "test") -> list[dict[str, Any]]:
    """One ``metrics_row`` per run directory, named by the directory."""
    return [{"run": str(run_dir), **metrics_row(load_run(run_dir)[split])} for run_dir in run_dirs]


def format_rows(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    lines = ["  ".join(col.ljust(w) for col, w in zip(columns, widths))]
    return "\n".join(lines + ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells])


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "" if value is None else str(value)


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.compare", description=description(__doc__))
    parser.add_argument("runs", nargs="+", help="run directories")
    parser.add_argument("--split", default="test", choices=["dev", "test"])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    print(format_rows(comparison_rows(args.runs, args.split), markdown=args.markdown))
    return 0
