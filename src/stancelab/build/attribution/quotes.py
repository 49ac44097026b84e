"""Step 2 (character level): quotation blocks, balanced per paragraph, curly or straight marks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stancelab.build.attribution.lexicon import CUE_LEMMAS, lemma_in

OPEN_QUOTES = "“«„"


CLOSE_QUOTES = "”»"


STRAIGHT_QUOTE = '"'


QUOTE_CHARS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTE


@dataclass(frozen=True)
class Quote:
    """A quotation block: ``start:end`` is the content inside the marks; ``open:close`` includes them."""

    start: int
    end: int
    open: int
    close: int
    paragraph: int
    continues: bool = False  # the paragraph before ended inside this same quotation


def find_quotes(text: str, paragraphs: list[tuple[int, int]]) -> tuple[list[Quote], int]:
    """Quotation blocks of every paragraph, and the number of unbalanced quote marks.

    A paragraph that opens a quote without closing it continues in the next paragraph when that one
    opens with a quote mark (the news convention); otherwise the open mark counts as unbalanced and
    the open text is kept as a quote only when it starts the paragraph.

    >>> text = '“We will fight.\\n“And we will win,” she said.'
    >>> quotes, bad = find_quotes(text, [(0, 15), (16, 44)])
    >>> [text[q.start:q.end] for q in quotes], bad
    (['We will fight.', 'And we will win,'], 0)
    """
    quotes: list[Quote] = []
    unbalanced = 0
    carried = False
    for p, (start, end) in enumerate(paragraphs):
        blocks, open_at, stray = _scan_paragraph(text, start, end)
        unbalanced += stray
        for q_open, q_close in blocks:
            quotes.append(Quote(q_open + 1, q_close - 1, q_open, q_close, p, carried and q_open == start))
        continued = carried and open_at == start and not blocks
        carried = False
        if open_at is not None:
            next_opens = p + 1 < len(paragraphs) and text[paragraphs[p + 1][0]] in OPEN_QUOTES + STRAIGHT_QUOTE
            if not next_opens:
                unbalanced += 1
            if next_opens or open_at == start:
                content_end = end if next_opens else _unclosed_quote_end(text, open_at + 1, end)
                quotes.append(Quote(open_at + 1, content_end, open_at, content_end, p, continued))
                carried = next_opens
    return [_trim_quote(text, q) for q in quotes if text[q.start : q.end].strip()], unbalanced


_AFTER_COMMA = re.compile(r",\s+((?:[\w.'’-]+\s+){0,5}[\w.'’-]+)")  # a comma and the (up to) six words after it


def _unclosed_quote_end(text: str, start: int, end: int) -> int:
    """Where a quote whose closing mark is missing most likely ends: before ', said X' / ', X said'.

    The text is not parsed yet, so a word counts as the cue when one of its possible verb lemmas is one.
    """
    for match in _AFTER_COMMA.finditer(text, start, end):
        if any(lemma_in(word.strip(".'’-"), "", CUE_LEMMAS) for word in match.group(1).split()):
            return match.start() + 1
    return len(text[:end].rstrip())


def _scan_paragraph(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int | None, int]:
    """Closed quote blocks ``(open, close_end)``, the offset of a quote left open, and stray closers."""
    blocks, open_at, stray = [], None, 0
    for i in range(start, end):
        ch = text[i]
        if ch in OPEN_QUOTES or (ch == STRAIGHT_QUOTE and open_at is None):
            if open_at is not None:
                stray += 1  # a new opening inside an open quote: the first one was never closed
            open_at = i
        elif ch in CLOSE_QUOTES or ch == STRAIGHT_QUOTE:
            if open_at is None:
                stray += 1
                continue
            blocks.append((open_at, i + 1))
            open_at = None
    return blocks, open_at, stray


def _trim_quote(text: str, quote: Quote) -> Quote:
    content = text[quote.start : quote.end]
    left = len(content) - len(content.lstrip())
    right = len(content) - len(content.rstrip())
    return Quote(quote.start + left, quote.end - right, quote.open, quote.close, quote.paragraph, quote.continues)
