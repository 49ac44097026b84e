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


ARTICLE_COLUMNS = [
    "speaker",
    "speaker_affiliation",
    "target",
    "label",
    "confidence",
    "kind",
    "cue",
    "text",
    "start",
    "end",
]


def predict_article(
    text_or_path: str | Path,
    model: str | Path | LoadedModel,
    *,
    targets: dict[str, list[str]] | None = None,
    article_id: str | None = None,
    batch_size: int = 64,
) -> Any:
    """Find every attributed position in one article and label it; returns a pandas DataFrame.

    Columns: speaker, speaker_affiliation, target, label, confidence, kind, cue, text, start, end
    (offsets into the article), plus one ``p_<label>`` column per label.

    >>> table = predict_article("data/raw/000_ed3b50a90a3882e0.txt", model="runs/default")  # doctest: +SKIP
    >>> table[["speaker", "target", "label"]].head(3)  # doctest: +SKIP
    """
    import pandas as pd

    from stancelab.build import build_examples

    text, article_id = _article_text(text_or_path, article_id)
    examples = build_examples(text, article_id, targets)
    loaded = model if isinstance(model, LoadedModel) else load_model(model)
    results = predict(examples, loaded, batch_size=batch_size) if examples else []
    rows = []
    for ex, result in zip(examples, results):
        row = {**ex.to_dict(), "label": result["label"], "confidence": max(result["probs"].values())}
        row.update({f"p_{label}": p for label, p in result["probs"].items()})
        rows.append(row)
    columns = ARTICLE_COLUMNS + [f"p_{label}" for label in loaded.labels]
    return pd.DataFrame(rows, columns=columns)


def _article_text(text_or_path: str | Path, article_id: str | None) -> tuple[str, str]:
    """A path to a .txt file is read; any other string is the article itself."""
    from stancelab.io import read_text

    looks_like_path = isinstance(text_or_path, Path) or (
        "\n" not in text_or_path and len(text_or_path) < 4096 and text_or_path.endswith(".txt")
    )
    if looks_like_path:
        path = Path(text_or_path)
        return read_text(path), article_id or path.stem
    if not text_or_path.strip():
        raise InputError("predict_article: the article text is empty. Pass the article's text or a .txt path.")
    return text_or_path, article_id or "article"


def format_article_table(table: Any, width: int = 60) -> str:
    """A readable fixed-width table of an article's positions, in document order."""
    if table.empty:
        return "no attributed positions found"
    view = table[["speaker", "target", "label", "confidence", "text"]].copy()
    view["confidence"] = view["confidence"].map("{:.2f}".format)
    view["text"] = view["text"].map(lambda t: t if len(t) <= width else t[: width - 3] + "...")
    view["target"] = view["target"].map(lambda t: t if len(t) <= 40 else t[:37] + "...")
    return view.to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.predict", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="run directory or model directory")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="JSONL of examples with speaker, target, text")
    source.add_argument("--article", help="a .txt article: find its positions and label them")
    parser.add_argument("--output", help="JSONL (or, with --article, .csv) to write")
    parser.add_argument("--map", help="with --article: draw the stance map (speakers x targets) to this PNG")
    parser.add_argument("--targets", help="with --article: YAML of {target: [aliases]} to look for")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.input and not args.output:
        parser.error("--input needs --output")
    try:
        if args.article:
            return _main_article(args)
        examples = read_examples(args.input, labels=None)
        results = predict(examples, args.model, batch_size=args.batch_size, num_threads=args.threads)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    rows = [{**ex.to_dict(), "predicted": r["label"], "probs": r["probs"]} for ex, r in zip(examples, results)]
    atomic_write_jsonl(args.output, rows)
    print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


def _main_article(args: argparse.Namespace) -> int:
    from stancelab.targets import load_targets

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    targets = load_targets(args.targets) if args.targets else None
    table = predict_article(args.article, args.model, targets=targets, batch_size=args.batch_size)
    print(format_article_table(table))
    if args.output:
        if args.output.endswith(".csv"):
            from stancelab.io import atomic_write_text

            atomic_write_text(args.output, table.to_csv(index=False))
        else:
            atomic_write_jsonl(args.output, table.to_dict(orient="records"))
        print(f"wrote {len(table)} rows to {args.output}")
    if args.map:
        from stancelab.viz import plot_stance_map

        plot_stance_map(table, Path(args.map), title=f"stance map: {Path(args.article).name}")
        print(f"wrote {args.map}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
