"""Grouped k-fold cross-validation by article, for data sets too small for a fixed dev split.

    python -m stancelab.crossval --config configs/default.yaml --folds 5 [section.key=value ...]

Train and dev are pooled and cut into k folds with no article in two folds (scikit-learn's
``GroupKFold``); each fold is held out once while the model trains on the rest for a fixed number of
epochs (no early stopping, so the held-out fold plays no part in model selection). The test split is
never touched. Writes ``<output_dir>/<run_name>-cv/folds.json`` with per-fold and mean ± std scores.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

from sklearn.model_selection import GroupKFold

from stancelab.cli import command, description
from stancelab.config import Config, load_config
from stancelab.data.io import InputError, atomic_write_json
from stancelab.data.readers import read_split
from stancelab.data.schema import Example, write_examples
from stancelab.evaluate.metrics import mean_std_table
from stancelab.train.run import train


def fold_splits(examples: list[Example], k: int) -> list[tuple[list[Example], list[Example]]]:
    """(train, held-out) pairs; every article falls in exactly one held-out fold."""
    groups = [ex.article_id for ex in examples]
    n_groups = len(set(groups))
    if n_groups < k:
        raise InputError(f"--folds {k} needs at least {k} articles in train+dev, found {n_groups}. Use fewer folds.")
    cut = GroupKFold(n_splits=k)
    return [([examples[i] for i in tr], [examples[i] for i in te]) for tr, te in cut.split(examples, groups=groups)]


def cross_validate(config: Config, k: int, overwrite: bool = False) -> dict[str, Any]:
    """Train one model per fold and summarise held-out macro-F1 and per-class F1."""
    pool = [ex for path in (config.data.train, config.data.dev) for ex in read_split(path, config.data)]
    root = Path(config.train.output_dir) / f"{config.train.run_name}-cv"
    folds = []
    for i, (train_part, held_out) in enumerate(fold_splits(pool, k)):
        fold = copy.deepcopy(config)
        fold.data.train = str(write_examples(root / "data" / f"fold{i}-train.jsonl", train_part))
        fold.data.dev = fold.data.test = str(write_examples(root / "data" / f"fold{i}-heldout.jsonl", held_out))
        fold.train.early_stopping_patience, fold.train.select_best = 0, False
        fold.train.output_dir, fold.train.run_name = str(root), f"fold{i}"
        fold.eval.baselines = []
        folds.append(train(fold, root / f"fold{i}", overwrite=overwrite)["dev"])
    summary = summarise_folds(folds)
    atomic_write_json(root / "folds.json", summary)
    return summary


def summarise_folds(folds: list[dict[str, Any]]) -> dict[str, Any]:
    scores = {"macro_f1": [f["macro_f1"] for f in folds], "accuracy": [f["accuracy"] for f in folds]}
    for label in folds[0]["per_class"]:
        scores[f"f1_{label}"] = [f["per_class"][label]["f1"] for f in folds]
    mean, std = mean_std_table(scores)
    return {"folds": len(folds), "per_fold": scores, "mean": mean, "std": std}


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.crossval", description=description(__doc__))
    parser.add_argument("--config", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("overrides", nargs="*", help="section.key=value")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    summary = cross_validate(load_config(args.config, args.overrides), args.folds, overwrite=args.overwrite)
    for key, mean in summary["mean"].items():
        print(f"{key:>16}: {mean:.3f} ± {summary['std'][key]:.3f}  over {summary['folds']} folds")
    return 0
