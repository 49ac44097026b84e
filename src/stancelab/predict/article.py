"""The article pipeline: find every attributed position in one article (the builder), then label it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancelab.build.pipeline import build_examples
from stancelab.data.io import InputError, read_text
from stancelab.models.spec import LoadedModel
from stancelab.predict.inference import DEFAULT_BATCH_SIZE, predict
from stancelab.predict.loading import _resolve_model

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
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
) -> Any:
    """Find every attributed position in one article and label it; returns a pandas DataFrame.

    Columns: speaker, speaker_affiliation, target, label, confidence, kind, cue, text, start, end
    (offsets into the article), plus one ``p_<label>`` column per label.

    >>> table = predict_article("data/raw/000_ed3b50a90a3882e0.txt", model="runs/default")  # doctest: +SKIP
    >>> table[["speaker", "target", "label"]].head(3)  # doctest: +SKIP
    """
    import pandas as pd

    text, article_id = _article_text(text_or_path, article_id)
    examples = build_examples(text, article_id, targets)
    loaded = _resolve_model(model, precision, quantize)
    results = predict(examples, loaded, batch_size=batch_size, max_length=max_length) if examples else []
    rows = []
    for ex, result in zip(examples, results):
        row = {**ex.to_dict(), "label": result["label"], "confidence": max(result["probs"].values())}
        row.update({f"p_{label}": p for label, p in result["probs"].items()})
        rows.append(row)
    columns = ARTICLE_COLUMNS + [f"p_{label}" for label in loaded.labels]
    return pd.DataFrame(rows, columns=columns)


def _article_text(text_or_path: str | Path, article_id: str | None) -> tuple[str, str]:
    """A path to a .txt file is read; any other string is the article itself."""
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
