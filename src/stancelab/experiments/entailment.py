"""Stance as entailment: score one hypothesis per label against the statement, softmax over the labels.

Every labelled example becomes one (statement, hypothesis) pair per label::

    statement:  "Berg said he would back the merger only if jobs were protected."
    hypotheses: "Karl Berg supports the merger"
                "Karl Berg opposes the merger"
                "Karl Berg supports the merger only under a condition"   <- gold

One cross-encoder (the configured encoder and pooling, with a one-unit head) scores each pair; the
example's scores over its hypotheses go through a softmax, and the loss is the cross-entropy of the gold
hypothesis, as in multiple-choice reading comprehension (transformers' ``DataCollatorForMultipleChoice``
batches the pairs). Training runs through the transformers Trainer with the same arguments, dev model
selection and early stopping as ``stancelab.train``. An example gets the label whose hypothesis scores
highest. The label names reach the model as words, which is the point: the hypothesis carries the meaning
of the label instead of a fresh classifier row.

Scoring the hypotheses of one example against each other, rather than each pair on its own as entailed /
not entailed, matters on small data: with independent binary pairs two thirds of the targets are "not
entailed", and at 200 examples the scorer learned to say that to every hypothesis (dev macro-F1 0.267,
docs/generalisation.md).

    >>> method = EntailmentMethod(config, "runs/entailment").fit(train, dev)  # doctest: +SKIP
    >>> method.predict(test)[:2]  # doctest: +SKIP
    ['support', 'conditional']
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers.modeling_outputs import SequenceClassifierOutput

from stancelab.config import Config
from stancelab.data.io import InputError
from stancelab.data.schema import Example
from stancelab.evaluate.metrics import classification_metrics
from stancelab.models.modeling import load_for_training
from stancelab.train.finetune import training_arguments

HYPOTHESES = {
    "support": "{speaker} supports {target}",
    "oppose": "{speaker} opposes {target}",
    "conditional": "{speaker} supports {target} only under a condition",
}


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


def gold_indices(examples: list[Example], labels: list[str]) -> list[int]:
    """Index of each example's gold hypothesis; every example must carry one of ``labels``."""
    unknown = sorted({str(ex.label) for ex in examples if ex.label not in labels})
    if unknown:
        raise InputError(
            f"entailment: training and dev examples need a label from {labels}, found {unknown}. "
            "Fix: label them, or set data.labels to the data set's label set."
        )
    return [labels.index(ex.label) for ex in examples]


def label_scores(pair_scores: np.ndarray, n_labels: int) -> np.ndarray:
    """Pair scores, one per (example, label) in example-major order -> (n_examples, n_labels)."""
    return np.asarray(pair_scores, dtype=float).reshape(-1, n_labels)


class ListwiseScorer(torch.nn.Module):
    """Wrap a one-output pair scorer: inputs (batch, n_labels, length) -> scores (batch, n_labels).

    With ``labels`` (the gold hypothesis index per example) it also returns the softmax cross-entropy.
    """

    def __init__(self, scorer: Any):
        super().__init__()
        self.scorer = scorer
        self.config = scorer.config

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> SequenceClassifierOutput:
        batch, n_choices = input_ids.shape[:2]
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        flat = {k: v.reshape(batch * n_choices, -1) for k, v in inputs.items() if v is not None}
        scores = self.scorer(**flat).logits.reshape(batch, n_choices)
        loss = torch.nn.functional.cross_entropy(scores.float(), labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=scores)


class EntailmentMethod:
    """Fit/predict wrapper: train the listwise cross-encoder, predict the best-scoring label.

    ``config`` supplies the encoder, pooling, max length and every training setting; ``work_dir`` holds
    the Trainer's checkpoints (removed after training).
    """

    def __init__(self, config: Config, work_dir: str | Path, hypotheses: dict[str, str] | None = None):
        self.config = config
        self.work_dir = Path(work_dir)
        self.hypotheses = dict(hypotheses or HYPOTHESES)

    def fit(self, train: list[Example], dev: list[Example]) -> EntailmentMethod:
        from transformers import set_seed

        self.labels_ = list(self.config.data.labels)
        check_hypotheses(self.labels_, self.hypotheses)
        set_seed(self.config.train.seed)
        self.tokenizer_, scorer = load_for_training(
            self.config.model.name_or_path, ["entailed"], self.config.model.dropout, self.config.model.pooling
        )
        trainer = self._trainer(ListwiseScorer(scorer), train, dev)
        trainer.train()
        self.model_ = trainer.model.eval()
        shutil.rmtree(self.work_dir / "checkpoints", ignore_errors=True)
        return self

    def _trainer(self, model: ListwiseScorer, train: list[Example], dev: list[Example]) -> Any:
        from transformers import DataCollatorForMultipleChoice, EarlyStoppingCallback, Trainer

        patience = self.config.train.early_stopping_patience
        return Trainer(
            model=model,
            args=training_arguments(self.config, self.work_dir),
            train_dataset=self._dataset(train),
            eval_dataset=self._dataset(dev),
            processing_class=self.tokenizer_,
            data_collator=DataCollatorForMultipleChoice(self.tokenizer_),
            compute_metrics=_metric_fn([ex.label for ex in dev], self.labels_),
            callbacks=[EarlyStoppingCallback(early_stopping_patience=patience)] if patience > 0 else [],
        )

    def _dataset(self, examples: list[Example]) -> Any:
        """One row per example: each tokenizer field holds ``n_labels`` encodings, ``labels`` the gold index."""
        from datasets import Dataset

        statements, hyps, _ = hypothesis_pairs(examples, self.labels_, self.hypotheses)
        encoded = self._encode(statements, hyps)
        k = len(self.labels_)
        features = {name: [values[i : i + k] for i in range(0, len(values), k)] for name, values in encoded.items()}
        features["labels"] = gold_indices(examples, self.labels_)
        return Dataset.from_dict(features)

    def _encode(self, statements: list[str], hyps: list[str]) -> Any:
        # the hypothesis is short and must survive intact: truncate the statement only
        return self.tokenizer_(statements, hyps, truncation="only_first", max_length=self.config.model.max_length)

    def scores(self, examples: list[Example], batch_size: int = 64) -> np.ndarray:
        """Score of each label's hypothesis, shape (n_examples, n_labels); higher is more entailed."""
        statements, hyps, _ = hypothesis_pairs(examples, self.labels_, self.hypotheses)
        pair_scores = []
        with torch.inference_mode():
            for begin in range(0, len(statements), batch_size):
                end = begin + batch_size
                batch = self.tokenizer_.pad(self._encode(statements[begin:end], hyps[begin:end]), return_tensors="pt")
                pair_scores.append(self.model_.scorer(**batch).logits.float().reshape(-1).numpy())
        return label_scores(np.concatenate(pair_scores) if pair_scores else np.zeros(0), len(self.labels_))

    def predict(self, examples: list[Example]) -> list[str]:
        """The label whose hypothesis the model finds most entailed, per example."""
        return [self.labels_[i] for i in self.scores(examples).argmax(axis=1)]


def _metric_fn(gold: list[str], labels: list[str]):
    """Dev metrics for the Trainer: the 3-way decision from each example's hypothesis scores."""

    def compute(eval_pred: Any) -> dict[str, float]:
        scores, _ = eval_pred
        predicted = [labels[i] for i in label_scores(scores, len(labels)).argmax(axis=1)]
        metrics = classification_metrics(gold, predicted, labels)
        return {"accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"]}

    return compute
