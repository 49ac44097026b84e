"""Candidates -> annotation tasks: the statement, the article around it, and what the annotator may edit.

A task is tool-neutral; ``formats.py`` writes it for Label Studio, doccano or Prodigy::

    >>> task = make_task(candidate, article_text, context_chars=300)  # doctest: +SKIP
    >>> task.context_before + task.text + task.context_after in article_text  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from stancelab.build.pipeline import read_articles
from stancelab.data.io import InputError
from stancelab.data.schema import Example

LABELS: tuple[str, ...] = ("support", "oppose", "conditional", "none")
CONDITION_LABEL = "condition"  # the span label of the condition or reservation of a conditional
EDITABLE = ("speaker", "speaker_affiliation", "target", "note")  # free-text fields the annotator may correct
CONTEXT_CHARS = 400  # characters of article shown before and after the statement


@dataclass
class Prediction:
    """A model's label for one example, shown to the annotator as a pre-annotation."""

    label: str
    probs: dict[str, float]
    model_version: str

    @property
    def score(self) -> float:
        return float(self.probs.get(self.label, 0.0))


@dataclass
class Task:
    """One example to label: the builder's row, its article context and an optional model prediction."""

    example: Example
    context_before: str  # article text just before the statement (ends at example.start)
    context_after: str  # article text just after it (starts at example.end)
    prediction: Prediction | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the selection score

    @property
    def text(self) -> str:
        return self.example.text

    def stancelab_row(self) -> dict[str, Any]:
        """The builder's row as it was exported, carried in the task so import can rebuild the example."""
        return {**self.example.to_dict(), "context_start": self.example.start - len(self.context_before),
                **self.extra}


def context_window(article: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[str, str]:
    """Up to ``chars`` characters before ``start`` and after ``end``, cut at whitespace so no word is split.

    >>> context_window("One two three. Four five six. Seven eight.", 15, 29, chars=9)
    ('three. ', ' Seven')
    """
    lo = max(0, start - chars)
    if lo > 0:  # drop the partial word at the cut
        space = article.find(" ", lo, start)
        lo = space + 1 if space >= 0 else start
    hi = min(len(article), end + chars)
    if hi < len(article):
        space = article.rfind(" ", end, hi)
        hi = space if space > end else end
    return article[lo:start], article[end:hi]


def make_task(example: Example, article: str, *, context_chars: int = CONTEXT_CHARS, where: str = "") -> Task:
    """A task for ``example``, after checking that its offsets still point at its text in the article."""
    if example.start is None or example.end is None:
        raise InputError(f"{where}: field 'start': the candidate has no offsets; export needs builder output "
                         "with start/end (python -m stancelab.build writes them).")
    if article[example.start : example.end] != example.text:
        raise InputError(
            f"{where}: field 'start': article {example.article_id!r}[{example.start}:{example.end}] is "
            f"{article[example.start : example.end][:60]!r}, not the candidate's text {example.text[:60]!r}. The "
            "article changed since the build: rebuild the candidates from the same articles."
        )
    before, after = context_window(article, example.start, example.end, context_chars)
    return Task(example=example, context_before=before, context_after=after)


def load_articles(path: str | os.PathLike) -> dict[str, str]:
    """Article id -> text, read exactly as the builder reads ``--input`` (.txt, folder of .txt, .jsonl)."""
    rows, _ = read_articles(path)
    return {row["article_id"]: row["text"] for row in rows if not row["skip"]}


def make_tasks(examples: list[Example], articles: dict[str, str], source: str, **kwargs: Any) -> list[Task]:
    """One task per example; an example whose article is missing is an error naming the article."""
    tasks = []
    for row, ex in enumerate(examples, start=1):
        where = f"{source}:{row}"
        if ex.article_id not in articles:
            raise InputError(
                f"{where}: field 'article_id': article {ex.article_id!r} is not among the {len(articles)} articles "
                "given with --articles. Pass the same --input the builder read."
            )
        tasks.append(make_task(ex, articles[ex.article_id], where=where, **kwargs))
    return tasks
