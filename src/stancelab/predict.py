"""Inference: ``predict()`` for examples and the ``python -m stancelab.predict`` command.

>>> from stancelab import predict
>>> predict([{"speaker": "Sergey Lavrov", "target": "U.S. airstrikes in Syria",
...           "text": "Lavrov said Russia opposed ongoing U.S. airstrikes in Syria."}],
...         model="runs/default")  # doctest: +SKIP
[{'label': 'oppose', 'probs': {'support': 0.03, 'oppose': 0.95, 'conditional': 0.02}}]
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.io import InputError, atomic_write_jsonl
from stancelab.modeling import ModelSpec, encode, find_model_dir
from stancelab.schema import Example, coerce_examples, read_examples


@dataclass
class LoadedModel:
    """A model ready for inference: weights in eval mode, tokenizer and the saved spec."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    path: Path

    @property
    def labels(self) -> list[str]:
        return list(self.spec.labels)


def load_model(path: str | Path) -> LoadedModel:
    """Load a run or model directory (cached per resolved path)."""
    return _load_cached(str(find_model_dir(path).resolve()))


@functools.lru_cache(maxsize=4)
def _load_cached(model_dir: str) -> LoadedModel:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    spec = ModelSpec.load(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, use_safetensors=True, trust_remote_code=False)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, spec=spec, path=Path(model_dir))


def predict_logits(examples: list[Example], loaded: LoadedModel, batch_size: int = 64) -> np.ndarray:
    """Raw logits, shape (n_examples, n_labels), in input order.

    Examples are sorted by length so each batch pads only to its own longest input; the original
    order is restored at the end.
    """
    import torch

    features = encode(examples, loaded.tokenizer, loaded.spec)
    lengths = np.array([len(ids) for ids in features["input_ids"]])
    order = np.argsort(-lengths, kind="stable")
    out = np.zeros((len(examples), len(loaded.labels)), dtype=np.float32)
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            idx = order[begin : begin + batch_size]
            batch = loaded.tokenizer.pad(
                {k: [features[k][i] for i in idx] for k in keys}, padding=True, return_tensors="pt"
            )
            out[idx] = loaded.model(**batch).logits.float().numpy()
    return out


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    return exp / exp.sum(axis=1, keepdims=True)


def predict(
    examples: Any, model: str | Path | LoadedModel, *, batch_size: int = 64, num_threads: int | None = None
) -> list[dict[str, Any]]:
    """Label each example; returns ``{"label", "probs": {label: p}}`` per example, in input order.

    ``examples`` may be dicts with speaker/target/text, Examples, a pandas DataFrame or a
    ``datasets.Dataset``. Probabilities use the temperature fitted on dev when the model has one.
    """
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    items = coerce_examples(examples, labels=None)
    if not items:
        return []
    if num_threads:
        import torch

        torch.set_num_threads(num_threads)
    probs = softmax(predict_logits(items, loaded, batch_size), loaded.spec.temperature)
    labels = loaded.labels
    return [
        {"label": labels[int(row.argmax())], "probs": {label: float(p) for label, p in zip(labels, row)}}
        for row in probs
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.predict", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="run directory or model directory")
    parser.add_argument("--input", required=True, help="JSONL of examples with speaker, target, text")
    parser.add_argument("--output", required=True, help="JSONL to write: each input line plus label and probs")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    try:
        examples = read_examples(args.input, labels=None)
        results = predict(examples, args.model, batch_size=args.batch_size, num_threads=args.threads)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    rows = [{**ex.to_dict(), "predicted": r["label"], "probs": r["probs"]} for ex, r in zip(examples, results)]
    atomic_write_jsonl(args.output, rows)
    print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
