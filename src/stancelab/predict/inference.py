"""``predict()`` and the batched forward pass under it.

>>> from stancelab import predict
>>> predict([{"speaker": "Sergey Lavrov", "target": "U.S. airstrikes in Syria",
...           "text": "Lavrov said Russia opposed ongoing U.S. airstrikes in Syria."}],
...         model="runs/default")  # doctest: +SKIP
[{'label': 'oppose', 'probs': {'support': 0.03, 'oppose': 0.95, 'conditional': 0.02}}]
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.cli import progress as progress_bar
from stancelab.data.io import InputError, read_jsonl_objects
from stancelab.data.schema import Example, _check_unique_ids, coerce_examples, example_from_dict
from stancelab.models.inputs import encode, format_pair
from stancelab.models.spec import LoadedModel, ModelSpec
from stancelab.predict.loading import _resolve_model

# Examples per forward pass. Batches are length-sorted, so padding stays small (7-12% of tokens on the
# corpus); on 2 cores 64, 128 and 256 ran within 10% of each other, 32 slower (docs/inference.md).
DEFAULT_BATCH_SIZE = 64
# With progress=None a bar is shown only on a terminal and for more batches than this (a few seconds on CPU).
AUTO_PROGRESS_BATCHES = 2


# The fields every example to label needs; id, article_id and speaker_affiliation are optional.
PREDICTION_FIELDS = ("speaker", "target", "text")


def read_prediction_inputs(path: str | Path) -> list[Example]:
    """Examples to label from a JSONL file, with ``predict()``'s contract: speaker, target and text on every
    line; ``id`` defaults to the line number, ``article_id`` and ``speaker_affiliation`` to ""; a ``label``
    is kept whatever its value. Errors name the file and line.

    >>> examples = read_prediction_inputs("statements.jsonl")  # doctest: +SKIP
    """
    examples = []
    for lineno, row in read_jsonl_objects(path):
        where = f"{path}:{lineno}"
        missing = [name for name in PREDICTION_FIELDS if row.get(name) is None]
        if missing:
            raise InputError(
                f"{where}: expected the fields {', '.join(PREDICTION_FIELDS)}, found no '{missing[0]}' (the line "
                f"has {', '.join(sorted(row)) or 'no fields'}). Add it; id, article_id and speaker_affiliation "
                "are optional."
            )
        filled = {"id": str(lineno), "article_id": "", "speaker_affiliation": "", **row}
        examples.append(example_from_dict(filled, labels=None, where=where))
    _check_unique_ids(examples, path)
    return examples


def predict_logits(
    examples: list[Example],
    loaded: LoadedModel,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    max_length: int | None = None,
    progress: bool | None = None,
) -> np.ndarray:
    """Raw logits, shape (n_examples, n_labels), in input order.

    All examples are tokenised in one call, then sorted by length so each batch pads only to its own
    longest input; the original order is restored at the end. Texts longer than ``max_length`` tokens
    (default: the model's, from training) are truncated with a warning. ``progress``: a bar over the
    batches on stderr (True), none (False), or one only on a terminal for more than a few batches (None).
    """
    import torch

    _check_batch_size(batch_size)
    spec = _spec_with_max_length(loaded, max_length)
    features = _encode(examples, loaded.tokenizer, spec)
    _warn_if_truncated(features, spec.max_length, _position_limit(loaded))
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]
    lengths = np.fromiter(map(len, features["input_ids"]), dtype=np.int64, count=len(examples))
    order = np.argsort(-lengths, kind="stable")
    pad_id = loaded.tokenizer.pad_token_id or 0
    device = getattr(loaded.model, "device", torch.device("cpu"))
    out = np.zeros((len(examples), len(loaded.labels)), dtype=np.float32)
    starts = range(0, len(order), batch_size)
    with torch.inference_mode(), _progress_bar(len(starts), progress) as bar:
        for begin in starts:
            idx = order[begin : begin + batch_size]
            batch = _pad(features, keys, idx, lengths, pad_id)
            logits = loaded.model(**{k: torch.from_numpy(v).to(device) for k, v in batch.items()}).logits
            out[idx] = logits.float().cpu().numpy()
            bar.update(1)
    return out


def _progress_bar(n_batches: int, progress: bool | None) -> Any:
    """A bar over the batches: ``progress=None`` shows it on a terminal for more than a few batches."""
    show = False if progress is None and n_batches <= AUTO_PROGRESS_BATCHES else progress
    return progress_bar(total=n_batches, desc="predict", unit="batch", show=show, leave=False)


def _pad(features: Any, keys: list[str], idx: np.ndarray, lengths: np.ndarray, pad_id: int) -> dict[str, np.ndarray]:
    """Right-pad the rows ``idx`` to their longest; returns int64 arrays of shape (len(idx), longest)."""
    width = int(lengths[idx].max())
    batch = {k: np.full((len(idx), width), pad_id if k == "input_ids" else 0, dtype=np.int64) for k in keys}
    for row, i in enumerate(idx):
        for k in keys:
            batch[k][row, : lengths[i]] = features[k][i]
    return batch


def _check_batch_size(batch_size: int) -> None:
    _check_positive("batch_size", batch_size)


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, found {value!r}.")


def _position_limit(loaded: LoadedModel) -> int | None:
    """The longest input the encoder has position embeddings for (512 for BERT-style models)."""
    return getattr(getattr(loaded.model, "config", None), "max_position_embeddings", None)


def _spec_with_max_length(loaded: LoadedModel, max_length: int | None) -> ModelSpec:
    if max_length is None:
        return loaded.spec
    limit = _position_limit(loaded)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 8:
        raise InputError(f"max_length must be an integer of at least 8 tokens, found {max_length!r}.")
    if limit is not None and max_length > limit:
        raise InputError(
            f"max_length must be at most {limit} (the encoder's max_position_embeddings), found {max_length}."
        )
    return dataclasses.replace(loaded.spec, max_length=max_length)


def _encode(examples: list[Example], tokenizer: Any, spec: ModelSpec) -> Any:
    """``encode()``, with the tokenizer's bare 'Truncation error' turned into a message about the example."""
    try:
        return encode(examples, tokenizer, spec)
    except Exception as err:  # the Rust tokenizer raises a plain Exception
        if "Truncation error" not in str(err):
            raise
    firsts = [format_pair(ex, spec)[0] for ex in examples]
    sizes = [len(ids) for ids in tokenizer(firsts, add_special_tokens=False)["input_ids"]]
    room = spec.max_length - tokenizer.num_special_tokens_to_add(pair=bool(spec.template_b))
    i = next((i for i, n in enumerate(sizes) if n > room), 0)
    raise InputError(
        f"example {i}: speaker and target take {sizes[i]} tokens (template {spec.template_a!r}), more than "
        f"max_length={spec.max_length} leaves for them ({room}), so there is no room for the text. Fix: shorten "
        "the speaker or target, or raise max_length."
    ) from None


def _warn_if_truncated(features: Any, max_length: int, limit: int | None) -> None:
    encodings = getattr(features, "encodings", None)
    if encodings:  # fast tokenizers keep what truncation cut off
        n = sum(1 for enc in encodings if enc.overflowing)
    else:
        n = sum(1 for ids in features["input_ids"] if len(ids) >= max_length)
    if n:
        most = f" (at most {limit}, the encoder's limit)" if limit else ""
        warnings.warn(
            f"{n} of {len(features['input_ids'])} examples are longer than max_length={max_length} tokens and were "
            f"truncated: the model does not see the end of their text. Fix: pass shorter texts, or raise the limit "
            f"with predict(..., max_length=N) or --max-length N{most}.",
            UserWarning,
            stacklevel=4,
        )


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    return exp / exp.sum(axis=1, keepdims=True)


def predict(
    examples: Any,
    model: str | Path | LoadedModel,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_threads: int | None = None,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
    progress: bool | None = None,
) -> list[dict[str, Any]]:
    """Label each example; returns ``{"label", "probs": {label: p}}`` per example, in input order.

    ``examples`` may be dicts with speaker/target/text (``id``, ``article_id`` and ``speaker_affiliation``
    are optional), Examples, a pandas DataFrame or a ``datasets.Dataset``. ``model`` is a run or model
    directory (str or Path) or a ``load_model()`` result. Probabilities use the temperature fitted on dev
    when the model has one. ``precision`` picks the float32 (default), bfloat16 or int8 copy of the model
    (``quantize=True`` is int8); ``max_length`` overrides the model's token limit; ``progress`` shows a bar
    over the batches on stderr (None: only on a terminal and for more than two batches).

    >>> predict(rows, model="runs/default", precision="bfloat16", num_threads=2)  # doctest: +SKIP
    """
    if examples is None or isinstance(examples, (str, bytes, Path)):
        raise TypeError(
            f"predict: expected examples as dicts with speaker, target and text (a list, a DataFrame or a "
            f"datasets.Dataset), found {type(examples).__name__}. For a JSONL file use "
            "stancelab.predict.inference.read_prediction_inputs(path) first."
        )
    loaded = _resolve_model(model, precision, quantize)
    items = coerce_examples(examples, labels=None)
    if not items:
        return []
    if num_threads is not None:
        _check_positive("num_threads", num_threads)
        import torch

        torch.set_num_threads(num_threads)
    logits = predict_logits(items, loaded, batch_size, max_length=max_length, progress=progress)
    probs = softmax(logits, loaded.spec.temperature)
    labels = loaded.labels
    return [
        {"label": labels[int(row.argmax())], "probs": {label: float(p) for label, p in zip(labels, row)}}
        for row in probs
    ]
