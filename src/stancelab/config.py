"""Run configuration: YAML -> dict -> validated dataclasses, with ``section.key=value`` overrides.

    >>> cfg = load_config("configs/default.yaml", ["train.epochs=2", "model.max_length=96"])  # doctest: +SKIP
    >>> cfg.train.epochs
    2

An unknown section or key is rejected by name, with the valid keys listed. The resolved config is
saved as ``config.yaml`` in every run directory.
"""

from __future__ import annotations

import codecs
import copy
import dataclasses
import difflib
import json
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


@dataclass(frozen=True)
class Interval:
    """The numbers a setting accepts, scikit-learn style: ``Interval(0, 1, closed="left")`` is [0, 1)."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"  # which ends belong to it: "both", "left", "right" or "neither"

    def __contains__(self, value: float) -> bool:
        above = self.low is None or value > self.low or (value == self.low and self.closed in ("both", "left"))
        below = self.high is None or value < self.high or (value == self.high and self.closed in ("both", "right"))
        return above and below

    def __str__(self) -> str:
        if self.high is None:
            return f">= {self.low:g}" if self.closed in ("both", "left") else f"> {self.low:g}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


POSITIVE = Interval(0, None, closed="neither")
NON_NEGATIVE = Interval(0, None)
FRACTION = Interval(0, 1, closed="left")  # [0, 1)

TRAIN_METHODS = ("finetune", "setfit")
BASELINES = ("majority", "tfidf_lr", "frozen_lr")
OFFICIAL_METRICS = ("macro_f1", "semeval_favg")
# The labels an official metric reads, where it needs particular ones (``readers.official_score``).
METRIC_LABELS = {"semeval_favg": ("FAVOR", "AGAINST")}


def setting(
    default: Any, doc: str, *, choices: tuple | None = None, interval: Interval | None = None, fix: str = ""
) -> Any:
    """A config field: its default, a one-line description, and what values it accepts.

    The declarations are the one source of the defaults (``configs/default.yaml`` repeats them, and a
    test keeps the two equal), of the checks ``load_config`` makes, and of ``docs/config.md``.
    Lists and dicts are copied per config (``default_factory``).
    """
    metadata = {"doc": doc, "choices": choices, "interval": interval, "fix": fix}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class DataConfig:
    train: str = setting("data/processed/train.jsonl", "labelled training examples (JSONL)")
    dev: str = setting("data/processed/dev.jsonl", "labelled development examples, used for early stopping")
    test: str = setting("data/processed/test.jsonl", "labelled test examples, evaluated once at the end")
    labels: list[str] = setting(
        [*DEFAULT_LABELS, "none"], "label set, in model order (at least two distinct names); see none_label"
    )
    format: str = setting(
        "stancelab", "stancelab (the JSONL schema), semeval2016, csv or jsonl (stancelab.data.readers)", choices=FORMATS
    )
    columns: dict = setting({}, "csv/jsonl: our field -> column name, e.g. {text: tweet}")
    encoding: str = setting(
        "utf-8",
        "semeval2016/csv/jsonl files: a Python codec name (cp1252, latin-1, ...), or auto: UTF-8 when valid, "
        "else Windows-1252 with a warning; stancelab JSONL is always UTF-8",
    )
    default_speaker: str = setting("the author", "csv/jsonl/semeval rows without a speaker column")
    default_target: str = setting("", "rows without a target column")
    extra_train: list[str] = setting(
        [
            "data/processed/train_none.jsonl",
            "data/processed/realnews_train.jsonl",
            "data/processed/realnews_train_cand.jsonl",
            "data/processed/train_statements.jsonl",
            "data/processed/realnews_train_statements.jsonl",
        ],
        "more labelled training files, read like train (the real-news train split, no-position rows)",
    )
    extra_train_repeat: list[float] = setting(
        [0.2, 1, 0.15, 0.5, 0.4],
        "times each extra_train file is taken: 2 doubles it, 0.3 takes a seeded 30% sample; missing entries are 1",
    )
    extra_dev: list[str] = setting(
        [
            "data/processed/dev_none.jsonl",
            "data/processed/realnews_dev.jsonl",
            "data/processed/realnews_dev_cand.jsonl",
            "data/processed/dev_statements.jsonl",
            "data/processed/realnews_dev_statements.jsonl",
        ],
        "more labelled dev files, joined to dev for early stopping and calibration",
    )
    extra_test: list[str] = setting(
        ["data/processed/realnews_test.jsonl"], "more labelled test files, scored and reported beside test"
    )
    silver: str = setting(
        "data/silver/realnews_silver.jsonl",
        "unlabelled examples with a teacher's probabilities (probs), learnt as soft labels; empty: gold only",
    )
    none_label: str = setting(
        "none", "the label of rows that take no position; stance metrics on data without it skip it"
    )


@dataclass
class ModelConfig:
    name_or_path: str = setting("all-MiniLM-L6-v2", "the bundled encoder, a local folder, or a hub id")
    template_a: str = setting(
        "{speaker} | {target}",
        "segment A of the input, a format string over {speaker}, {speaker_affiliation}, {target}, {text}",
    )
    template_b: str = setting("{text}", "segment B (the same fields); empty gives one sequence")
    max_length: int = setting(128, "tokens; longer inputs are truncated from the text segment", interval=POSITIVE)
    dropout: float = setting(0.1, "hidden and attention dropout of the encoder", interval=FRACTION)
    pooling: str = setting(
        "mean",
        "mean: average the token states (how sentence-transformers encoders were trained); mean_normalized: "
        "that mean scaled to unit length; cls: the library's own head, which reads the first token",
        choices=POOLINGS,
        fix="'mean' for sentence-transformers encoders ('mean_normalized' to scale the mean to unit length), "
        "'cls' for the library's own classification head.",
    )
    none_threshold: float = setting(
        0.1,
        "predict_article drops rows whose calibrated probability of none_label is at least this (with "
        "statement rows: a statement's candidates after its most likely one; a second needs half of it)",
        interval=Interval(0, 1, closed="right"),
    )
    statement_threshold: float = setting(
        0.6,
        "predict_article also scores each statement with an empty target (the statement rows of "
        "`positions prepare`) and drops the statement when that row's calibrated probability of none_label is "
        "at least this; 1 turns the check off (for a model trained without statement rows)",
        interval=Interval(0, 1, closed="right"),
    )


@dataclass
class TrainConfig:
    method: str = setting(
        "finetune",
        "finetune: the transformers Trainer, every setting below; setfit: contrastive tuning then a "
        "logistic-regression head (setfit section; batch_size, seed, num_threads and the output settings apply)",
        choices=TRAIN_METHODS,
        fix="'finetune' for the full corpus, 'setfit' for a few hundred labels.",
    )
    output_dir: str = setting("runs", "parent folder of run directories")
    run_name: str = setting("default", "the run directory is <output_dir>/<run_name>")
    seed: int = setting(13, "one seed for data order, classifier init and dropout", interval=NON_NEGATIVE)
    epochs: int = setting(
        2, "passes over the training data (early stopping may end sooner)", interval=POSITIVE,
        fix="epochs are whole passes over the data: use a whole number such as 3 (fractional epochs are not "
        "supported; for part of a pass, set train.max_steps).",
    )
    batch_size: int = setting(16, "training examples per device and step", interval=POSITIVE)
    eval_batch_size: int = setting(64, "examples per device in evaluation", interval=POSITIVE)
    learning_rate: float = setting(1e-4, "peak learning rate (AdamW)", interval=POSITIVE)
    weight_decay: float = setting(0.01, "AdamW weight decay", interval=NON_NEGATIVE)
    warmup_ratio: float = setting(0.1, "fraction of steps spent warming up the learning rate", interval=FRACTION)
    scheduler: str = setting("linear", "any transformers scheduler name: linear, cosine, constant_with_warmup, ...")
    gradient_accumulation_steps: int = setting(1, "steps whose gradients add up to one update", interval=POSITIVE)
    class_weights: str | list[float] = setting("none", '"none", "balanced", or one weight per label')
    early_stopping_patience: int = setting(
        1, "epochs without dev macro-F1 gain before stopping; 0 disables", interval=NON_NEGATIVE
    )
    select_best: bool = setting(True, "keep the epoch with the best dev macro-F1 (false: keep the last epoch)")
    max_steps: int = setting(-1, "if > 0, stop after this many optimiser steps (smoke tests)", interval=Interval(-1))
    num_threads: int = setting(0, "torch CPU threads; 0 keeps torch's default", interval=NON_NEGATIVE)
    save_total_limit: int = setting(2, "checkpoints kept for resuming", interval=POSITIVE)
    sampling: str = setting(
        "group_by_length", "random, or group_by_length: batches of similar length, less padding (faster on CPU)",
        choices=("random", "group_by_length"),
    )
    silver_weight: float = setting(1.0, "loss weight of a silver example, against 1 for gold", interval=NON_NEGATIVE)


@dataclass
class SetFitConfig:
    # Used when train.method is "setfit" (pip install "stancelab[experiments]"). SetFit draws
    # num_iterations positive and negative pairs per training example, so its cost grows with the
    # training set: it is the method for a few hundred labels, not for thousands.
    num_iterations: int = setting(20, "pairs per example (the library's default)", interval=POSITIVE)
    num_epochs: int = setting(1, "passes over the pairs", interval=POSITIVE)
    body_learning_rate: float = setting(
        2e-5, "learning rate of the contrastive phase (the library's default)", interval=POSITIVE
    )


@dataclass
class EvalConfig:
    baselines: list[str] = setting(
        list(BASELINES), "baselines scored on the same splits and reported beside the model", choices=BASELINES
    )
    official_metric: str = setting(
        "macro_f1",
        "headline number: macro_f1, or semeval_favg (mean F1 of FAVOR and AGAINST)",
        choices=OFFICIAL_METRICS,
    )


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
    if Path(path).is_dir():
        found = sorted(p.name for p in Path(path).glob("*.yaml"))
        hint = f" It holds {', '.join(found[:3])}: pass one of them." if found else ""
        raise ConfigError(f"{path}: expected a YAML config file, found a folder.{hint}")
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
    raw[section][name].item = item


class _Raw(str):
    """An override value as typed on the command line; parsed as YAML unless the key wants the string.

    ``item`` is the whole override (``train.epochs=abc``): errors in the value name it, not the file.
    """

    item = ""


def config_from_dict(raw: dict[str, Any], *, where: str = "config") -> Config:
    """Build a Config from nested dicts, rejecting unknown sections/keys and values of the wrong type."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown section {unknown[0]!r}; valid sections are {', '.join(SECTIONS)}."
            f"{_did_you_mean(unknown[0], SECTIONS) or ' Check the spelling.'}"
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
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(
                f"{where}: unknown key '{section}.{key}'; valid keys in '{section}' are: {', '.join(fields)}."
                f"{_did_you_mean(key, fields, f'{section}.')}"
            )
        # a value typed on the command line is blamed on the command line, not on the file
        source = f"command-line override {value.item!r}" if isinstance(value, _Raw) else where
        try:
            kwargs[key] = _coerce(value, hints[key], f"{section}.{key}", source)
        except ConfigError as err:
            fix = fields[key].metadata.get("fix")
            raise ConfigError(f"{err} Fix: {fix}" if fix else str(err)) from None
        _check_field(fields[key], kwargs[key], f"{section}.{key}", source)
    return cls(**kwargs)


def _did_you_mean(name: str, valid, prefix: str = "") -> str:
    """`` Did you mean 'train.epochs'?`` for a near miss of one of ``valid``, else ""."""
    close = difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.75)
    return f" Did you mean '{prefix}{close[0]}'?" if close else ""


def _check_field(declared: dataclasses.Field, value: Any, key: str, where: str) -> None:
    """The field's declared constraint: one of its ``choices`` (each element, for a list), or in its interval."""
    choices, interval, fix = (declared.metadata.get(name) for name in ("choices", "interval", "fix"))
    if choices is not None and isinstance(value, list):
        unknown = [item for item in value if item not in choices]
        if unknown:
            raise ConfigError(f"{where}: '{key}' has unknown {unknown[0]!r}; choose from {', '.join(choices)}.")
    elif choices is not None and value not in choices:
        hint = f" Fix: {fix}" if fix else ""
        raise ConfigError(f"{where}: '{key}' must be one of {', '.join(choices)}, found {value!r}.{hint}")
    if interval is not None and value not in interval:
        raise ConfigError(f"{where}: '{key}' must be {interval}, found {value}.")


def _coerce(value: Any, hint: Any, key: str, where: str) -> Any:
    """Check ``value`` against a simple type hint; ints are accepted where floats are expected."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if isinstance(value, _Raw):
        try:
            return _coerce(yaml.safe_load(value) if value.strip() else "", hint, key, where)
        except (ConfigError, yaml.YAMLError) as err:
            if str in options:
                return str(value)  # e.g. a template "{speaker}" that YAML would read as a mapping
            if isinstance(err, ConfigError):
                raise
            raise ConfigError(f"{where}: '{key}' is not a valid YAML value: {err}") from None
    for option in options:
        origin = typing.get_origin(option) or option
        if origin is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if origin is float and isinstance(value, str) and _is_number(value):
            return float(value)  # YAML 1.1 reads "1e-3" (no dot) as a string
        if origin is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if origin is int and isinstance(value, float) and value.is_integer():
            return int(value)  # "epochs: 10.0", as configs saved when epochs was a float read back
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
    """Checks across fields, made at load time so that a run fails before training, not after."""
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
    if config.data.encoding != "auto":
        try:
            codecs.lookup(config.data.encoding)
        except LookupError:
            raise ConfigError(
                f"{where}: 'data.encoding' must be a text encoding Python knows or 'auto', found "
                f"{config.data.encoding!r}. Fix: e.g. data.encoding=cp1252 or data.encoding=auto."
            ) from None
    if config.train.early_stopping_patience > 0 and not config.train.select_best:
        raise ConfigError(
            f"{where}: early stopping keeps the best dev epoch, so it needs train.select_best=true; found "
            "select_best=false. Set train.early_stopping_patience=0 or train.select_best=true."
        )
    needed = [label for label in METRIC_LABELS.get(config.eval.official_metric, ()) if label not in labels]
    if needed:
        raise ConfigError(
            f"{where}: 'eval.official_metric' {config.eval.official_metric} needs the labels "
            f"{', '.join(METRIC_LABELS[config.eval.official_metric])}, and data.labels {labels} lacks {needed}. "
            "Fix: use eval.official_metric=macro_f1, or the data set's own label names."
        )
    repeat = config.data.extra_train_repeat
    if len(repeat) > len(config.data.extra_train) or any(
        not isinstance(r, (int, float)) or isinstance(r, bool) or r < 0 for r in repeat
    ):
        raise ConfigError(
            f"{where}: 'data.extra_train_repeat' needs at most one number >= 0 per file of data.extra_train "
            f"({len(config.data.extra_train)}), found {repeat!r}."
        )
    for name in ("template_a", "template_b"):
        _check_template(getattr(config.model, name), f"model.{name}", where)


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


def config_reference() -> str:
    """``docs/config.md``: every section and key with its type, default, accepted values and description,
    generated from the declarations above (tests/test_config.py checks the committed file is current)."""
    lines = [
        "# Config reference",
        "",
        "Generated from `src/stancelab/config.py` by `stancelab.config.config_reference()`; do not edit by hand.",
        "The defaults are the shipped `configs/default.yaml`. Override any key with `section.key=value`.",
    ]
    for section, cls in SECTIONS.items():
        lines += ["", f"## {section}", "", "| key | type | default | accepts | description |", "|---|---|---|---|---|"]
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default
            accepts = _accepts(f)
            hint = hints[f.name]
            kind = hint.__name__ if isinstance(hint, type) else str(hint)
            cells = [f"`{f.name}`", kind, f"`{json.dumps(default, ensure_ascii=False)}`", accepts, f.metadata["doc"]]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _accepts(declared: dataclasses.Field) -> str:
    choices, interval = declared.metadata["choices"], declared.metadata["interval"]
    if choices:
        return ", ".join(f"`{c}`" for c in choices)
    return str(interval) if interval else ""
