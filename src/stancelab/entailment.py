"""Stance as entailment: score one hypothesis per label against the statement with a binary cross-encoder.

Every labelled example becomes one (statement, hypothesis) pair per label::

    statement:  "Berg said he would back the merger only if jobs were protected."
    hypotheses: "Karl Berg supports the merger"                          -> 0
                "Karl Berg opposes the merger"                           -> 0
                "Karl Berg supports the merger only under a condition"   -> 1

The encoder is fine-tuned on the pairs as a two-class (not entailed / entailed) classifier through the
transformers Trainer, with the same training arguments, dev model selection and early stopping as
``stancelab.train``. An example gets the label whose hypothesis scores highest, the score being the
logit of "entailed" minus the logit of "not entailed". The label names reach the model as words, which
is the point: the hypothesis carries the meaning of the label instead of a fresh classifier row.

    >>> method = EntailmentMethod(config, "runs/entailment").fit(train, dev)  # doctest: +SKIP
    >>> method.predict(test)[:2]  # doctest: +SKIP
    ['support', 'conditional']
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.config import Config
from stancelab.io import InputError
from stancelab.metrics import classification_metrics
from stancelab.schema import Example

HYPOTHESES = {
    "support": "{speaker} supports {target}",
    "oppose": "{speaker} opposes {target}",
    "conditional": "{speaker} supports {target} only under a condition",
}
PAIR_LABELS = ["not_entailed", "entailed"]


def check_hypotheses(labels: list[str], hypotheses: dict[str, str]) -> None:
    """Every label needs a hypothesis template over {speaker} and {target}."""
    missing = [label for label in labels if label not in hypotheses]
    if missing:
        raise InputError(
            f"entailment: no hypothesis for label(s) {missing}; expected a template per label in "
            f"{labels}, found templates for {sorted(hypotheses)}. Pass hypotheses={{label: template}}."
        )
    for label, template in hypotheses.items():
        try:
            template.format(speaker="", target="")
        except (KeyError, IndexError, ValueError) as err:
            raise InputError(
                f"entailment: hypothesis for {label!r} = {template!r} uses an unknown field ({err}); "
                "templates may use {speaker} and {target}."
            ) from None


def hypothesis_pairs(
    examples: list[Example], labels: list[str], hypotheses: dict[str, str] = HYPOTHESES
) -> tuple[list[str], list[str], list[int]]:
    """(statements, hypotheses, targets): ``len(labels)`` consecutive pairs per example, in label order.

    The target is 1 for the gold label's hypothesis and 0 for the others (all 0 for unlabelled examples).

    >>> s, h, y = hypothesis_pairs(examples[:1], ["support", "oppose"])  # doctest: +SKIP
    >>> h, y
    (['Ana Ruiz supports the trade deal', 'Ana Ruiz opposes the trade deal'], [1, 0])
    """
    statements, hyps, targets = [], [], []
    for ex in examples:
        for label in labels:
            statements.append(ex.text)
            hyps.append(hypotheses[label].format(speaker=ex.speaker, target=ex.target))
            targets.append(int(ex.label == label))
    return statements, hyps, targets


def label_scores(pair_logits: np.ndarray, n_labels: int) -> np.ndarray:
    """Pair logits (n_examples * n_labels, 2) -> entailment scores (n_examples, n_labels)."""
    margin = pair_logits[:, 1] - pair_logits[:, 0]
    return margin.reshape(-1, n_labels)


class EntailmentMethod:
    """Fit/predict wrapper: train the cross-encoder on hypothesis pairs, predict the best-scoring label.

    ``config`` supplies the encoder, max length and every training setting; ``work_dir`` holds the
    Trainer's checkpoints (removed after training).
    """

    def __init__(self, config: Config, work_dir: str | Path, hypotheses: dict[str, str] | None = None):
        self.config = config
        self.work_dir = Path(work_dir)
        self.hypotheses = dict(hypotheses or HYPOTHESES)

    def fit(self, train: list[Example], dev: list[Example]) -> EntailmentMethod:
        from transformers import set_seed

        from stancelab.modeling import load_for_training

        self.labels_ = list(self.config.data.labels)
        check_hypotheses(self.labels_, self.hypotheses)
        set_seed(self.config.train.seed)
        self.tokenizer_, model = load_for_training(
            self.config.model.name_or_path, PAIR_LABELS, self.config.model.dropout, self.config.model.pooling
        )
        trainer = self._trainer(model, train, dev)
        trainer.train()
        self.model_ = trainer.model.eval()
        shutil.rmtree(self.work_dir / "checkpoints", ignore_errors=True)
        return self

    def _trainer(self, model: Any, train: list[Example], dev: list[Example]) -> Any:
        from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer

        from stancelab.train import training_arguments

        patience = self.config.train.early_stopping_patience
        return Trainer(
            model=model,
            args=training_arguments(self.config, self.work_dir),
            train_dataset=self._dataset(train),
            eval_dataset=self._dataset(dev),  # evaluated in order, so rows regroup into examples
            processing_class=self.tokenizer_,
            data_collator=DataCollatorWithPadding(self.tokenizer_),
            compute_metrics=_metric_fn([ex.label for ex in dev], self.labels_),
            callbacks=[EarlyStoppingCallback(early_stopping_patience=patience)] if patience > 0 else [],
        )

    def _dataset(self, examples: list[Example]) -> Any:
        from datasets import Dataset

        statements, hyps, targets = hypothesis_pairs(examples, self.labels_, self.hypotheses)
        features = dict(self._encode(statements, hyps))
        features["labels"] = targets
        return Dataset.from_dict(features)

    def _encode(self, statements: list[str], hyps: list[str]) -> Any:
        # the hypothesis is short and must survive intact: truncate the statement only
        return self.tokenizer_(statements, hyps, truncation="only_first", max_length=self.config.model.max_length)

    def scores(self, examples: list[Example], batch_size: int = 64) -> np.ndarray:
        """Entailment score of each label's hypothesis, shape (n_examples, n_labels)."""
        import torch

        statements, hyps, _ = hypothesis_pairs(examples, self.labels_, self.hypotheses)
        logits = []
        with torch.inference_mode():
            for begin in range(0, len(statements), batch_size):
                end = begin + batch_size
                batch = self._encode(statements[begin:end], hyps[begin:end])
                padded = self.tokenizer_.pad(batch, return_tensors="pt")
                logits.append(self.model_(**padded).logits.float().numpy())
        return label_scores(np.concatenate(logits) if logits else np.zeros((0, 2)), len(self.labels_))

    def predict(self, examples: list[Example]) -> list[str]:
        """The label whose hypothesis the model finds most entailed, per example."""
        return [self.labels_[i] for i in self.scores(examples).argmax(axis=1)]


def _metric_fn(gold: list[str], labels: list[str]):
    """Dev metrics for the Trainer: regroup pair logits into examples and score the 3-way decision."""

    def compute(eval_pred: Any) -> dict[str, float]:
        logits, _ = eval_pred
        predicted = [labels[i] for i in label_scores(np.asarray(logits), len(labels)).argmax(axis=1)]
        metrics = classification_metrics(gold, predicted, labels)
        return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}

    return compute
