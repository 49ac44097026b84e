"""Notebook 03 (articles): the positions ``predict_article`` found, as a table to read."""

from __future__ import annotations

from typing import Any

ARTICLE_VIEW = ["actor", "speaker", "issue", "target", "label", "confidence", "condition", "kind", "cue"]


def article_view(table: Any, n: int = 15) -> Any:
    """The first ``n`` positions of a ``predict_article`` table, with the columns a reader scans first."""
    return table[[c for c in ARTICLE_VIEW if c in table.columns]].head(n).round({"confidence": 2})
