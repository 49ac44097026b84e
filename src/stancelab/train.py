"""Fine-tune a pretrained encoder to label (speaker, target, text) examples, through the transformers Trainer.

    python -m stancelab.train --config configs/default.yaml [section.key=value ...]
    python -m stancelab.train --config configs/setfit.yaml     # SetFit, for a few hundred labels

writes a self-describing run directory ``runs/<run_name>/``::

    config.yaml            the resolved config
    model/                 safetensors weights, tokenizer, config.json (label names), stancelab.json
    metrics.json           {"dev": {...}, "test": {...}} with CIs and calibration error
    predictions_dev.jsonl  per-example predictions with probabilities
    predictions_test.jsonl
    train_log.csv          loss and dev metrics per epoch (train_log.jsonl: the same, written as training runs)
    tensorboard/           the same, for TensorBoard

Work happens in ``runs/.<run_name>.partial/``; rerunning the same command after a crash resumes from
its last checkpoint, and the finished run replaces ``runs/<run_name>`` only once complete, so a failed
run never destroys a finished one. The same command runs under ``torchrun``/``accelerate launch``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
from transformers import TrainerCallback

from stancelab.baselines import format_comparison, run_baselines
from stancelab.benchmarks import read_split
from stancelab.config import Config, ConfigError, load_config, save_config
from stancelab.evaluate import evaluate_examples
from stancelab.io import InputError, atomic_write_json, atomic_write_jsonl, atomic_write_text
from stancelab.metrics import classification_metrics, fit_temperature, format_metrics_table
from stancelab.modeling import ModelSpec, encode, load_for_training, save_model
from stancelab.predict import LoadedModel, predict_logits
from stancelab.report import write_run_report
from stancelab.schema import Example, read_examples


def train(config: Config, run_dir: str | Path, *, overwrite: bool = False) -> dict[str, Any]:
    """Train, calibrate, evaluate and save one run; returns ``{"dev": metrics, "test": metrics}``."""
    run_dir = Path(run_dir)
    work_dir = _work_dir(run_dir, config, overwrite)
    _set_threads_and_seed(config)
    splits = load_splits(config)
    fit = fit_setfit if config.train.method == "setfit" else fit_finetune
    loaded, history = fit(config, splits, work_dir)
    if loaded is None:  # not the main process of a distributed run
        return {}
    loaded.spec.temperature = calibrate(loaded, splits["dev"])
    save_model(loaded.model, loaded.tokenizer, loaded.spec, work_dir / "model")
    metrics, rows = evaluate_and_write(loaded, splits, work_dir)
    write_log(history, work_dir / "train_log.csv")
    write_reports(config, run_dir.name, splits, metrics, rows, work_dir)
    _finish(work_dir, run_dir)
    return metrics


def fit_finetune(
    config: Config, splits: dict[str, list[Example]], work_dir: Path
) -> tuple[LoadedModel | None, list[dict[str, Any]]]:
    """Fine-tune through the transformers Trainer, resuming from the last checkpoint in ``work_dir``.

    Returns the model with the best dev epoch and the Trainer's log; ``(None, [])`` on the processes of
    a distributed run other than the main one.
    """
    tokenizer, model = load_for_training(
        config.model.name_or_path, config.data.labels, config.model.dropout, config.model.pooling
    )
    spec = model_spec(config)
    trainer = build_trainer(config, model, tokenizer, spec, splits, work_dir)
    checkpoint = _last_checkpoint(work_dir)
    if checkpoint and trainer.is_world_process_zero():
        print(f"resuming from {checkpoint}", file=sys.stderr)
    trainer.train(resume_from_checkpoint=checkpoint)
    if not trainer.is_world_process_zero():
        return None, []
    loaded = LoadedModel(model=trainer.model.eval(), tokenizer=tokenizer, spec=spec, path=work_dir / "model")
    return loaded, trainer.state.log_history


def fit_setfit(
    config: Config, splits: dict[str, list[Example]], work_dir: Path
) -> tuple[LoadedModel | None, list[dict[str, Any]]]:
    """SetFit on the train split (``stancelab.setfit_method``), exported to stancelab's model format.

    SetFit trains a fixed budget in one process: there is no dev selection, no checkpoint to resume
    from (a rerun starts the fit over) and no multi-process training.
    """
    from stancelab.setfit_method import SetFitMethod

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise InputError(
            f"train.method=setfit runs in one process, found WORLD_SIZE={os.environ['WORLD_SIZE']}. "
            "Fix: run `python -m stancelab.train` without torchrun/accelerate for SetFit."
        )
    scratch = work_dir / "setfit"
    method = SetFitMethod(config, scratch, max_steps=config.train.max_steps).fit(splits["train"])
    shutil.rmtree(scratch, ignore_errors=True)
    model, tokenizer, spec = method.export()
    return LoadedModel(model=model, tokenizer=tokenizer, spec=spec, path=work_dir / "model"), method.log_history


def model_spec(config: Config) -> ModelSpec:
    m = config.model
    return ModelSpec(
        labels=list(config.data.labels),
        template_a=m.template_a,
        template_b=m.template_b,
        max_length=m.max_length,
        pooling=m.pooling,
        base_model=m.name_or_path,
        official_metric=config.eval.official_metric,
        none_label=config.data.none_label if config.data.none_label in config.data.labels else None,
        none_threshold=config.model.none_threshold,
    )


def load_splits(config: Config) -> dict[str, list[Example]]:
    """Read train/dev/test (+ the extra files of ``data``); every example must carry a label from ``data.labels``.

    ``splits["silver"]`` holds the teacher-labelled examples of ``data.silver`` (empty without one) and
    ``splits["extra_test"]`` maps each extra test file to its examples.
    """
    labels = tuple(config.data.labels)
    d = config.data
    splits = {name: read_split(getattr(d, name), d) for name in ("train", "dev", "test")}
    for k, path in enumerate(d.extra_train):
        times = d.extra_train_repeat[k] if k < len(d.extra_train_repeat) else 1.0
        splits["train"] = splits["train"] + repeat_examples(read_split(path, d), times, config.train.seed)
    splits["dev"] = splits["dev"] + [ex for path in d.extra_dev for ex in read_split(path, d)]
    splits["silver"] = read_silver(d.silver, labels, d.none_label) if d.silver else []
    splits["extra_test"] = {path: read_split(path, d) for path in d.extra_test}
    missing = set(labels) - {ex.label for ex in splits["train"]}
    if missing:
        raise InputError(
            f"{config.data.train}: no training example has label(s) {sorted(missing)}; every label in "
            "data.labels needs training examples. Add examples or remove the label from data.labels."
        )
    return splits


def repeat_examples(examples: list[Example], times: float, seed: int) -> list[Example]:
    """``examples`` repeated ``times`` times: whole copies, then a seeded sample for the fraction."""
    whole, fraction = int(times), times - int(times)
    rng = np.random.default_rng(seed)
    sample = rng.permutation(len(examples))[: round(fraction * len(examples))]
    return examples * whole + [examples[i] for i in sorted(sample)]


def read_silver(path: str, labels: tuple[str, ...], none_label: str = "none") -> list[Example]:
    """Teacher-labelled examples: each needs ``probs`` with a probability for every label of the model, or
    for every label but ``none_label`` (a stance teacher: the student then learns the stance given that
    there is a position, and its "no position" output from gold rows only)."""
    examples = read_examples(path, labels=None)
    stance = set(labels) - {none_label}
    for ex in examples:
        probs = ex.meta.get("probs")
        if not isinstance(probs, dict) or set(probs) not in (set(labels), stance):
            raise InputError(
                f"{path}: example {ex.id!r} needs 'probs' with one probability for each of {', '.join(labels)} "
                f"(or of all but {none_label!r}), found {probs!r}. Regenerate the file with "
                "`python -m stancelab.distill` from a teacher trained on these labels."
            )
    return examples


def to_dataset(examples: list[Example], tokenizer: Any, spec: ModelSpec, soft: dict | None = None) -> Any:
    """Tokenised ``datasets.Dataset`` with a ``labels`` column (padding is left to the collator).

    With ``soft`` (``{"silver": [...], "silver_weight": w, "class_weights": [...] | None}``) the labels are
    probability vectors scaled by each example's weight: one-hot for gold, the teacher's probabilities
    for silver, learnt with the soft cross-entropy of ``_loss_fn``.
    """
    from datasets import Dataset

    if soft is None:
        features = dict(encode(examples, tokenizer, spec))
        features["labels"] = [spec.labels.index(ex.label) for ex in examples]
        return Dataset.from_dict(features)
    features = dict(encode(examples + soft["silver"], tokenizer, spec))
    gold = np.eye(len(spec.labels))[[spec.labels.index(ex.label) for ex in examples]]
    # A label the teacher does not score is marked -1: the loss leaves that logit out for the example.
    silver = np.array(
        [[ex.meta["probs"].get(label, -1.0) for label in spec.labels] for ex in soft["silver"]]
    ).reshape(-1, len(spec.labels))
    silver = np.where(silver < 0, -1.0, soft["silver_weight"] * silver)
    targets = np.concatenate([gold, silver])
    if soft["class_weights"] is not None:
        targets = np.where(targets < 0, -1.0, targets * np.asarray(soft["class_weights"]))
    features["labels"] = targets.astype(np.float32).tolist()
    return Dataset.from_dict(features)


def build_trainer(
    config: Config, model: Any, tokenizer: Any, spec: ModelSpec, splits: dict[str, list[Example]], work_dir: Path
) -> Any:
    """A transformers Trainer with dev macro-F1 model selection, early stopping and CSV/TensorBoard logs."""
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer

    callbacks = [JsonlLogCallback(work_dir / "train_log.jsonl"), *_tensorboard(work_dir)]
    if config.train.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.train.early_stopping_patience))
    return Trainer(
        model=model,
        args=training_arguments(config, work_dir),
        train_dataset=to_dataset(splits["train"], tokenizer, spec, _soft_targets(config, splits)),
        eval_dataset=to_dataset(splits["dev"], tokenizer, spec),
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_metric_fn(spec.labels),
        compute_loss_func=_loss_fn(config, splits["train"], soft=bool(splits.get("silver"))),
        callbacks=callbacks,
    )


def training_arguments(config: Config, work_dir: Path) -> Any:
    from transformers import TrainingArguments

    t = config.train
    return TrainingArguments(
        output_dir=str(work_dir / "checkpoints"),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a ratio of total steps
        lr_scheduler_type=t.scheduler,
        seed=t.seed,
        data_seed=t.seed,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=t.select_best,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        save_total_limit=t.save_total_limit,
        report_to=[],
        use_cpu=not _cuda_available(),
        disable_tqdm=not sys.stderr.isatty(),
        ddp_backend=_ddp_backend(),
        train_sampling_strategy=t.sampling,
    )


def _ddp_backend() -> str | None:
    """gloo for multi-process CPU runs (torchrun --nproc_per_node=N); the library default otherwise."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return "gloo" if distributed and not _cuda_available() else None


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def _metric_fn(labels: list[str]):
    def compute(eval_pred: Any) -> dict[str, float]:
        logits, label_ids = eval_pred
        predicted = [labels[i] for i in np.asarray(logits).argmax(axis=1)]
        gold = [labels[i] for i in label_ids]
        metrics = classification_metrics(gold, predicted, labels)
        out = {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}
        out.update({f"f1_{label}": metrics["per_class"][label]["f1"] for label in labels})
        return out

    return compute


def _soft_targets(config: Config, splits: dict[str, Any]) -> dict | None:
    if not splits.get("silver"):
        return None
    return {
        "silver": splits["silver"],
        "silver_weight": config.train.silver_weight,
        "class_weights": class_weights(config, splits["train"]),
    }


def _loss_fn(config: Config, train_examples: list[Example], soft: bool = False):
    """Weighted cross-entropy when ``train.class_weights`` asks for it; soft cross-entropy with silver
    data (targets are weighted probability vectors, see ``to_dataset``); None keeps the model's own loss."""
    weights = class_weights(config, train_examples)
    if weights is None and not soft:
        return None
    import torch

    tensor = torch.tensor(weights or [1.0] * len(config.data.labels), dtype=torch.float32)

    def loss(outputs: Any, labels: Any, num_items_in_batch: Any = None) -> Any:
        logits = outputs.logits
        if labels.dim() == 2:  # soft targets, (batch, labels), already weighted; -1 = label left out
            scored = labels >= 0
            log_p = torch.log_softmax(logits.masked_fill(~scored, float("-inf")), dim=-1)
            return -(labels.clamp(min=0) * log_p.masked_fill(~scored, 0.0)).sum(dim=-1).mean()
        return torch.nn.functional.cross_entropy(logits, labels, weight=tensor.to(logits.device))

    return loss


def class_weights(config: Config, train_examples: list[Example]) -> list[float] | None:
    """None, the explicit list, or 'balanced' weights n / (k * count_c) as in scikit-learn."""
    setting, labels = config.train.class_weights, config.data.labels
    if setting == "none":
        return None
    if isinstance(setting, list):
        return [float(w) for w in setting]
    counts = np.array([sum(ex.label == label for ex in train_examples) for label in labels], dtype=float)
    return (counts.sum() / (len(labels) * np.maximum(counts, 1))).tolist()


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


class JsonlLogCallback(TrainerCallback):
    """Append every Trainer log record (loss, learning rate, dev metrics) to a JSONL file as it happens."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"epoch": state.epoch, "step": state.global_step, **logs}) + "\n")


def write_log(history: list[dict[str, Any]], path: Path) -> None:
    """Write the Trainer's full history (complete even after a resume) as CSV, one column per key."""
    columns = list(dict.fromkeys(key for row in history for key in ("epoch", "step", *row)))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, buffer.getvalue())


def _tensorboard(work_dir: Path) -> list:
    try:
        from torch.utils.tensorboard import SummaryWriter
        from transformers.integrations import TensorBoardCallback
    except ImportError:  # tensorboard is optional; the CSV log is always written
        return []
    return [TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(work_dir / "tensorboard")))]


def _work_dir(run_dir: Path, config: Config, overwrite: bool) -> Path:
    """The partial directory to train in; refuses to touch a finished run unless ``overwrite``."""
    if (run_dir / "metrics.json").exists() and not overwrite:
        raise InputError(
            f"{run_dir} already holds a finished run. Pass --overwrite to replace it once the new run "
            f"finishes, or choose another name with train.run_name=<name>."
        )
    work_dir = run_dir.parent / f".{run_dir.name}.partial"
    saved = work_dir / "config.yaml"
    if saved.exists() and _last_checkpoint(work_dir):
        _check_same_config(saved, config, work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, saved)
    return work_dir


def _check_same_config(saved: Path, config: Config, work_dir: Path) -> None:
    previous = load_config(saved)
    if previous.to_dict() != config.to_dict():
        raise InputError(
            f"{work_dir} holds checkpoints of an unfinished run with a different config. Rerun with the "
            f"same config to resume, or delete {work_dir} to start over."
        )


def _last_checkpoint(work_dir: Path) -> str | None:
    """The newest complete checkpoint: the Trainer writes trainer_state.json last, so a checkpoint cut
    short by a kill has none (or a truncated one) and is skipped."""
    folders = (work_dir / "checkpoints").glob("checkpoint-*")
    for folder in sorted(folders, key=lambda p: int(p.name.rsplit("-", 1)[1]), reverse=True):
        try:
            json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return str(folder)
    return None


def _finish(work_dir: Path, run_dir: Path) -> None:
    """Drop checkpoints, then swap the finished work directory into place."""
    shutil.rmtree(work_dir / "checkpoints", ignore_errors=True)
    old = run_dir.parent / f".{run_dir.name}.replaced"
    if run_dir.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(run_dir, old)
    os.replace(work_dir, run_dir)
    shutil.rmtree(old, ignore_errors=True)


def _set_threads_and_seed(config: Config) -> None:
    import torch
    from transformers import set_seed

    if config.train.num_threads > 0:
        torch.set_num_threads(config.train.num_threads)
    set_seed(config.train.seed)


def train_seeds(config: Config, seeds: list[int], overwrite: bool = False) -> dict[str, Any]:
    """One run per seed (``<run_name>-seed<N>``); returns and saves mean and std of the test metrics."""
    runs = {}
    for seed in seeds:
        seeded = copy.deepcopy(config)
        seeded.train.seed = seed
        seeded.train.run_name = f"{config.train.run_name}-seed{seed}"
        runs[seed] = train(seeded, Path(config.train.output_dir) / seeded.train.run_name, overwrite=overwrite)
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
        summary[split] = {
            k: {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}
            for k, v in values.items()
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="YAML config, e.g. configs/default.yaml")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. train.epochs=3")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished run of the same name")
    parser.add_argument("--seeds", nargs="+", type=int, help="train once per seed and report mean ± std")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, args.overrides)
        if args.seeds:
            _print_seed_summary(train_seeds(config, args.seeds, overwrite=args.overwrite))
            return 0
        run_dir = Path(config.train.output_dir) / config.train.run_name
        metrics = train(config, run_dir, overwrite=args.overwrite)
    except (InputError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if metrics:
        _print_run(run_dir, config, metrics)
    return 0


def _print_run(run_dir: Path, config: Config, metrics: dict[str, Any]) -> None:
    print(f"\nrun directory: {run_dir}")
    print(format_metrics_table(metrics["test"], title=f"test ({config.data.test})"))
    for path, extra in metrics.get("extra_test", {}).items():
        print()
        print(format_metrics_table(extra, title=f"extra test ({path})"))
    if metrics.get("baselines"):
        systems = {config.train.method: {"test": metrics["test"]}, **metrics["baselines"]}
        print(f"\nagainst baselines on the same test split:\n{format_comparison(systems)}")
    print(f"\nreport: {run_dir / 'report.md'}")


def _print_seed_summary(summary: dict[str, Any]) -> None:
    if not summary.get("test"):
        return
    print(f"\nseeds {summary['seeds']} (mean ± std):")
    for split in ("dev", "test"):
        cells = "  ".join(f"{k}={v['mean']:.3f}±{v['std']:.3f}" for k, v in summary[split].items())
        print(f"{split:>5}: {cells}")


if __name__ == "__main__":
    sys.exit(main())
