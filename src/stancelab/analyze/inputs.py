"""Reading a news archive: a folder of .txt files, a .jsonl, a .parquet or a ``datasets.Dataset`` on disk.

Every source becomes a list of ``Article`` rows with ``date`` (ISO ``YYYY-MM-DD``), ``source`` and
``title`` where the input has them. A bad article never stops the run: it keeps its row with ``skip``
set to ``"<reason>: <details>"`` (reasons: empty, not_utf8, html, too_long, bad_row, duplicate_id), and
the manifest counts the reasons. A bad *source* (a missing path, a .parquet without a ``text`` column)
is an ``InputError``: nothing could be read from it.

>>> articles, digest = read_archive("data/raw")  # doctest: +SKIP
>>> articles[0].article_id, articles[0].skip  # doctest: +SKIP
('000_ed3b50a90a3882e0', '')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stancelab.build.pipeline import MAX_CHARS
from stancelab.data.io import InputError, sha256_file

ID_COLUMNS = ("id", "article_id")  # the first one present names the article
META_COLUMNS = ("date", "source", "title")
# Share of an article's characters in tags, scripts and styles above which it is a page, not an article.
MAX_MARKUP_SHARE = 0.10
_MIN_TAGS = 5  # a few inline tags (<b>, <a href>) in a quoted article are not soup
_TAG = re.compile(r"<(?:script|style)\b.*?</(?:script|style)\s*>|<!--.*?-->|</?[a-zA-Z][\w:-]*(?:\s[^<>]{0,2000})?/?>",
                  re.S | re.I)
# Dates as archives write them: ISO (2015-10-01, 2015-10-01T12:00:00Z) and Reuters-21578 (26-FEB-1987 15:01:01.79).
_DATE_FORMATS = ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y", "%d %B %Y", "%B %d, %Y")


@dataclass
class Article:
    """One article of the archive; ``skip`` is empty for an article that will be processed."""

    article_id: str
    text: str
    date: str | None = None  # ISO date, YYYY-MM-DD
    source: str | None = None
    title: str | None = None
    skip: str = ""  # "<reason>: <details>" for an article that is not processed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_archive(path: str | Path, limit: int | None = None) -> tuple[list[Article], dict[str, Any]]:
    """The articles of ``path`` (at most ``limit``, in input order) and a digest of what was read.

    The digest (``{"path", "format", "files", "sha256"}``) identifies the input in the manifest, so a
    rerun on a changed archive is caught instead of mixed into the old shards.
    """
    path = Path(path)
    if limit is not None and limit < 1:
        raise InputError(f"--limit: expected a positive number of articles, found {limit}.")
    reader, files, kind = _source(path)
    articles = _dedupe(_take(reader, limit))
    digest = {"path": str(path), "format": kind, "files": len(files), "sha256": _files_sha256(files, path)}
    return articles, digest


def _source(path: Path) -> tuple[Iterator[Article], list[Path], str]:
    if not path.exists():
        raise InputError(
            f"--input {path}: expected a folder of .txt files, a .jsonl, a .parquet or a datasets.Dataset saved "
            f"with save_to_disk, found nothing at that path. Fix the path (relative paths are read from {Path.cwd()})."
        )
    if path.is_dir() and any((path / n).is_file() for n in ("dataset_info.json", "dataset_dict.json")):
        return _dataset_articles(path), sorted(path.glob("*.arrow")), "datasets"
    if path.is_dir():
        files = sorted(path.rglob("*.txt"))
        if not files:
            raise InputError(
                f"--input {path}: expected .txt files in the folder (or a datasets.Dataset saved with save_to_disk), "
                "found neither. Point to a folder of .txt articles, a .jsonl, a .parquet or a saved Dataset."
            )
        return (_txt_article(f, path) for f in files), files, "txt"
    if path.suffix == ".jsonl":
        return _jsonl_articles(path), [path], "jsonl"
    if path.suffix == ".parquet":
        return _parquet_articles(path), [path], "parquet"
    raise InputError(
        f"--input {path}: expected a folder of .txt files, a .jsonl, a .parquet or a saved datasets.Dataset, found a "
        f"'{path.suffix}' file. Convert it to .jsonl rows {{\"id\": ..., \"text\": ...}}."
    )


def _take(articles: Iterator[Article], limit: int | None) -> list[Article]:
    taken = []
    for article in articles:
        if limit is not None and len(taken) >= limit:
            break
        taken.append(article)
    return taken


def _dedupe(articles: list[Article]) -> list[Article]:
    """A repeated id keeps its first article; the later ones are skipped (the id names one article)."""
    first: dict[str, int] = {}
    for n, article in enumerate(articles):
        if article.article_id in first and not article.skip:
            article.skip = f"duplicate_id: the same id as article {first[article.article_id] + 1} of the input"
            article.text = ""
        first.setdefault(article.article_id, n)
    return articles


def _files_sha256(files: list[Path], root: Path) -> str:
    """One hash for the input: of the file itself, or of every file's name and hash in a folder."""
    if len(files) == 1 and files[0] == root:
        return sha256_file(root)
    lines = "".join(f"{f.relative_to(root).as_posix()}\t{sha256_file(f)}\n" for f in files)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------
# One reader per format
# ---------------------------------------------------------------------------------------------------


def _txt_article(path: Path, root: Path) -> Article:
    """A .txt file; its id is its path in the folder without '.txt' (the file stem in a flat folder)."""
    article_id = path.relative_to(root).with_suffix("").as_posix()
    text, reason = decode(path.read_bytes(), path.name)
    return make_article(article_id, text, skip=reason)


def _jsonl_articles(path: Path) -> Iterator[Article]:
    """One article per line; a line that is not UTF-8 or not a JSON object is skipped, not fatal."""
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            line, reason = decode(raw, f"{path.name} line {lineno}")
            obj = _json_object(line) if not reason else None
            if obj is None:
                reason = reason or "bad_row: not a JSON object; fix or remove the line"
                yield make_article(f"{path.name}:{lineno}", "", skip=reason)
                continue
            yield _row_article(obj, f"{path.name}:{lineno}")


def _json_object(line: str) -> dict | None:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _parquet_articles(path: Path) -> Iterator[Article]:
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path)
    _check_columns(handle.schema_arrow.names, path)
    for batch in handle.iter_batches(batch_size=1024):
        for n, row in enumerate(batch.to_pylist()):
            yield _row_article(row, f"{path.name}:row{n}")


def _dataset_articles(path: Path) -> Iterator[Article]:
    import datasets

    dataset = datasets.load_from_disk(str(path))
    if isinstance(dataset, datasets.DatasetDict):
        raise InputError(
            f"--input {path}: expected one datasets.Dataset, found a DatasetDict with splits {sorted(dataset)}. "
            f"Fix: point to one split's folder, e.g. {path / sorted(dataset)[0]}."
        )
    _check_columns(dataset.column_names, path)
    for n, row in enumerate(dataset):
        yield _row_article(row, f"{path.name}:row{n}")


def _check_columns(columns: list[str], path: Path) -> None:
    if "text" not in columns or not any(c in columns for c in ID_COLUMNS):
        raise InputError(
            f"--input {path}: expected columns 'id' (or 'article_id') and 'text', found {sorted(columns)}. "
            "Rename the columns, e.g. with pandas `df.rename(columns={...}).to_parquet(...)`."
        )


def _row_article(row: dict[str, Any], where: str) -> Article:
    """A row of a .jsonl, .parquet or Dataset; ``where`` names it when it has no id."""
    article_id = next((row[c] for c in ID_COLUMNS if row.get(c) not in (None, "")), None)
    text = row.get("text")
    if article_id is None or not isinstance(text, str):
        found = "no id" if article_id is None else f"'text' of type {type(text).__name__}"
        return make_article(where, "", skip=f"bad_row: expected an 'id' and a string 'text', found {found}")
    meta = {name: row.get(name) for name in META_COLUMNS}
    return make_article(str(article_id), text, date=parse_date(meta["date"]), source=_str(meta["source"]),
                        title=_str(meta["title"]))


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------------------------------------
# Checks on one article
# ---------------------------------------------------------------------------------------------------


def make_article(article_id: str, text: str, *, skip: str = "", **meta: Any) -> Article:
    """An Article whose ``skip`` is set when the text is empty, markup or too long (the text is then dropped)."""
    reason = skip or skip_reason(text)
    return Article(article_id=article_id, text="" if reason else text, skip=reason, **meta)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """``(text, "")`` for UTF-8 bytes, else ``("", "not_utf8: ...")`` with the offending byte and a fix."""
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as err:
        return "", (
            f"not_utf8: {name}: byte 0x{data[err.start]:02x} at offset {err.start}; re-encode it, e.g. "
            "`iconv -f latin1 -t utf-8`"
        )


def skip_reason(text: str) -> str:
    """Why an article is not processed, or ``""``: empty, too_long (over build.MAX_CHARS) or html soup."""
    if not text.strip():
        return "empty: no text"
    if len(text) > MAX_CHARS:
        return f"too_long: {len(text)} characters > {MAX_CHARS}; split the document into articles"
    share, tags = markup_share(text)
    if tags >= _MIN_TAGS and share > MAX_MARKUP_SHARE:
        return f"html: {share:.0%} of the characters are markup ({tags} tags); extract the article text first"
    return ""


def markup_share(text: str) -> tuple[float, int]:
    """Share of ``text`` in HTML tags, comments, scripts and styles, and how many there are."""
    spans = [m.end() - m.start() for m in _TAG.finditer(text)]
    return sum(spans) / max(len(text), 1), len(spans)


def parse_date(value: Any) -> str | None:
    """An ISO date ``YYYY-MM-DD`` from a date, a datetime, an ISO string or a Reuters date; else None.

    >>> parse_date("26-FEB-1987 15:01:01.79")
    '1987-02-26'
    >>> parse_date("2015-10-01T08:30:00Z")
    '2015-10-01'
    """
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.match(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.title(), fmt).date().isoformat()
        except ValueError:
            continue
    return None
