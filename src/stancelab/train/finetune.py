"""Fine-tuning through the transformers Trainer: dev macro-F1 model selection, early stopping,
class weights, CSV/JSONL/TensorBoard logs, multi-process runs under ``torchrun`` / ``accelerate launch``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from transformers import TrainerCallback
from transformers.trainer_callback import PrinterCallback, ProgressCallback

from stancelab.config import Config
from stancelab.data.schema import Example
from stancelab.evaluate.metrics import classification_metrics
from stancelab.models.inputs import encode
from stancelab.models.modeling import load_for_training
from stancelab.models.spec import LoadedModel, ModelSpec
from stancelab.train.rundir import _last_checkpoint


def fit_finetune(
    config: Config, splits: dict[str, list[Example]], work_dir: Path, *, quiet: bool = False
) -> tuple[LoadedModel | None, list[dict[str, Any]]]:
    """Fine-tune through the transformers Trainer, resuming from the last checkpoint in ``work_dir``.

    Returns the model with the best dev epoch and the Trainer's log; ``(None, [])`` on the processes of
    a distributed run other than the main one. Prints one line per epoch unless ``quiet``.
    """
    tokenizer, model = load_for_training(
        config.model.name_or_path, config.data.labels, config.model.dropout, config.model.pooling
    )
    spec = model_spec(config)
    trainer = build_trainer(config, model, tokenizer, spec, splits, work_dir, quiet=quiet)
    checkpoint = _last_checkpoint(work_dir)
    if checkpoint and trainer.is_world_process_zero():
        print(f"resuming from {checkpoint}", file=sys.stderr)
    trainer.train(resume_from_checkpoint=checkpoint)
    if not trainer.is_world_process_zero():
        return None, []
    loaded = LoadedModel(model=trainer.model.eval(), tokenizer=tokenizer, spec=spec, path=work_dir / "model")
    return loaded, trainer.state.log_history


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
        statement_threshold=config.model.statement_threshold,
    )


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
    config: Config,
    model: Any,
    tokenizer: Any,
    spec: ModelSpec,
    splits: dict[str, list[Example]],
    work_dir: Path,
    *,
    quiet: bool = False,
) -> Any:
    """A transformers Trainer with dev macro-F1 model selection, early stopping and CSV/TensorBoard logs."""
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer

    callbacks = [JsonlLogCallback(work_dir / "train_log.jsonl"), *_tensorboard(work_dir)]
    if config.train.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.train.early_stopping_patience))
    trainer = Trainer(
        model=model,
        args=training_arguments(config, work_dir, quiet=quiet),
        train_dataset=to_dataset(splits["train"], tokenizer, spec, _soft_targets(config, splits)),
        eval_dataset=to_dataset(splits["dev"], tokenizer, spec),
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=_metric_fn(spec.labels),
        compute_loss_func=_loss_fn(config, splits["train"], soft=bool(splits.get("silver"))),
        callbacks=callbacks,
    )
    _readable_console(trainer, quiet)
    return trainer


def _readable_console(trainer: Any, quiet: bool) -> None:
    """One line per epoch instead of the Trainer's raw log dicts; the bars stay (on a terminal)."""
    trainer.remove_callback(PrinterCallback)
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(_BarsOnly())
    if not quiet:
        trainer.add_callback(EpochLineCallback())


class _BarsOnly(ProgressCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        pass  # EpochLineCallback prints the epoch's numbers


class EpochLineCallback(TrainerCallback):
    """``epoch 1/2: train loss 1.0986, dev macro-F1 0.333`` on stderr, after each epoch's evaluation."""

    def __init__(self):
        self.loss: float | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if "loss" in logs:
            self.loss = logs["loss"]
        if "eval_macro_f1" in logs:
            loss = f"train loss {self.loss:.4f}, " if self.loss is not None else ""
            epoch = f"{state.epoch:.0f}/{args.num_train_epochs:.0f}" if state.epoch else "?"
            print(f"epoch {epoch}: {loss}dev macro-F1 {logs['eval_macro_f1']:.3f}", file=sys.stderr)


def training_arguments(config: Config, work_dir: Path, *, quiet: bool = False) -> Any:
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
        disable_tqdm=quiet or not sys.stderr.isatty(),
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


class JsonlLogCallback(TrainerCallback):
    """Append every Trainer log record (loss, learning rate, dev metrics) to a JSONL file as it happens."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"epoch": state.epoch, "step": state.global_step, **logs}) + "\n")


def _tensorboard(work_dir: Path) -> list:
    try:
        from torch.utils.tensorboard import SummaryWriter
        from transformers.integrations import TensorBoardCallback
    except ImportError:  # tensorboard is optional; the CSV log is always written
        return []
    return [TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(work_dir / "tensorboard")))]
