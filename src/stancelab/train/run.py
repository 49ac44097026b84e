"""``train()``: one run from a config, as a table of contents of named steps; ``train_seeds()``: one per seed."""

from __future__ import annotations

import contextlib
import copy
import os
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.config import Config, load_splits
from stancelab.data.io import InputError, atomic_write_json, atomic_write_jsonl, exclusive_output
from stancelab.data.schema import Example
from stancelab.evaluate.baselines import run_baselines
from stancelab.evaluate.evaluation import evaluate_examples
from stancelab.evaluate.metrics import fit_temperature, mean_std
from stancelab.evaluate.report import write_run_report
from stancelab.models.modeling import resolve_model_path, save_model
from stancelab.models.spec import LoadedModel
from stancelab.predict.inference import predict_logits
from stancelab.train.finetune import fit_finetune
from stancelab.train.rundir import _check_not_finished, _finish, _work_dir, write_log
from stancelab.train.setfit_method import fit_setfit


def train(config: Config, run_dir: str | Path, *, overwrite: bool = False, quiet: bool = False) -> dict[str, Any]:
    """Train, calibrate, evaluate and save one run; returns ``{"dev": metrics, "test": metrics}``.

    The data files and the model path are read and checked before anything is created on disk, and a
    second ``train`` to the same run directory while this one runs is refused. ``quiet`` drops the
    per-epoch lines and progress bars.
    """
    run_dir = Path(run_dir)
    _check_not_finished(run_dir, overwrite)
    splits = load_splits(config)
    check_model_path(config.model.name_or_path)
    with _one_writer(run_dir):
        work_dir = _work_dir(run_dir, config, overwrite)
        _set_threads_and_seed(config)
        if config.train.method == "setfit":
            loaded, history = fit_setfit(config, splits, work_dir)
        else:
            loaded, history = fit_finetune(config, splits, work_dir, quiet=quiet)
        if loaded is None:  # not the main process of a distributed run
            return {}
        loaded.spec.temperature = calibrate(loaded, splits["dev"])
        save_model(loaded.model, loaded.tokenizer, loaded.spec, work_dir / "model")
        metrics, rows = evaluate_and_write(loaded, splits, work_dir)
        write_log(history, work_dir / "train_log.csv")
        write_reports(config, run_dir.name, splits, metrics, rows, work_dir)
        _finish(work_dir, run_dir)
    return metrics


def _one_writer(run_dir: Path):
    """The run directory's lock, held by the main process only (the ranks of a torchrun share the run)."""
    if int(os.environ.get("RANK", "0")) != 0:
        return contextlib.nullcontext(run_dir)
    return exclusive_output(run_dir)


def check_model_path(name_or_path: str) -> None:
    """A model named by a path (absolute, ``./``, ``~`` or existing) must be a folder with config.json;
    a hub id ("org/name") is left to transformers."""
    path = Path(resolve_model_path(name_or_path)).expanduser()
    if not (path.is_absolute() or name_or_path.startswith((".", "~")) or path.exists()):
        return
    if (path / "config.json").is_file():
        return
    found = "no such folder" if not path.exists() else "a file" if path.is_file() else "a folder without config.json"
    raise InputError(
        f"model.name_or_path {name_or_path}: expected a model folder with config.json (a transformers encoder "
        f"saved with save_pretrained), found {found}. Fix the path, or use the bundled all-MiniLM-L6-v2."
    )


def calibrate(loaded: LoadedModel, dev: list[Example]) -> float:
    """Fit a softmax temperature on dev (minimum negative log-likelihood)."""
    logits = predict_logits(dev, loaded)
    gold = np.array([loaded.labels.index(ex.label) for ex in dev])
    return fit_temperature(logits, gold)


def evaluate_and_write(
    loaded: LoadedModel, splits: dict[str, list[Example]], work_dir: Path
) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    """Evaluate dev and test with the final (calibrated) model; write predictions, return metrics and rows."""
    metrics: dict[str, Any] = {}
    rows: dict[str, list[dict]] = {}
    for name in ("dev", "test"):
        metrics[name], rows[name] = evaluate_examples(splits[name], loaded)
        atomic_write_jsonl(work_dir / f"predictions_{name}.jsonl", rows[name])
    for path, examples in splits.get("extra_test", {}).items():
        metrics.setdefault("extra_test", {})[path], extra_rows = evaluate_examples(examples, loaded)
        atomic_write_jsonl(work_dir / f"predictions_{Path(path).stem}.jsonl", extra_rows)
    metrics["temperature"] = loaded.spec.temperature
    return metrics, rows


def write_reports(
    config: Config,
    name: str,
    splits: dict[str, list[Example]],
    metrics: dict[str, Any],
    rows: dict[str, list[dict]],
    work_dir: Path,
) -> None:
    """Baselines, slices, errors, plots, report.md, the model card; metrics.json last (it marks the run done)."""
    stance_config, stance_splits = stance_only(config, splits)
    baselines = run_baselines(stance_config, stance_splits, tuple(config.eval.baselines))
    metrics["baselines"] = {b: {"C": r["C"], "dev": r["dev"], "test": r["test"]} for b, r in baselines.items()}
    metrics["slices_test"] = write_run_report(
        work_dir, name, config.to_dict(), metrics, rows, splits["train"], baselines
    )
    atomic_write_json(work_dir / "metrics.json", metrics)


def stance_only(config: Config, splits: dict[str, Any]) -> tuple[Config, dict[str, list[Example]]]:
    """Train/dev/test without "no position" rows, and a config without that label: the baselines are
    stance classifiers, scored like the model on the stance test split."""
    none = config.data.none_label
    parts = {name: splits[name] for name in ("train", "dev", "test")}
    if none not in config.data.labels:
        return config, parts
    stance = copy.deepcopy(config)
    stance.data.labels = [label for label in config.data.labels if label != none]
    return stance, {name: [ex for ex in items if ex.label != none] for name, items in parts.items()}


def _set_threads_and_seed(config: Config) -> None:
    import torch
    from transformers import set_seed

    if config.train.num_threads > 0:
        torch.set_num_threads(config.train.num_threads)
    set_seed(config.train.seed)


def train_seeds(config: Config, seeds: list[int], overwrite: bool = False, quiet: bool = False) -> dict[str, Any]:
    """One run per seed (``<run_name>-seed<N>``); returns and saves mean and std of the test metrics."""
    runs = {}
    for seed in seeds:
        seeded = copy.deepcopy(config)
        seeded.train.seed = seed
        seeded.train.run_name = f"{config.train.run_name}-seed{seed}"
        run_dir = Path(config.train.output_dir) / seeded.train.run_name
        runs[seed] = train(seeded, run_dir, overwrite=overwrite, quiet=quiet)
    if not all(runs.values()):  # not the main process of a distributed run
        return {}
    summary = summarise_seeds(runs)
    atomic_write_json(Path(config.train.output_dir) / f"{config.train.run_name}-seeds.json", summary)
    return summary


def summarise_seeds(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation over seeds of accuracy, macro-F1 and per-class F1, for dev and test."""
    summary: dict[str, Any] = {"seeds": list(runs)}
    for split in ("dev", "test"):
        values: dict[str, list[float]] = {}
        for metrics in runs.values():
            m = metrics[split]
            scores = {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"]}
            scores.update({f"f1_{label}": v["f1"] for label, v in m["per_class"].items()})
            for key, value in scores.items():
                values.setdefault(key, []).append(value)
        summary[split] = {k: dict(zip(("mean", "std"), mean_std(v))) for k, v in values.items()}
    return summary
