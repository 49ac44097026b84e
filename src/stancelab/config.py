"""Run configuration: YAML -> dict -> validated dataclasses, with ``section.key=value`` overrides.

    >>> cfg = load_config("configs/default.yaml", ["train.epochs=2", "model.max_length=96"])  # doctest: +SKIP
    >>> cfg.train.epochs
    2

An unknown section or key is rejected by name, with the valid keys listed. The resolved config is
saved as ``config.yaml`` in every run directory.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from stancelab.data.io import InputError, atomic_write_text, read_text
from stancelab.data.readers import FORMATS, read_split
from stancelab.data.schema import DEFAULT_LABELS, Example, read_examples
from stancelab.models.inputs import TEMPLATE_FIELDS
from stancelab.models.spec import POOLINGS


class ConfigError(InputError):
    """A config file or override that does not fit the schema."""


@dataclass
class DataConfig:
    train: str = "data/processed/train.jsonl"  # labelled training examples (JSONL)
    dev: str = "data/processed/dev.jsonl"  # labelled development examples, used for early stopping
    test: str = "data/processed/test.jsonl"  # labelled test examples, evaluated once at the end
    labels: list[str] = field(default_factory=lambda: list(DEFAULT_LABELS))  # label set, in model order
    format: str = "stancelab"  # stancelab (JSONL schema), semeval2016, csv or jsonl (see benchmarks.py)
    columns: dict = field(default_factory=dict)  # csv/jsonl: our field -> column name, e.g. {text: tweet}
    default_speaker: str = "the author"  # csv/jsonl/semeval rows without a speaker column
    default_target: str = ""  # rows without a target column
    # More labelled files: extra_train is added to train (e.g. the real-news train split), each file's
    # examples taken extra_train_repeat[i] times (2 doubles a file, 0.3 takes a seeded 30% sample; missing
    # entries are 1); extra_dev is added to dev, so early stopping and calibration see both; extra_test
    # files are scored and reported beside test.
    extra_train: list[str] = field(default_factory=list)
    extra_train_repeat: list[float] = field(default_factory=list)
    extra_dev: list[str] = field(default_factory=list)
    extra_test: list[str] = field(default_factory=list)
    # Unlabelled examples with a teacher's probabilities ("probs": {label: p}), learnt as soft labels
    # (distillation; see python -m stancelab.distill). Empty: gold labels only.
    silver: str = ""
    # The label of "no position" rows (statements that take no position on the target), if data.labels
    # has one: stance metrics on data without such rows are scored over the other labels.
    none_label: str = "none"


@dataclass
class ModelConfig:
    name_or_path: str = "all-MiniLM-L6-v2"  # the bundled encoder, a local folder, or a hub id
    # How an example becomes model input: segment A and (optional) segment B, as format strings over
    # {speaker}, {speaker_affiliation}, {target} and {text}. An empty template_b gives one sequence.
    template_a: str = "{speaker} | {target}"
    template_b: str = "{text}"
    max_length: int = 160  # tokens; longer inputs are truncated from the text segment
    dropout: float = 0.1  # hidden and attention dropout of the encoder
    # "mean": average the token states (how sentence-transformers encoders were trained); "cls": the
    # library's own head for the architecture, which reads the first token.
    pooling: str = "cls"
    # predict_article drops rows whose calibrated probability of data.none_label is at least this.
    none_threshold: float = 0.5


@dataclass
class TrainConfig:
    # "finetune": the transformers Trainer, every setting below. "setfit": contrastive tuning of the
    # sentence encoder then a logistic-regression head, through the setfit library (settings in the
    # setfit section; batch_size, seed, num_threads and the output settings below apply too).
    method: str = "finetune"
    output_dir: str = "runs"  # parent folder of run directories
    run_name: str = "default"  # the run directory is <output_dir>/<run_name>
    seed: int = 13  # one seed for data order, classifier init and dropout
    epochs: float = 8.0
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1  # fraction of steps spent warming up the learning rate
    scheduler: str = "linear"  # any transformers scheduler name: linear, cosine, constant_with_warmup, ...
    gradient_accumulation_steps: int = 1
    class_weights: str | list[float] = "none"  # "none", "balanced", or one weight per label
    early_stopping_patience: int = 3  # epochs without dev macro-F1 gain before stopping; 0 disables
    select_best: bool = True  # keep the epoch with the best dev macro-F1 (False: keep the last epoch)
    max_steps: int = -1  # if > 0, stop after this many optimiser steps (for smoke tests)
    num_threads: int = 0  # torch CPU threads; 0 keeps torch's default
    save_total_limit: int = 2  # checkpoints kept for resuming
    # "random", or "group_by_length": batches of similar length, so less padding is computed (faster on CPU)
    sampling: str = "random"
    silver_weight: float = 1.0  # weight of a silver (teacher-labelled) example in the loss, against 1 for gold


@dataclass
class SetFitConfig:
    # Used when train.method is "setfit" (pip install "stancelab[experiments]"). SetFit draws
    # num_iterations positive and negative pairs per training example, so its cost grows with the
    # training set: it is the method for a few hundred labels, not for thousands.
    num_iterations: int = 20  # pairs per example (the library's default)
    num_epochs: int = 1  # passes over the pairs
    body_learning_rate: float = 2e-5  # learning rate of the contrastive phase (the library's default)


@dataclass
class EvalConfig:
    # Baselines scored on the same splits and reported beside the model: majority, tfidf_lr, frozen_lr.
    baselines: list[str] = field(default_factory=lambda: ["majority", "tfidf_lr", "frozen_lr"])
    official_metric: str = "macro_f1"  # headline number: macro_f1, or semeval_favg (mean F1 of FAVOR, AGAINST)


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    setfit: SetFitConfig = field(default_factory=SetFitConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


SECTIONS = {
    "data": DataConfig,
    "model": ModelConfig,
    "train": TrainConfig,
    "setfit": SetFitConfig,
    "eval": EvalConfig,
}
TRAIN_METHODS = ("finetune", "setfit")


def load_config(path: str | os.PathLike | None = None, overrides: list[str] | None = None) -> Config:
    """Load a YAML config (or the defaults when ``path`` is None) and apply ``section.key=value`` overrides."""
    raw: dict[str, Any] = {}
    if path is not None:
        raw = _read_yaml(path)
    for item in overrides or []:
        _apply_override(raw, item)
    where = str(path) if path is not None else "config"
    return config_from_dict(raw, where=where)


def _read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(read_text(path))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: expected valid YAML, found a syntax error: {err}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping of sections ({', '.join(SECTIONS)}), found {type(raw).__name__}."
        )
    return raw


def _apply_override(raw: dict[str, Any], item: str) -> None:
    key, sep, value = item.partition("=")
    section, dot, name = key.partition(".")
    if not sep or not dot or not name:
        raise ConfigError(
            f"override {item!r}: expected section.key=value (e.g. train.epochs=3), found no '=' or no section."
        )
    raw.setdefault(section, {})
    if not isinstance(raw[section], dict):
        raise ConfigError(f"override {item!r}: section {section!r} is not a mapping in the config file.")
    raw[section][name] = _Raw(value)


class _Raw(str):
    """An override value as typed on the command line; parsed as YAML unless the key wants the string."""


def config_from_dict(raw: dict[str, Any], *, where: str = "config") -> Config:
    """Build a Config from nested dicts, rejecting unknown sections/keys and values of the wrong type."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown section {unknown[0]!r}; valid sections are {', '.join(SECTIONS)}. Check the spelling."
        )
    parts = {}
    for section, cls in SECTIONS.items():
        values = raw.get(section) or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: section {section!r} must be a mapping, found {type(values).__name__}.")
        parts[section] = _build_section(cls, section, values, where)
    config = Config(**parts)
    _check_values(config, where)
    return config


def _build_section(cls: type, section: str, values: dict[str, Any], where: str) -> Any:
    hints = typing.get_type_hints(cls)
    valid = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in valid:
            raise ConfigError(
                f"{where}: unknown key '{section}.{key}'; valid keys in '{section}' are: {', '.join(valid)}."
            )
        kwargs[key] = _coerce(value, hints[key], f"{section}.{key}", where)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, key: str, where: str) -> Any:
    """Check ``value`` against a simple type hint; ints are accepted where floats are expected."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if isinstance(value, _Raw):
        try:
            return _coerce(yaml.safe_load(value) if value.strip() else "", hint, key, where)
        except (ConfigError, yaml.YAMLError):
            if str not in options:
                raise
            return str(value)  # e.g. a template "{speaker}" that YAML would read as a mapping
    for option in options:
        origin = typing.get_origin(option) or option
        if origin is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if origin is float and isinstance(value, str) and _is_number(value):
            return float(value)  # YAML 1.1 reads "1e-3" (no dot) as a string
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if origin in (str, bool) and isinstance(value, origin):
            return value
        if origin is list and isinstance(value, list):
            return list(value)
        if origin is dict and isinstance(value, dict):
            return dict(value)
    names = " or ".join(getattr(typing.get_origin(o) or o, "__name__", str(o)) for o in options)
    raise ConfigError(f"{where}: '{key}' must be {names}, found {type(value).__name__} {value!r}.")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_values(config: Config, where: str) -> None:
    labels = config.data.labels
    if len(labels) < 2 or len(set(labels)) != len(labels) or not all(isinstance(x, str) for x in labels):
        raise ConfigError(f"{where}: 'data.labels' must list at least two distinct label names, found {labels!r}.")
    weights = config.train.class_weights
    if isinstance(weights, str) and weights not in ("none", "balanced"):
        raise ConfigError(
            f"{where}: 'train.class_weights' must be 'none', 'balanced' or a list of {len(labels)} numbers, "
            f"found {weights!r}."
        )
    if isinstance(weights, list) and len(weights) != len(labels):
        raise ConfigError(
            f"{where}: 'train.class_weights' has {len(weights)} weights for {len(labels)} labels ({', '.join(labels)})."
        )
    if config.data.format not in FORMATS:
        raise ConfigError(f"{where}: 'data.format' must be one of {', '.join(FORMATS)}, found {config.data.format!r}.")
    if config.eval.official_metric not in ("macro_f1", "semeval_favg"):
        raise ConfigError(
            f"{where}: 'eval.official_metric' must be macro_f1 or semeval_favg, found {config.eval.official_metric!r}."
        )
    if config.train.early_stopping_patience > 0 and not config.train.select_best:
        raise ConfigError(
            f"{where}: early stopping keeps the best dev epoch, so it needs train.select_best=true; found "
            "select_best=false. Set train.early_stopping_patience=0 or train.select_best=true."
        )
    if config.train.method not in TRAIN_METHODS:
        raise ConfigError(
            f"{where}: 'train.method' must be one of {', '.join(TRAIN_METHODS)}, found {config.train.method!r}. "
            "Fix: 'finetune' for the full corpus, 'setfit' for a few hundred labels."
        )
    known = ("majority", "tfidf_lr", "frozen_lr")
    unknown = [b for b in config.eval.baselines if b not in known]
    if unknown:
        raise ConfigError(f"{where}: 'eval.baselines' has unknown {unknown[0]!r}; choose from {', '.join(known)}.")
    if config.model.pooling not in POOLINGS:
        raise ConfigError(
            f"{where}: 'model.pooling' must be one of {', '.join(POOLINGS)}, found {config.model.pooling!r}. "
            "Fix: 'mean' for sentence-transformers encoders ('mean_normalized' to scale the mean to unit "
            "length), 'cls' for the library's own classification head."
        )
    if config.train.sampling not in ("random", "group_by_length"):
        raise ConfigError(
            f"{where}: 'train.sampling' must be random or group_by_length, found {config.train.sampling!r}."
        )
    repeat = config.data.extra_train_repeat
    if len(repeat) > len(config.data.extra_train) or any(
        not isinstance(r, (int, float)) or isinstance(r, bool) or r < 0 for r in repeat
    ):
        raise ConfigError(
            f"{where}: 'data.extra_train_repeat' needs at most one number >= 0 per file of data.extra_train "
            f"({len(config.data.extra_train)}), found {repeat!r}."
        )
    if not 0 < config.model.none_threshold <= 1:
        raise ConfigError(f"{where}: 'model.none_threshold' must be in (0, 1], found {config.model.none_threshold}.")
    for name in ("template_a", "template_b"):
        _check_template(getattr(config.model, name), f"model.{name}", where)
    positive = {
        "train.batch_size": config.train.batch_size,
        "model.max_length": config.model.max_length,
        "train.learning_rate": config.train.learning_rate,
        "train.epochs": config.train.epochs,
        "setfit.num_iterations": config.setfit.num_iterations,
        "setfit.num_epochs": config.setfit.num_epochs,
        "setfit.body_learning_rate": config.setfit.body_learning_rate,
    }
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{where}: '{key}' must be > 0, found {value}.")


def _check_template(template: str, key: str, where: str) -> None:
    try:
        template.format(**{name: "" for name in TEMPLATE_FIELDS})
    except (KeyError, IndexError, ValueError) as err:
        raise ConfigError(
            f"{where}: '{key}' = {template!r} uses an unknown or malformed field ({err}); "
            f"available fields are {{{'}, {'.join(TEMPLATE_FIELDS)}}}."
        ) from None


def save_config(config: Config, path: str | os.PathLike) -> Path:
    """Write the resolved config as YAML (atomically)."""
    return atomic_write_text(path, yaml.safe_dump(config.to_dict(), sort_keys=False))


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
