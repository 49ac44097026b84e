"""SetFit (Tunstall et al., 2022) through the ``setfit`` library: contrastive fine-tuning of the sentence
encoder on pairs of examples (same label / different label), then a logistic-regression head on the
tuned embeddings. It is the method for a few hundred labels (docs/generalisation.md has the curves).

    >>> method = SetFitMethod(config, "runs/setfit", num_iterations=5).fit(train, dev)  # doctest: +SKIP
    >>> method.predict(test)[:2]  # doctest: +SKIP
    ['support', 'oppose']
    >>> model, tokenizer, spec = method.export()  # doctest: +SKIP

The input is one string: segment A and segment B of the model templates joined by " || " (the string
every baseline reads, ``stancelab.models.inputs.input_texts``). SetFit trains for a fixed budget and does not
select on dev: ``dev`` is accepted for the common fit signature and ignored.

``export`` turns the fitted model into stancelab's own model format: the tuned encoder, its mean pooling
(and unit-length normalisation, when the encoder has it) and the logistic-regression head as one linear
layer, all in ``model.safetensors``. SetFit's own ``save_pretrained`` pickles the head with joblib, which
stancelab never asks a user to load; the exported directory is read by ``predict()`` like any other model
and gives the same probabilities as the SetFit model (tests/train/test_setfit_method.py checks this).
Install with ``pip install "stancelab[experiments]"`` (setfit 1.2).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.config import Config
from stancelab.data.io import InputError
from stancelab.data.schema import Example
from stancelab.models.inputs import input_texts, one_string_template
from stancelab.models.modeling import resolve_model_path
from stancelab.models.pooling import MeanPoolingClassifier
from stancelab.models.spec import LoadedModel, ModelSpec


def setfit_dataset(examples: list[Example], config: Config) -> Any:
    """A ``datasets.Dataset`` with the ``text`` / ``label`` columns SetFit expects (labels as names)."""
    from datasets import Dataset

    unlabelled = [ex.id for ex in examples if ex.label is None]
    if unlabelled:
        raise InputError(f"setfit: training examples need a label; {unlabelled[0]!r} has none.")
    return Dataset.from_dict({"text": input_texts(examples, config.model), "label": [ex.label for ex in examples]})


class SetFitMethod:
    """Fit/predict wrapper around ``setfit.SetFitModel`` and ``setfit.Trainer``.

    ``num_iterations``: contrastive pairs drawn per training example (SetFit's own default is 20);
    ``max_steps`` > 0 caps the optimiser steps of the contrastive phase (-1: one pass over the pairs);
    ``body_learning_rate``: SetFit's default (the fine-tune's 5e-5 is too high for contrastive tuning).
    Unset arguments come from the config's ``setfit`` section; batch size, seed and max length from
    ``train`` and ``model``.
    """

    def __init__(
        self,
        config: Config,
        work_dir: str | Path,
        *,
        num_iterations: int | None = None,
        max_steps: int = -1,
        body_learning_rate: float | None = None,
    ):
        self.config = config
        self.work_dir = Path(work_dir)
        self.num_iterations = num_iterations if num_iterations is not None else config.setfit.num_iterations
        self.max_steps = max_steps
        self.body_learning_rate = body_learning_rate or config.setfit.body_learning_rate
        self.log_history: list[dict[str, Any]] = []

    def fit(self, train: list[Example], dev: list[Example] | None = None) -> SetFitMethod:
        setfit = _import_setfit()
        labels = list(self.config.data.labels)
        path = resolve_model_path(self.config.model.name_or_path)
        self.model_ = setfit.SetFitModel.from_pretrained(path, labels=labels)
        data = setfit_dataset(train, self.config)
        trainer = setfit.Trainer(model=self.model_, args=self.training_arguments(), train_dataset=data)
        trainer.train()
        state = getattr(getattr(trainer, "st_trainer", None), "state", None)
        self.log_history = list(getattr(state, "log_history", []))
        return self

    def training_arguments(self) -> Any:
        setfit = _import_setfit()
        t = self.config.train
        return setfit.TrainingArguments(
            output_dir=str(self.work_dir),
            batch_size=t.batch_size,
            num_epochs=self.config.setfit.num_epochs,
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
        if not examples:
            return []
        return [str(label) for label in self.model_.predict(input_texts(examples, self.config.model), as_numpy=True)]

    def export(self) -> tuple[Any, Any, ModelSpec]:
        """``(model, tokenizer, spec)`` in stancelab's format: ``modeling.save_model`` writes them safely."""
        body = self.model_.model_body
        transformer, normalize = _check_body(body, self.model_)
        labels = list(self.config.data.labels)
        weight, bias = head_weights(self.model_.model_head, labels, getattr(self.model_, "labels", None))
        encoder = transformer.auto_model
        encoder.config.id2label = dict(enumerate(labels))
        encoder.config.label2id = {label: i for i, label in enumerate(labels)}
        model = MeanPoolingClassifier(encoder, len(labels), 0.0, normalize)
        import torch

        with torch.no_grad():
            model.classifier.weight.copy_(torch.as_tensor(weight, dtype=model.classifier.weight.dtype))
            model.classifier.bias.copy_(torch.as_tensor(bias, dtype=model.classifier.bias.dtype))
        m = self.config.model
        spec = ModelSpec(
            labels=labels,
            template_a=one_string_template(m),
            template_b="",
            max_length=int(body.max_seq_length),
            pooling="mean_normalized" if normalize else "mean",
            base_model=m.name_or_path,
            official_metric=self.config.eval.official_metric,
            extra={
                "method": "setfit",
                "num_iterations": self.num_iterations,
                "num_epochs": self.config.setfit.num_epochs,
                "body_learning_rate": self.body_learning_rate,
            },
        )
        return model.eval(), transformer.tokenizer, spec


def _check_body(body: Any, model: Any) -> tuple[Any, bool]:
    """The body's transformer module and whether embeddings are normalised; only Transformer -> mean
    Pooling (-> Normalize) bodies have a stancelab equivalent."""
    modules = list(body)
    names = [type(module).__name__ for module in modules]
    mean = len(modules) >= 2 and names[:2] == ["Transformer", "Pooling"] and _is_mean_pooling(modules[1])
    rest = names[2:]
    if not mean or rest not in ([], ["Normalize"]):
        raise InputError(
            f"setfit export: expected a sentence-transformers body Transformer -> Pooling(mean) [-> Normalize], "
            f"found {' -> '.join(names)}. Fix: use an encoder with mean pooling (such as all-MiniLM-L6-v2), "
            "or keep the model in the setfit library's own format."
        )
    return modules[0], bool(rest) or bool(getattr(model, "normalize_embeddings", False))


def _is_mean_pooling(pooling: Any) -> bool:
    config = pooling.get_config_dict() if hasattr(pooling, "get_config_dict") else {}
    mode = config.get("pooling_mode")
    if mode is not None:
        return mode == "mean"
    return bool(config.get("pooling_mode_mean_tokens")) and not any(
        config.get(key) for key in ("pooling_mode_cls_token", "pooling_mode_max_tokens")
    )


def head_weights(head: Any, labels: list[str], model_labels: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """A scikit-learn logistic regression as the weight and bias of one linear layer over ``labels``.

    Softmax of ``x @ weight.T + bias`` equals ``head.predict_proba(x)`` with columns in ``labels`` order:
    multinomial coefficients are taken as they are; a binary model's single row becomes the second
    class's row with zeros for the first (softmax of (0, z) is the logistic sigmoid of z).
    """
    if not (hasattr(head, "coef_") and hasattr(head, "intercept_") and hasattr(head, "classes_")):
        raise InputError(
            f"setfit export: expected a fitted scikit-learn LogisticRegression head, found {type(head).__name__}. "
            "Fix: train with the default head (use_differentiable_head=False)."
        )
    classes = [_class_name(c, model_labels) for c in head.classes_]
    if sorted(classes) != sorted(labels):
        raise InputError(
            f"setfit export: the head knows labels {classes}, the config has {labels}. Every label needs "
            "training examples; add examples or remove the label from data.labels."
        )
    coef, intercept = np.asarray(head.coef_, dtype=np.float64), np.asarray(head.intercept_, dtype=np.float64)
    if coef.shape[0] == 1 and len(classes) == 2:
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    order = [classes.index(label) for label in labels]
    return coef[order], intercept[order]


def _class_name(value: Any, model_labels: list[str] | None) -> str:
    """A head class as a label name: SetFit stores names, or indices into the model's ``labels``."""
    if isinstance(value, (int, np.integer)) and model_labels:
        return model_labels[int(value)]
    return str(value)


def _import_setfit() -> Any:
    try:
        import setfit
    except ImportError:
        raise InputError(
            "method 'setfit' needs the setfit library, which is not installed. "
            'Fix: pip install "stancelab[experiments]" (or pip install setfit==1.2.0)'
        ) from None
    return setfit


def fit_setfit(
    config: Config, splits: dict[str, list[Example]], work_dir: Path
) -> tuple[LoadedModel | None, list[dict[str, Any]]]:
    """SetFit on the train split (``setfit_method.SetFitMethod``), exported to stancelab's model format.

    SetFit trains a fixed budget in one process: there is no dev selection, no checkpoint to resume
    from (a rerun starts the fit over) and no multi-process training.
    """
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
