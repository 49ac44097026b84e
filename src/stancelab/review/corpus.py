"""Notebook 01 (the corpus): tables and figures of the labelled examples, and statements highlighted in
their article.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from stancelab.data.io import InputError
from stancelab.data.schema import DEFAULT_LABELS, Example
from stancelab.viz import label_colour

GROUPINGS = ("split", "domain", "kind")


def examples_frame(examples: list[Example], splits: dict[str, str] | None = None) -> Any:
    """One row per example (flat fields, plus ``split`` when ``splits`` maps article -> split)."""
    import pandas as pd

    frame = pd.DataFrame([ex.to_dict() for ex in examples])
    if splits is not None:
        frame["split"] = frame["article_id"].map(splits)
    return frame


def corpus_table(frame: Any, by: str, labels: list[str] | None = None) -> Any:
    """Examples per label for each value of ``by`` (split, domain, kind), with article and example totals.

    Splits come in train/dev/test order, other groupings alphabetically; the last row is ``all``.
    """
    import pandas as pd

    if by not in frame.columns:
        raise InputError(f"corpus_table: no column {by!r}; expected one of {', '.join(frame.columns)}.")
    labels = labels or _labels_in(frame["label"])
    counts = pd.crosstab(frame[by], frame["label"]).reindex(columns=labels, fill_value=0)
    counts.insert(0, "articles", frame.groupby(by)["article_id"].nunique())
    if by == "split":
        counts = counts.reindex([s for s in ("train", "dev", "test") if s in counts.index])
    counts["total"] = counts[labels].sum(axis=1)
    label_totals = [int((frame["label"] == lb).sum()) for lb in labels]
    counts.loc["all"] = [frame["article_id"].nunique(), *label_totals, len(frame)]
    counts.index.name, counts.columns.name = by, None
    return counts


def _labels_in(values: Any) -> list[str]:
    """Labels in the project's usual order (support, oppose, conditional), then any others sorted."""
    present = set(values)
    return [lb for lb in DEFAULT_LABELS if lb in present] + sorted(present - set(DEFAULT_LABELS))


def corpus_figure(frame: Any, groupings: tuple[str, ...] = GROUPINGS) -> Any:
    """Stacked horizontal bars of examples per label, one panel per grouping; returns the Figure."""
    import matplotlib.pyplot as plt

    labels = _labels_in(frame["label"])
    tables = [corpus_table(frame, by, labels).drop(index="all") for by in groupings]
    heights = [max(1.6, 0.32 * len(t) + 0.9) for t in tables]
    fig, axes = plt.subplots(len(tables), 1, figsize=(7.5, sum(heights)), height_ratios=heights, squeeze=False)
    for ax, by, table in zip(axes[:, 0], groupings, tables):
        left = [0] * len(table)
        for lb in labels:
            ax.barh(table.index, table[lb], left=left, color=label_colour(lb, labels), label=lb)
            left = [a + b for a, b in zip(left, table[lb])]
        ax.invert_yaxis()  # first row on top, as in the table
        ax.set(title=f"examples per label by {by}", xlabel="examples")
    axes[0, 0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


BROWSE_COLUMNS = ["id", "label", "speaker", "target", "kind", "domain", "text"]


def browse(
    frame: Any,
    n: int = 5,
    *,
    label: str | None = None,
    domain: str | None = None,
    kind: str | None = None,
    seed: int = 0,
) -> Any:
    """``n`` examples drawn at random (fixed ``seed``) among those matching every filter given.

    >>> browse(frame, 3, label="conditional", kind="direct")  # doctest: +SKIP
    """
    chosen = frame
    for column, value in (("label", label), ("domain", domain), ("kind", kind)):
        if value is not None:
            if value not in set(frame[column]):
                known = ", ".join(sorted(map(str, frame[column].dropna().unique())))
                raise InputError(f"browse: no example has {column}={value!r}; expected one of {known}.")
            chosen = chosen[chosen[column] == value]
    sample = chosen.sample(n=min(n, len(chosen)), random_state=seed) if n < len(chosen) else chosen
    return sample[[c for c in BROWSE_COLUMNS if c in frame.columns]].reset_index(drop=True)


# Colours of the highlighted parts; where parts nest, the later one in this order wins.
SPAN_STYLES = {
    "content": "background:#fff2a8",
    "speaker": "background:#bfdcf5;font-weight:bold",
    "cue": "background:#f7c6a3;font-style:italic",
}


@dataclass
class _Statement:
    """One builder statement: its sentence and the (part, start, end) spans inside it, and its targets."""

    start: int
    end: int
    speaker: str
    kind: str
    spans: list[tuple[str, int, int]]
    targets: list[str]


def highlight_statements(article: str, examples: list[Example]) -> str:
    """HTML of the builder's statements in ``article``: speaker, cue and statement content highlighted.

    One block per statement (examples sharing a statement are merged and their targets listed);
    the spans come from the example offsets: ``speaker_start/end``, ``meta["content_start/end"]`` and
    the cue found next to the speaker.
    """
    legend = " ".join(f'<span style="{style};padding:0 3px">{part}</span>' for part, style in SPAN_STYLES.items())
    blocks = [_statement_html(article, st) for st in _statements(article, examples)]
    return f'<div style="font-family:sans-serif;line-height:1.5">{legend}{"".join(blocks)}</div>'


def _statements(article: str, examples: list[Example]) -> list[_Statement]:
    statements: dict[tuple, _Statement] = {}
    for ex in examples:
        content = (ex.meta.get("content_start"), ex.meta.get("content_end"))
        key = (ex.start, ex.end, ex.speaker_start, *content)
        if key not in statements:
            spans = [("content", *content)] if None not in content else []
            if ex.speaker_start is not None:
                spans.append(("speaker", ex.speaker_start, ex.speaker_end))
            cue = find_cue(article, ex)
            spans += [("cue", *cue)] if cue else []
            statements[key] = _Statement(ex.start, ex.end, ex.speaker, ex.kind or "", spans, [])
        statements[key].targets.append(ex.target)
    return list(statements.values())


def find_cue(article: str, ex: Example) -> tuple[int, int] | None:
    """Offsets of ``ex.cue`` in the example's text: the occurrence outside the content nearest the speaker."""
    if not ex.cue or ex.start is None:
        return None
    content = (ex.meta.get("content_start", -1), ex.meta.get("content_end", -1))
    anchor = ex.speaker_start if ex.speaker_start is not None else ex.start
    found = [
        (ex.start + m.start(), ex.start + m.end())
        for m in re.finditer(rf"\b{re.escape(ex.cue)}\b", article[ex.start : ex.end], re.IGNORECASE)
    ]
    outside = [(s, e) for s, e in found if e <= content[0] or s >= content[1]] or found
    return min(outside, key=lambda span: abs(span[0] - anchor), default=None)


def _statement_html(article: str, st: _Statement) -> str:
    """The sentence cut into runs of characters that share the same top part, each run styled by it."""
    order = list(SPAN_STYLES)
    top = [None] * (st.end - st.start)
    for part, start, end in sorted(st.spans, key=lambda span: order.index(span[0])):
        for i in range(max(start, st.start), min(end, st.end)):
            top[i - st.start] = part
    pieces, i = [], 0
    while i < len(top):
        j = i
        while j < len(top) and top[j] == top[i]:
            j += 1
        text = html.escape(article[st.start + i : st.start + j])
        pieces.append(f'<span style="{SPAN_STYLES[top[i]]}">{text}</span>' if top[i] else text)
        i = j
    targets = "; ".join(html.escape(t) for t in st.targets)
    caption = f"<b>{html.escape(st.speaker)}</b> ({html.escape(st.kind)}) on: {targets}"
    return f'<p style="margin:10px 0 2px 0;color:#555">{caption}</p><p style="margin:0">{"".join(pieces)}</p>'
