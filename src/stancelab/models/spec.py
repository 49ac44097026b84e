"""The saved model's description (``stancelab.json``) and a model loaded for inference."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from stancelab.data.io import InputError, atomic_write_json

FORMAT_VERSION = 1


META_FILE = "stancelab.json"


# The model's own [CLS] head; stancelab.pooling's mean over tokens; the same mean scaled to unit length
# (how sentence-transformers models with a Normalize module, and so exported SetFit models, represent text).
POOLINGS = ("cls", "mean", "mean_normalized")


MEAN_POOLINGS = ("mean", "mean_normalized")


@dataclass
class ModelSpec:
    """How examples become model input; saved with the model as ``stancelab.json``."""

    labels: list[str]
    template_a: str = "{speaker} | {target}"
    template_b: str = "{text}"
    max_length: int = 160
    pooling: str = "cls"  # "cls": AutoModelForSequenceClassification; "mean" / "mean_normalized": stancelab.pooling
    base_model: str = ""
    temperature: float = 1.0  # softmax temperature fitted on dev (1.0 = uncalibrated)
    official_metric: str = "macro_f1"  # the headline score of the data set (see stancelab.data.readers.official_score)
    # The label that means "this statement takes no position on this target" (None: the model has none).
    # Stance metrics on data without it are scored over the other labels; predict_article drops rows whose
    # calibrated probability of it is at least none_threshold.
    none_label: str | None = None
    none_threshold: float = 0.5
    # predict_article drops a statement whose own row (empty target) has at least this probability of
    # none_label; 1.0 (models trained before statement rows) keeps every statement.
    statement_threshold: float = 1.0
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, model_dir: str | os.PathLike) -> Path:
        return atomic_write_json(Path(model_dir) / META_FILE, self.__dict__)

    @classmethod
    def load(cls, model_dir: str | os.PathLike) -> ModelSpec:
        path = Path(model_dir) / META_FILE
        data = _read_meta(path)
        if data.get("format_version", 0) > FORMAT_VERSION:
            raise InputError(
                f"{path}: model format version {data['format_version']} is newer than this stancelab "
                f"understands ({FORMAT_VERSION}). Upgrade stancelab."
            )
        _check_meta_fields(data, path)
        spec = cls(**data)
        if spec.pooling not in POOLINGS:
            raise InputError(
                f"{path}: 'pooling' must be one of {', '.join(POOLINGS)}, found {spec.pooling!r}. The model "
                "directory was edited or written by another program; retrain it with `python -m stancelab.train`."
            )
        return spec


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(
            f"{path}: expected the model's description as JSON, found a file that is truncated or corrupt ({err}). "
            "Fix: copy the model directory again, or re-run training."
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: expected a JSON object, found {type(data).__name__}. Copy the model directory again."
        )
    return data


def _check_meta_fields(data: dict[str, Any], path: Path) -> None:
    """Labels present and a list of strings, no key this stancelab does not know."""
    known = {f.name for f in fields(ModelSpec)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(
            f"{path}: unknown key {unknown[0]!r}; the keys are {', '.join(sorted(known))}. The file was edited or "
            "written by another program; retrain with `python -m stancelab.train`."
        )
    labels = data.get("labels")
    if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(x, str) and x for x in labels):
        raise InputError(
            f"{path}: expected 'labels', a list of at least two label names (the model's outputs in order), "
            f"found {labels!r}. The model cannot be used without them; re-run training, or restore the file."
        )


@dataclass
class LoadedModel:
    """A model ready for inference: weights in eval mode, tokenizer and the saved spec."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    path: Path
    precision: str = "float32"  # one of PRECISIONS

    @property
    def labels(self) -> list[str]:
        return list(self.spec.labels)

    @property
    def quantized(self) -> bool:
        """The linear layers run in int8 (dynamic quantisation, CPU only)."""
        return self.precision == "int8"
