"""The methods an experiment compares, each with ``fit(train, dev) -> self`` and ``predict(examples) -> labels``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.config import BASELINES, Config, ConfigError
from stancelab.data.schema import Example, write_examples
from stancelab.evaluate.baselines import embed, fit_best_c, logistic_model, tfidf_lr_model
from stancelab.experiments.entailment import EntailmentMethod
from stancelab.models.inputs import input_texts
from stancelab.predict.inference import predict
from stancelab.predict.loading import load_model
from stancelab.train.run import train as train_run
from stancelab.train.setfit_method import SetFitMethod

# The baselines that learn (majority does not): logistic regressions on TF-IDF or frozen-encoder features.
LOGISTIC_BASELINES = tuple(name for name in BASELINES if name != "majority")
METHODS = ("finetune", *LOGISTIC_BASELINES, "setfit", "entailment")


class LogisticBaseline:
    """TF-IDF or frozen-encoder features + logistic regression, C chosen on dev macro-F1 (``baselines``).

    ``cache`` maps input text -> embedding, so folds that share examples embed each text once.
    """

    def __init__(self, config: Config, features: str, cache: dict[str, np.ndarray] | None = None):
        self.config = config
        self.features = features  # "tfidf" or "frozen"
        self.cache = {} if cache is None else cache

    def fit(self, train: list[Example], dev: list[Example]) -> LogisticBaseline:

        make = tfidf_lr_model if self.features == "tfidf" else logistic_model
        gold_train, gold_dev = [ex.label for ex in train], [ex.label for ex in dev]
        labels = list(self.config.data.labels)
        self.C_, self.model_ = fit_best_c(make, self._inputs(train), gold_train, self._inputs(dev), gold_dev, labels)
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        return [str(label) for label in self.model_.predict(self._inputs(examples))] if examples else []

    def _inputs(self, examples: list[Example]) -> Any:
        texts = input_texts(examples, self.config.model)
        if self.features == "tfidf":
            return texts
        new = sorted({t for t in texts if t not in self.cache})
        if new:
            self.cache.update(zip(new, embed(new, self.config)))
        return np.stack([self.cache[t] for t in texts])


class FineTune:
    """The project's fine-tune (``stancelab.train.train``) on given examples, without baselines or reports
    beyond what a run writes; the dev examples serve early stopping and calibration."""

    def __init__(self, config: Config, work_dir: str | Path):
        self.config = config
        self.work_dir = Path(work_dir)

    def fit(self, train: list[Example], dev: list[Example]) -> FineTune:
        config = copy.deepcopy(self.config)
        config.data.format = "stancelab"  # the examples are written in the project's schema below
        config.data.train = str(write_examples(self.work_dir / "data" / "train.jsonl", train))
        config.data.dev = config.data.test = str(write_examples(self.work_dir / "data" / "dev.jsonl", dev))
        config.eval.baselines = []
        config.train.output_dir, config.train.run_name = str(self.work_dir), "run"
        train_run(config, self.work_dir / "run", overwrite=True)
        self.model_ = load_model(self.work_dir / "run")
        return self

    def predict(self, examples: list[Example]) -> list[str]:
        return [row["label"] for row in predict(examples, self.model_)]


def make_method(name: str, config: Config, work_dir: Path, options: dict[str, Any]) -> Any:
    """A fresh, unfitted method. ``options``: embedding cache and SetFit budget (see ``main``)."""
    if name == "finetune":
        return FineTune(config, work_dir)
    if name in LOGISTIC_BASELINES:
        return LogisticBaseline(config, name.split("_")[0], options.get("cache"))
    if name == "setfit":
        return SetFitMethod(
            config,
            work_dir,
            num_iterations=options.get("setfit_iterations"),
            max_steps=options.get("setfit_steps", -1),
        )
    if name == "entailment":
        return EntailmentMethod(config, work_dir)
    raise ConfigError(f"unknown method {name!r}; choose from {', '.join(METHODS)}.")
