"""Run the experiments: leave-domain-out folds with the in-domain reference, and learning curves.
"""

from __future__ import annotations

import copy
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from stancelab.config import Config
from stancelab.data.readers import read_split
from stancelab.data.schema import Example
from stancelab.evaluate.metrics import bootstrap_macro_f1, classification_metrics
from stancelab.experiments.folds import domain_folds, nested_subsets
from stancelab.experiments.methods import make_method
from stancelab.experiments.summaries import _save_curve, _save_lodo, summarise, summarise_folds


def fit_and_score(
    method: Any, train: list[Example], dev: list[Example], evals: dict[str, list[Example]], labels: list[str]
) -> dict[str, Any]:
    """Fit once, then score every evaluation set: ``{"n_train", "n_dev", "fit_seconds", name: metrics}``."""
    start = time.perf_counter()
    method.fit(train, dev)
    result: dict[str, Any] = {
        "n_train": len(train),
        "n_dev": len(dev),
        "fit_seconds": round(time.perf_counter() - start, 1),
    }
    pooled = [ex for examples in evals.values() for ex in examples]
    predicted = method.predict(pooled)  # one call: models load and embed once
    begin = 0
    for name, examples in evals.items():
        gold, pred = [ex.label for ex in examples], predicted[begin : begin + len(examples)]
        result[name] = classification_metrics(gold, pred, labels)
        result[name]["macro_f1_ci"] = list(bootstrap_macro_f1(gold, pred, labels))
        begin += len(examples)
    return result


def run_lodo(
    config: Config,
    methods: list[str],
    *,
    domains: list[str] | None,
    in_domain: bool,
    extras: dict[str, list[Example]],
    dev_fraction: float,
    out_dir: Path,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Leave-domain-out folds (``domains=[]``: none) and the in-domain reference, per method."""
    splits = {name: read_split(getattr(config.data, name), config.data) for name in ("train", "dev", "test")}
    folds = (
        []
        if domains == []
        else domain_folds(
            splits["train"] + splits["dev"], splits["test"], domains, dev_fraction=dev_fraction, seed=config.train.seed
        )
    )
    labels = list(config.data.labels)
    results: dict[str, Any] = {
        "experiment": "lodo",
        "dev_fraction": dev_fraction,
        "config": config.to_dict(),
        "methods": {},
    }
    for name in methods:
        entry = results["methods"].setdefault(name, {"folds": {}})
        if in_domain:
            method = make_method(name, config, _work(options, name, "in-domain"), options)
            evals = {"test": splits["test"], **extras}
            entry["in_domain"] = _scored(method, splits["train"], splits["dev"], evals, labels, options, name)
            _save_lodo(results, out_dir)
        for fold in folds:
            method = make_method(name, config, _work(options, name, fold.domain), options)
            # a domain that lies wholly in the test split has nothing to choose configurations on
            evals = {"test": fold.test, **({"selection": fold.selection} if fold.selection else {})}
            entry["folds"][fold.domain] = _scored(method, fold.train, fold.dev, evals, labels, options, name)
            summarise_folds(entry)
            _save_lodo(results, out_dir)
    return results


def run_curve(
    config: Config, methods: list[str], *, sizes: list[str], seeds: list[int], out_dir: Path, options: dict[str, Any]
) -> dict[str, Any]:
    """Dev macro-F1 per method, training-set size and seed, with mean and std over seeds."""
    splits = {name: read_split(getattr(config.data, name), config.data) for name in ("train", "dev")}
    labels = list(config.data.labels)
    results: dict[str, Any] = {
        "experiment": "curve",
        "sizes": sizes,
        "seeds": seeds,
        "config": config.to_dict(),
        "methods": {},
    }
    for name in methods:
        entry = results["methods"].setdefault(name, {"runs": {}, "summary": {}})
        for seed in seeds:
            seeded = copy.deepcopy(config)
            seeded.train.seed = seed
            for size, subset in nested_subsets(splits["train"], sizes, seed).items():
                method = make_method(name, seeded, _work(options, name, f"n{size}-seed{seed}"), options)
                run = _scored(method, subset, splits["dev"], {"dev": splits["dev"]}, labels, options, name)
                entry["runs"].setdefault(size, {})[str(seed)] = run
                mean, std = summarise([r["dev"] for r in entry["runs"][size].values()])
                entry["summary"][size] = {
                    "n_train": len(subset),
                    "seeds": len(entry["runs"][size]),
                    "mean": mean,
                    "std": std,
                }
                _save_curve(results, out_dir)
    return results


def _work(options: dict[str, Any], method: str, part: str) -> Path:
    return Path(options["work_dir"]) / method / part


def _scored(method: Any, train, dev, evals, labels, options: dict[str, Any], name: str) -> dict[str, Any]:
    """fit_and_score, then drop the method's run directory unless asked to keep it."""
    result = fit_and_score(method, train, dev, evals, labels)
    print(
        f"{name}: n_train={len(train)} " + " ".join(f"{k}={result[k]['macro_f1']:.3f}" for k in evals), file=sys.stderr
    )
    work_dir = getattr(method, "work_dir", None)
    if work_dir is not None and not options.get("keep_runs"):
        shutil.rmtree(work_dir, ignore_errors=True)
    return result
