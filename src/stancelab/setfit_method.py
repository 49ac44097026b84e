"""SetFit (Tunstall et al., 2022) through the ``setfit`` library: contrastive fine-tuning of the sentence
encoder on pairs of examples (same label / different label), then a logistic-regression head on the
tuned embeddings.

    >>> method = SetFitMethod(config, "runs/setfit", num_iterations=5).fit(train, dev)  # doctest: +SKIP
    >>> method.predict(test)[:2]  # doctest: +SKIP
    ['support', 'oppose']

The input text is the same one string every baseline reads (``stancelab.baselines.input_texts``: the
model templates of ``stancelab.modeling.format_pair``, segment A then B). SetFit trains for a fixed
budget and does not select on dev: ``dev`` is accepted for the common fit signature and ignored.
Install with ``pip install setfit==1.2.0``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancelab.config import Config
from stancelab.io import InputError
from stancelab.schema import Example


def setfit_dataset(examples: list[Example], config: Config) -> Any:
    """A ``datasets.Dataset`` with the ``text`` / ``label`` columns SetFit expects (labels as names)."""
    from datasets import Dataset

    from stancelab.baselines import input_texts

    unlabelled = [ex.id for ex in examples if ex.label is None]
    if unlabelled:
        raise InputError(f"setfit: training examples need a label; {unlabelled[0]!r} has none.")
    return Dataset.from_dict({"text": input_texts(examples, config), "label": [ex.label for ex in examples]})


class SetFitMethod:
    """Fit/predict wrapper around ``setfit.SetFitModel`` and ``setfit.Trainer``.

    ``num_iterations``: contrastive pairs drawn per training example (SetFit's own default is 20);
    ``max_steps`` > 0 caps the optimiser steps of the contrastive phase (-1: one pass over the pairs);
    ``body_learning_rate``: SetFit's default (the fine-tune's 5e-5 is too high for contrastive tuning).
    Batch size, seed and max length come from ``config``.
    """

    def __init__(
        self,
        config: Config,
        work_dir: str | Path,
        *,
        num_iterations: int = 20,
        max_steps: int = -1,
        body_learning_rate: float = 2e-5,
    ):
        self.config = config
        self.work_dir = Path(work_dir)
        self.num_iterations = num_iterations
        self.max_steps = max_steps
        self.body_learning_rate = body_learning_rate

    def fit(self, train: list[Example], dev: list[Example] | None = None) -> SetFitMethod:
        setfit = _import_setfit()
        from stancelab.modeling import resolve_model_path

        labels = list(self.config.data.labels)
        path = resolve_model_path(self.config.model.name_or_path)
        self.model_ = setfit.SetFitModel.from_pretrained(path, labels=labels)
        data = setfit_dataset(train, self.config)
        trainer = setfit.Trainer(model=self.model_, args=self.training_arguments(), train_dataset=data)
        trainer.train()
        return self

    def training_arguments(self) -> Any:
        setfit = _import_setfit()
        t = self.config.train
        return setfit.TrainingArguments(
            output_dir=str(self.work_dir),
            batch_size=t.batch_size,
            num_epochs=1,
            num_iterations=self.num_iterations,
            max_steps=self.max_steps,
            body_learning_rate=self.body_learning_rate,
            max_length=self.config.model.max_length,
            seed=t.seed,
            report_to="none",
            save_strategy="no",
            show_progress_bar=False,
        )

    def predict(self, examples: list[Example]) -> list[str]:
        from stancelab.baselines import input_texts

        if not examples:
            return []
        return [str(label) for label in self.model_.predict(input_texts(examples, self.config), as_numpy=True)]


def _import_setfit() -> Any:
    try:
        import setfit
    except ImportError:
        raise InputError(
            "method 'setfit' needs the setfit library, which is not installed. Fix: pip install setfit==1.2.0"
        ) from None
    return setfit
