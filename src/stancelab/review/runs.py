"""Notebook 02 (experiments): runs, their metrics, confidence intervals, slices, errors and configs.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from stancelab.data.io import read_jsonl_objects, read_text
from stancelab.evaluate.compare import comparison_rows, load_run, metrics_row


def load_runs(dirs: list[str | os.PathLike]) -> dict[str, Path]:
    """Run name -> run directory, checking each is a finished run (it has metrics.json).

    The name is the folder name, or the whole path when two runs share a folder name.
    """
    names = [Path(d).name for d in dirs]
    runs = {}
    for d, name in zip(dirs, names):
        load_run(d)  # a clear error for a folder that is not a finished run
        runs[str(d) if names.count(name) > 1 else name] = Path(d)
    return runs


def read_train_log(run_dir: str | os.PathLike) -> list[dict[str, float | None]]:
    """Rows of ``train_log.csv`` as numbers (None where the cell is empty), ready for plot_learning_curves."""
    path = Path(run_dir) / "train_log.csv"
    rows = csv.DictReader(io.StringIO(read_text(path)))
    return [{key: float(value) if value not in ("", None) else None for key, value in row.items()} for row in rows]


def system_name(run_dir: str | os.PathLike) -> str:
    """How a run's model was trained, from its ``config.yaml``: "fine-tuned" or "setfit"."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        return "fine-tuned"
    import yaml

    method = ((yaml.safe_load(read_text(path)) or {}).get("train") or {}).get("method", "finetune")
    return "fine-tuned" if method == "finetune" else str(method)


def metrics_frame(runs: dict[str, Path], split: str = "test", baselines: bool = True) -> Any:
    """One row per run and per baseline of each run: n, accuracy, macro-F1 with its 95% CI, ECE, F1 per label."""
    import pandas as pd

    rows = []
    for name, run_dir in runs.items():
        rows.append({**comparison_rows([str(run_dir)], split)[0], "run": name, "system": system_name(run_dir)})
        for system, result in (load_run(run_dir).get("baselines", {}) if baselines else {}).items():
            rows.append({"run": name, "system": system, **metrics_row(result[split])})
    frame = pd.DataFrame(rows).set_index(["run", "system"])
    return frame[[c for c in frame.columns if c != "ece"] + ["ece"]]


def lodo_frame(paths: list[str | os.PathLike]) -> Any:
    """One row per method of each leave-domain-out result (``experiments/*/lodo.json``): held-out domains,
    mean macro-F1 over them, the mean without test-split examples (what configs are chosen on), mean
    conditional F1 and the in-domain test macro-F1 where the experiment trained the in-domain model."""
    import pandas as pd

    rows = []
    for path in paths:
        results = json.loads(read_text(Path(path)))
        for method, entry in results["methods"].items():
            mean, reference = entry.get("mean") or {}, entry.get("in_domain") or {}
            rows.append(
                {
                    "experiment": Path(path).parent.name,
                    "method": method,
                    "domains": len(entry["folds"]),
                    "lodo_macro_f1": mean.get("macro_f1"),
                    "lodo_std": (entry.get("std") or {}).get("macro_f1"),
                    "lodo_without_test_split": (entry.get("selection_mean") or {}).get("macro_f1"),
                    "lodo_f1_conditional": mean.get("f1_conditional"),
                    "in_domain_test_macro_f1": (reference.get("test") or {}).get("macro_f1"),
                }
            )
    return pd.DataFrame(rows).set_index(["experiment", "method"]) if rows else pd.DataFrame()


def curve_frame(path: str | os.PathLike) -> Any:
    """Learning-curve table of ``experiments/curve/curve.json``: "mean ± std (seeds)" of dev macro-F1,
    one row per method, one column per training-set size."""
    import pandas as pd

    results = json.loads(read_text(Path(path)))
    table = {
        method: {
            f"n={size}": f"{cell['mean']['macro_f1']:.3f} ± {cell['std']['macro_f1']:.3f} ({cell['seeds']})"
            for size, cell in entry["summary"].items()
        }
        for method, entry in results["methods"].items()
    }
    sizes = [f"n={size}" for size in results["sizes"]]
    return pd.DataFrame.from_dict(table, orient="index").reindex(columns=sizes).fillna("-")


def ci_figure(frame: Any, title: str = "test macro-F1 with 95% bootstrap CI") -> Any:
    """Macro-F1 of every row of ``metrics_frame`` as a dot with its confidence interval; returns the Figure."""
    import matplotlib.pyplot as plt

    names = [" / ".join(index) for index in frame.index]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(frame) + 1.3))
    y = list(range(len(frame)))
    errors = [frame["macro_f1"] - frame["ci_low"], frame["ci_high"] - frame["macro_f1"]]
    ax.errorbar(frame["macro_f1"], y, xerr=errors, fmt="o", capsize=4, color="#333333")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="macro-F1", title=title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def slice_frame(runs: dict[str, Path], metric: str = "macro_f1") -> Any:
    """Test ``metric`` per slice value (kind, domain, speaker type, target seen/unseen), one column per run."""
    import pandas as pd

    columns = {}
    counts: dict[tuple[str, str], int] = {}
    for name, run_dir in runs.items():
        slices = load_run(run_dir).get("slices_test", {})
        cells = {(s, value): scores for s, groups in slices.items() for value, scores in groups.items()}
        columns[name] = {key: scores[metric] for key, scores in cells.items()}
        counts.update({key: scores["n"] for key, scores in cells.items()})
    frame = pd.DataFrame({"n": counts, **columns})
    frame.index.names = ["slice", "value"]
    return frame


ERROR_COLUMNS = ["label", "predicted", "confidence", "speaker", "target", "kind", "text", "note"]


def top_errors(run_dir: str | os.PathLike, split: str = "test", n: int = 10) -> Any:
    """The ``n`` most confident misclassifications of a run (``errors_<split>.jsonl`` is already in that order)."""
    import pandas as pd

    path = Path(run_dir) / f"errors_{split}.jsonl"
    rows = [row for _, row in read_jsonl_objects(path)] if read_text(path).strip() else []  # a perfect run has none
    return pd.DataFrame(rows[:n]).reindex(columns=ERROR_COLUMNS).round({"confidence": 3})


def run_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The resolved config a run was trained with (``config.yaml``)."""
    import yaml

    return yaml.safe_load(read_text(Path(run_dir) / "config.yaml"))


CONFIG_KEYS = ("model.name_or_path", "model.max_length", "train.epochs", "train.learning_rate", "train.seed")


def config_frame(runs: dict[str, Path], keys: tuple[str, ...] = CONFIG_KEYS) -> Any:
    """Selected config values (``section.key``) side by side, one column per run."""
    import pandas as pd

    table = {}
    for name, run_dir in runs.items():
        config = run_config(run_dir)
        table[name] = {key: _dig(config, key) for key in keys}
    return pd.DataFrame(table)


def _dig(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
