"""The article pipeline: from an article's attributed statements to positions (who stands where on which
issue, on what condition): target candidates, the model's "no position" decision, issues, actors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stancelab.data.io import InputError, read_text
from stancelab.data.schema import Example
from stancelab.models.spec import LoadedModel
from stancelab.predict.inference import DEFAULT_BATCH_SIZE, predict
from stancelab.predict.loading import _resolve_model
from stancelab.predict.positions import article_candidates, cluster_issues, statement_positions, unique_rows

ARTICLE_COLUMNS = [
    "article_id",
    "speaker",
    "actor",
    "issue",
    "target",
    "label",
    "confidence",
    "p_position",
    "condition",
    "relayed_by",
    "kind",
    "cue",
    "text",
    "start",
    "end",
    "condition_start",
    "condition_end",
    "speaker_affiliation",
]


def predict_article(
    text_or_path: str | Path,
    model: str | Path | LoadedModel,
    *,
    targets: dict[str, list[str]] | None = None,
    article_id: str | None = None,
    include_none: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
) -> Any:
    """Who takes which position on which issue in one article, on what condition; a pandas DataFrame.

    One row per position: ``speaker`` (the holder; ``relayed_by`` names who reported it), ``actor`` (whom
    the speaker speaks for), ``issue`` (the target mentions of the call clustered, with a readable name),
    ``target`` (the mention), ``label``, ``confidence``, ``p_position`` (probability that the statement
    takes a position on the target), ``condition`` with ``condition_start``/``condition_end`` for
    conditional positions, the statement's ``text``/``start``/``end`` (offsets into the article), and one
    ``p_<label>`` column per label. Statements without a position are dropped (``include_none=True`` keeps
    one ``none`` row for each). ``targets`` (``{name: [alias, ...]}``) fixes the issues to look for.

    >>> table = predict_article("data/raw/000_ed3b50a90a3882e0.txt", model="runs/default")  # doctest: +SKIP
    >>> table[["actor", "issue", "label", "condition"]].head(3)  # doctest: +SKIP
    """
    text, article_id = _article_text(text_or_path, article_id)
    return predict_articles(
        [(article_id, text)], model, targets=targets, include_none=include_none, batch_size=batch_size,
        precision=precision, quantize=quantize, max_length=max_length,
    )


def predict_articles(
    articles: list[tuple[str, str]],
    model: str | Path | LoadedModel,
    *,
    targets: dict[str, list[str]] | None = None,
    include_none: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
) -> Any:
    """``predict_article`` over ``(article_id, text)`` pairs; issues are clustered across all of them."""
    import pandas as pd

    loaded = _resolve_model(model, precision, quantize)
    rows = []
    for article_id, text in articles:
        rows += _article_positions(text, article_id, loaded, targets, include_none, batch_size, max_length)
    _name_issues(rows, targets)
    columns = ARTICLE_COLUMNS + [f"p_{label}" for label in loaded.labels]
    return pd.DataFrame(rows, columns=columns)


def _article_positions(text, article_id, loaded, targets, include_none, batch_size, max_length) -> list[dict]:
    items, _ = article_candidates(text, targets)
    if loaded.spec.none_label is None:  # a stance-only model: every rule target is taken as a position
        for item in items:
            item.candidates = item.candidates[: item.rules]
    pairs = [(item, c) for item in items for c in item.candidates]
    examples = [
        Example(id=str(k), article_id=article_id, speaker=item.holder or item.statement.speaker,
                speaker_affiliation=item.statement.speaker_affiliation, target=c, text=item.statement.sentence)
        for k, (item, c) in enumerate(pairs)
    ]
    results = predict(examples, loaded, batch_size=batch_size, max_length=max_length) if examples else []
    by_item: dict[int, list] = {}
    for (item, _), result in zip(pairs, results):
        by_item.setdefault(id(item), []).append(result)
    none, threshold = loaded.spec.none_label, loaded.spec.none_threshold
    rows = []
    for item in items:
        rows += statement_positions(item, by_item.get(id(item), []), none, threshold, include_none)
    return [{"article_id": article_id, **row} for row in unique_rows(rows)]


def _name_issues(rows: list[dict], targets: dict[str, list[str]] | None) -> None:
    """Fill each row's ``issue``: a listed target is its own issue; other mentions are clustered."""
    listed = set(targets or ())
    free = [row for row in rows if row["target"] not in listed]
    labels, names = cluster_issues([row["target"] for row in free])
    for row, label in zip(free, labels):
        row["issue"] = names[label]
    for row in rows:
        row.setdefault("issue", row["target"])


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
    view = table[["actor", "speaker", "issue", "label", "confidence", "condition", "text"]].copy()
    view["confidence"] = view["confidence"].map("{:.2f}".format)
    for column, limit in (("text", width), ("issue", 40), ("condition", 40), ("speaker", 24), ("actor", 20)):
        view[column] = view[column].fillna("").map(lambda t, n=limit: t if len(t) <= n else t[: n - 3] + "...")
    return view.to_string(index=False)
