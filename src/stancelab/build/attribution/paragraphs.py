"""Step 1 (character level): HTML remnants, paragraphs, boilerplate lines (bylines, captions, links)."""

from __future__ import annotations

import html
import re

from stancelab.build.attribution.quotes import QUOTE_CHARS

_HTML_TAG = re.compile(r"<[a-zA-Z/!][^<>\n]{0,300}>|&(?:nbsp|amp|quot|lt|gt|#\d+);")


_BOILERPLATE = re.compile(
    r"^\s*(by\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}\s*(,|\||$)|(related|read more|see also|more|photo|photos|"
    r"image|picture|pictured|caption|credit|video|watch|editing by|reporting by|writing by|additional reporting|"
    r"follow|share|click|sign up|subscribe|advertisement|copyright|getty images|ap photo|file photo)\b.{0,200}"
    r"$)",
    re.IGNORECASE,
)


_BULLET = re.compile(r"^\s*([•·▪►■◦*]|-\s|–\s|—\s|\d+\.\s)")


_DATELINE_PREFIX = re.compile(
    r"^[A-Z][A-Z.' -]{2,40}(,\s*[A-Z][A-Za-z0-9. ]{1,30}){0,2}\s*(\([^)]{1,40}\))?\s*[-–—]+\s*"
)


_CAPTION_TAIL = re.compile(r"\((AP|Reuters|AFP|Getty|EPA|Photo)[^)]*\)\s*$|/(AP|Reuters|AFP|Getty)\b", re.IGNORECASE)


_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]…]\s*$")


# A complete entity, ending in ";": "AT&T" or "R&D" stay as written, "&amp;", "&ldquo;", "&#8220;" are decoded.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def decode_entities(text: str) -> tuple[str, int]:
    """Decode HTML character entities (``html.unescape`` of each complete ``&...;``), and count them.

    The builder's offsets refer to this decoded text (the input itself when the count is 0).

    >>> decode_entities("&ldquo;No,&rdquo; said AT&T&#8217;s chief &amp; the rest. &bogus;")
    ('“No,” said AT&T’s chief & the rest. &bogus;', 4)
    """
    count = 0

    def decode(match: re.Match) -> str:
        nonlocal count
        decoded = html.unescape(match.group())
        count += decoded != match.group()
        return decoded

    return _ENTITY.sub(decode, text), count


def mask_html(text: str) -> tuple[str, int]:
    """Blank out HTML tags and entities with spaces of the same length, so offsets stay valid.

    >>> mask_html("<p>Hi &amp; bye</p>")
    ('   Hi       bye    ', 3)
    """
    count = 0

    def blank(match: re.Match) -> str:
        nonlocal count
        count += 1
        return " " * len(match.group())

    return _HTML_TAG.sub(blank, text), count


def article_paragraphs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph (one line) that can carry statements; boilerplate is dropped.

    A leading dateline ("WASHINGTON (Reuters) - ") is cut off the paragraph it opens.

    >>> text = "Headline Here\\nBy Jo Smith\\nPARIS (AP) - The minister said talks failed."
    >>> [text[s:e] for s, e in article_paragraphs(text)]
    ['The minister said talks failed.']
    """
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        start, end = match.span()
        line = match.group()
        stripped = len(line) - len(line.lstrip())
        start, line = start + stripped, line.strip()
        if not line or is_boilerplate(line):
            continue
        dateline = _DATELINE_PREFIX.match(line)
        if dateline and len(line) > dateline.end() + 20:
            start += dateline.end()
        spans.append((start, start + len(text[start:end].rstrip())))
    return spans


def is_boilerplate(line: str) -> bool:
    """True for lines that are not running text: bylines, captions, bullets, headlines, datelines.

    >>> [is_boilerplate(x) for x in ["Related: Kerry visits Doha", "• Talks resume", "The minister said no."]]
    [True, True, False]
    """
    words = line.split()
    if _BOILERPLATE.match(line) or _BULLET.match(line) or _CAPTION_TAIL.search(line):
        return True
    if line[0] in QUOTE_CHARS:
        return False  # a quote paragraph, even an unclosed one that runs on, is running text
    if not _SENTENCE_END.search(line) and len(words) < 40:
        return True  # headlines, section titles, datelines without punctuation
    return len(words) < 4  # "Comments (3)", "Aug. 6, 2015."
