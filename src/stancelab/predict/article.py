"""The article pipeline: from an article's attributed statements to positions (who stands where on which
issue, on what condition): target candidates, the model's "no position" decision, issues, actors."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancelab.build.pipeline import _skip_reason
from stancelab.data.io import InputError, read_text
from stancelab.data.schema import Example
from stancelab.models.spec import LoadedModel
from stancelab.predict.inference import DEFAULT_BATCH_SIZE, predict
from stancelab.predict.loading import _resolve_model
from stancelab.predict.positions import (
    STATEMENT_TARGET,
    article_candidates,
    cluster_issues,
    statement_positions,
    unique_rows,
)

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


# Suffixes of the files an article is read from, and of data files that hold examples or many articles
# (a common slip: `--article examples.jsonl`); the second kind is refused with the command to use instead.
TEXT_SUFFIXES = (".txt", ".md")
DATA_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv", ".parquet")


class ArticleWarning(UserWarning):
    """What ``predict_article`` has to say about an article: the builder's warnings (HTML remnants,
    unbalanced quotes, skipped articles) and why the table it returns is empty."""


@dataclass
class ArticleRun:
    """The positions of some articles, the builder's warnings about them, and why there are none if so."""

    table: Any
    warnings: list[str] = field(default_factory=list)  # "article <id>: <the builder's warning>"
    empty: tuple[str, str] | None = None  # (what was found instead of positions, how to fix it)


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
    progress: bool | None = None,
) -> Any:
    """Who takes which position on which issue in one article, on what condition; a pandas DataFrame.

    One row per position: ``speaker`` (the holder; ``relayed_by`` names who reported it), ``actor`` (whom
    the speaker speaks for), ``issue`` (the target mentions of the call clustered, with a readable name),
    ``target`` (the mention), ``label``, ``confidence``, ``p_position`` (probability that the statement
    takes a position on the target), ``condition`` with ``condition_start``/``condition_end`` for
    conditional positions, the statement's ``text``/``start``/``end`` (offsets into the article with its
    HTML entities decoded, as the builder's; the article itself when it has none), and one ``p_<label>``
    column per label. Statements without a position are dropped (``include_none=True`` keeps
    one ``none`` row for each). ``targets`` (``{name: [alias, ...]}``) fixes the issues to look for.

    ``text_or_path`` is the article's text or the file it is in. A ``Path`` is always a file; a ``str`` is
    a file when it is one line that ends in .txt or .md (or a data suffix such as .jsonl), or names a file
    or folder that exists; any other string is the article itself. A path that does not exist, a folder
    or a data file (.jsonl, .json, .csv, .tsv, .parquet) raises ``InputError`` naming what to use instead.
    The builder's warnings (HTML remnants, unbalanced quotes) come as ``ArticleWarning``; so does the
    reason when the table is empty (empty article, no attributed statements, no statement with a
    position): the table then has the columns above and no rows. ``progress`` shows a bar over the
    model's batches (None: only on a terminal and for more than a few batches).

    >>> table = predict_article("data/raw/000_ed3b50a90a3882e0.txt", model="runs/default")  # doctest: +SKIP
    >>> table[["actor", "issue", "label", "condition"]].head(3)  # doctest: +SKIP
    """
    text, article_id = article_text(text_or_path, article_id)
    run = run_articles(
        [(article_id, text)], model, targets=targets, include_none=include_none, batch_size=batch_size,
        precision=precision, quantize=quantize, max_length=max_length, progress=progress,
    )
    return _warn_about(run, "predict_article")


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
    progress: bool | None = None,
) -> Any:
    """``predict_article`` over ``(article_id, text)`` pairs; issues are clustered across all of them."""
    run = run_articles(
        articles, model, targets=targets, include_none=include_none, batch_size=batch_size, precision=precision,
        quantize=quantize, max_length=max_length, progress=progress,
    )
    return _warn_about(run, "predict_articles")


def run_articles(
    articles: list[tuple[str, str]],
    model: str | Path | LoadedModel,
    *,
    targets: dict[str, list[str]] | None = None,
    include_none: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
    progress: bool | None = None,
) -> ArticleRun:
    """``predict_articles`` with its warnings and its empty-table reason returned instead of warned
    (the command prints them and exits 3 on an empty table)."""
    import pandas as pd

    loaded = _resolve_model(model, precision, quantize)
    rows, notes, skipped, statements = [], [], {}, 0
    for article_id, text in articles:
        reason = _skip_reason(text)  # the builder's own rule: empty or too long
        if reason:
            skipped[article_id] = reason
            continue
        found, n, builder_warnings = _article_positions(
            text, article_id, loaded, targets, include_none, batch_size, max_length, progress
        )
        rows += found
        statements += n
        notes += [f"article {article_id}: {w}" for w in builder_warnings]
    _name_issues(rows, targets)
    columns = ARTICLE_COLUMNS + [f"p_{label}" for label in loaded.labels]
    empty = None if rows else _why_empty(len(articles), list(skipped.values()), statements)
    if len(skipped) < len(articles):  # else the reason for the empty table names them
        notes = [f"article {a}: skipped: {reason}" for a, reason in skipped.items()] + notes
    return ArticleRun(pd.DataFrame(rows, columns=columns), notes, empty)


def _why_empty(n_articles: int, skipped: list[str], statements: int) -> tuple[str, str]:
    """(what was found, the fix) for a run that found no position."""
    if n_articles == 0:
        return "no article", "Pass at least one (article_id, text) pair."
    if len(skipped) == n_articles:
        if all(reason.startswith("empty") for reason in skipped):
            return "an empty article (no text)", "Pass the article's text, or the path of its .txt or .md file."
        return f"only articles the builder skips ({'; '.join(skipped)})", "Fix or split the articles."
    if statements == 0:
        return (
            "no attributed statements (no one is quoted or reported as saying something)",
            "Check that the text is a news article with quotes or reported speech; "
            "`python -m stancelab.build --input FILE` finds the same statements.",
        )
    return (
        f"{statements} attributed statement(s), none of which takes a position on a target",
        "Run with --include-none (predict_article(..., include_none=True)) to see the statements judged to "
        "take no position.",
    )


def _warn_about(run: ArticleRun, caller: str) -> Any:
    for note in run.warnings:
        warnings.warn(note, ArticleWarning, stacklevel=3)
    if run.empty:
        found, fix = run.empty
        message = f"{caller}: expected at least one attributed position, found {found}; the table is empty. {fix}"
        warnings.warn(message, ArticleWarning, stacklevel=3)
    return run.table


def _article_positions(text, article_id, loaded, targets, include_none, batch_size, max_length, progress):
    """(position rows, number of attributed statements, the builder's warnings) of one article."""
    items, builder_warnings = article_candidates(text, targets)
    if loaded.spec.none_label is None:  # a stance-only model: every rule target is taken as a position
        for item in items:
            item.candidates = item.candidates[: item.rules]
    gated = loaded.spec.none_label is not None and loaded.spec.statement_threshold < 1.0
    # one statement row (empty target) per statement that has candidates, then the candidates themselves
    gated_items = [item for item in items if gated and item.candidates]
    pairs = [(item, STATEMENT_TARGET) for item in gated_items] + [(item, c) for item in items for c in item.candidates]
    examples = [
        Example(id=str(k), article_id=article_id, speaker=item.holder or item.statement.speaker,
                speaker_affiliation=item.statement.speaker_affiliation, target=c, text=item.statement.sentence)
        for k, (item, c) in enumerate(pairs)
    ]
    results = (
        predict(examples, loaded, batch_size=batch_size, max_length=max_length, progress=progress) if examples else []
    )
    n_statements = len(gated_items)
    statement = {id(item): result for item, result in zip(gated_items, results)}
    by_item: dict[int, list] = {}
    for (item, _), result in zip(pairs[n_statements:], results[n_statements:]):
        by_item.setdefault(id(item), []).append(result)
    spec = loaded.spec
    rows = []
    for item in items:
        rows += statement_positions(item, by_item.get(id(item), []), spec.none_label, spec.none_threshold,
                                    include_none, statement.get(id(item)), spec.statement_threshold)
    return [{"article_id": article_id, **row} for row in unique_rows(rows)], len(items), builder_warnings


def _name_issues(rows: list[dict], targets: dict[str, list[str]] | None) -> None:
    """Fill each row's ``issue``: a listed target is its own issue; other mentions are clustered."""
    listed = set(targets or ())
    free = [row for row in rows if row["target"] not in listed]
    labels, names = cluster_issues([row["target"] for row in free])
    for row, label in zip(free, labels):
        row["issue"] = names[label]
    for row in rows:
        row.setdefault("issue", row["target"])


def article_text(text_or_path: str | Path, article_id: str | None = None) -> tuple[str, str]:
    """(text, article id) of ``predict_article``'s first argument: a file is read (its stem is the id),
    any other string is the article itself (id ``article``); see ``predict_article`` for the rule."""
    if isinstance(text_or_path, Path) or _looks_like_path(text_or_path):
        path = Path(text_or_path)
        return read_article(path), article_id or path.stem
    if not isinstance(text_or_path, str):
        raise TypeError(
            f"predict_article: expected the article as a str (its text or a file path) or a Path, found "
            f"{type(text_or_path).__name__}."
        )
    return text_or_path, article_id or "article"


def _looks_like_path(value: Any) -> bool:
    if not isinstance(value, str) or "\n" in value or not value.strip() or len(value) > 4096:
        return False
    if value.lower().endswith(TEXT_SUFFIXES + DATA_SUFFIXES):
        return True
    try:
        return Path(value).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte: not a path
        return False


def read_article(path: str | Path) -> str:
    """The text of one article file (.txt, .md or any other plain-text file), with an InputError that says
    what to use instead for a data file, a folder or a missing file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in DATA_SUFFIXES:
        fix = (
            f"For a JSONL of examples (speaker, target, text) run `python -m stancelab.predict --input {path} "
            f"--output OUT.jsonl`; for a JSONL of articles ({{\"id\", \"text\"}}) run "
            f"`python -m stancelab.build --input {path}`."
            if suffix == ".jsonl"
            else "Convert it to JSONL: examples for `python -m stancelab.predict --input`, or "
            '{"id", "text"} articles for `python -m stancelab.build --input`.'
        )
        raise InputError(
            f"{path}: expected an article as plain text (.txt or .md), found a '{suffix}' data file. {fix}"
        )
    if not path.exists():
        raise InputError(
            f"{path}: expected an article file (.txt or .md), found no such file. Check the path (relative paths "
            f"are read from {Path.cwd()}), or pass the article's text itself."
        )
    if path.is_dir():
        raise InputError(
            f"{path}: expected an article file (.txt or .md), found a folder. Pass one file of it, or run "
            f"`python -m stancelab.build --input {path}` for a folder of articles."
        )
    return read_text(path)

def format_article_table(table: Any, width: int = 60) -> str:
    """A readable fixed-width table of an article's positions, in document order."""
    if table.empty:
        return "no attributed positions found"
    view = table[["actor", "speaker", "issue", "label", "confidence", "condition", "text"]].copy()
    view["confidence"] = view["confidence"].map("{:.2f}".format)
    for column, limit in (("text", width), ("issue", 40), ("condition", 40), ("speaker", 24), ("actor", 20)):
        view[column] = view[column].fillna("").map(lambda t, n=limit: t if len(t) <= n else t[: n - 3] + "...")
    return view.to_string(index=False)
