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

from stancelab.data.io import InputError
from stancelab.data.schema import Example, coerce_examples
from stancelab.models.inputs import encode, format_pair
from stancelab.models.spec import LoadedModel, ModelSpec
from stancelab.predict.loading import _resolve_model

# Examples per forward pass. Batches are length-sorted, so padding stays small (7-12% of tokens on the
# corpus); on 2 cores 64, 128 and 256 ran within 10% of each other, 32 slower (docs/inference.md).
DEFAULT_BATCH_SIZE = 64


def predict_logits(
    examples: list[Example], loaded: LoadedModel, batch_size: int = DEFAULT_BATCH_SIZE, *, max_length: int | None = None
) -> np.ndarray:
    """Raw logits, shape (n_examples, n_labels), in input order.

    All examples are tokenised in one call, then sorted by length so each batch pads only to its own
    longest input; the original order is restored at the end. Texts longer than ``max_length`` tokens
    (default: the model's, from training) are truncated with a warning.
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
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            idx = order[begin : begin + batch_size]
            batch = _pad(features, keys, idx, lengths, pad_id)
            logits = loaded.model(**{k: torch.from_numpy(v).to(device) for k, v in batch.items()}).logits
            out[idx] = logits.float().cpu().numpy()
    return out


def _pad(features: Any, keys: list[str], idx: np.ndarray, lengths: np.ndarray, pad_id: int) -> dict[str, np.ndarray]:
    """Right-pad the rows ``idx`` to their longest; returns int64 arrays of shape (len(idx), longest)."""
    width = int(lengths[idx].max())
    batch = {k: np.full((len(idx), width), pad_id if k == "input_ids" else 0, dtype=np.int64) for k in keys}
    for row, i in enumerate(idx):
        for k in keys:
            batch[k][row, : lengths[i]] = features[k][i]
    return batch


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, found {batch_size!r}.")


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
) -> list[dict[str, Any]]:
    """Label each example; returns ``{"label", "probs": {label: p}}`` per example, in input order.

    ``examples`` may be dicts with speaker/target/text, Examples, a pandas DataFrame or a
    ``datasets.Dataset``. Probabilities use the temperature fitted on dev when the model has one.
    ``precision`` picks the float32 (default), bfloat16 or int8 copy of the model (``quantize=True`` is
    int8); ``max_length`` overrides the model's token limit.

    >>> predict(rows, model="runs/default", precision="bfloat16", num_threads=2)  # doctest: +SKIP
    """
    loaded = _resolve_model(model, precision, quantize)
    items = coerce_examples(examples, labels=None)
    if not items:
        return []
    if num_threads:
        import torch

        torch.set_num_threads(num_threads)
    logits = predict_logits(items, loaded, batch_size, max_length=max_length)
    probs = softmax(logits, loaded.spec.temperature)
    labels = loaded.labels
    return [
        {"label": labels[int(row.argmax())], "probs": {label: float(p) for label, p in zip(labels, row)}}
        for row in probs
    ]
