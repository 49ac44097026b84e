"""Readers for public stance benchmarks, so the same trainer and evaluator run on them from config.

Formats (``data.format``):

- ``stancelab``: the project's JSONL schema (default).
- ``semeval2016``: SemEval-2016 Task 6, tab-separated with a header ``ID  Target  Tweet  Stance`` and
  labels FAVOR / AGAINST / NONE. The official score is F_avg, the mean of the F1 of FAVOR and AGAINST
  (``eval.official_metric: semeval_favg``).
- ``csv`` / ``jsonl``: any table; ``data.columns`` maps its columns to ``text``, ``label`` and optionally
  ``target``, ``speaker``, ``id``, ``article_id`` (e.g. ``{text: tweet, target: topic, label: stance}``).
  Missing speaker/target columns are filled with ``data.default_speaker`` / ``data.default_target``.

The data sets themselves are not redistributed: point ``data.train``/``dev``/``test`` at local copies.
"""

from __future__ import annotations

import csv
import io
import warnings
from typing import Any

from stancelab.data.io import InputError, read_jsonl_objects, read_text
from stancelab.data.schema import Example, example_from_dict, read_examples

FORMATS = ("stancelab", "semeval2016", "csv", "jsonl")
AUTO_ENCODING = "auto"  # UTF-8 when the file is valid UTF-8, else FALLBACK_ENCODING with a warning
FALLBACK_ENCODING = "cp1252"
SEMEVAL_COLUMNS = {"id": "ID", "target": "Target", "text": "Tweet", "label": "Stance"}


def read_split(path: str, data: Any) -> list[Example]:
    """Read one split in ``data.format`` and validate every row against ``data.labels``."""
    labels = tuple(data.labels)
    if data.format == "stancelab":
        return read_examples(path, labels=labels, require_label=True)
    encoding = file_encoding(path, data.encoding)
    if data.format == "semeval2016":
        return _from_rows(_csv_rows(path, "\t", encoding), SEMEVAL_COLUMNS, data, path)
    if data.format == "csv":
        return _from_rows(_csv_rows(path, ",", encoding), data.columns, data, path)
    return _from_rows(read_jsonl_objects(path, encoding), data.columns, data, path)


def file_encoding(path: str, encoding: str) -> str:
    """The encoding to read a data set file in: ``encoding`` itself, or for ``auto`` UTF-8 when the file is
    valid UTF-8 and else Windows-1252 (the official SemEval-2016 training file), with a warning naming it."""
    if encoding != AUTO_ENCODING:
        return encoding
    try:
        read_text(path)
        return "utf-8"
    except InputError as err:
        if "expected UTF-8 text" not in str(err):
            raise
    warnings.warn(
        f"{path}: not valid UTF-8; read as Windows-1252 (cp1252) because data.encoding=auto. Set "
        "data.encoding to the file's encoding to make this explicit.", UserWarning, stacklevel=3,
    )
    return FALLBACK_ENCODING


def _csv_rows(path: str, delimiter: str, encoding: str = "utf-8") -> list[tuple[int, dict]]:
    text = read_text(path, encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    lineno = 1
    try:
        for lineno, row in enumerate(reader, start=2):  # line 1 is the header
            _check_width(row, reader.fieldnames, f"{path}:{lineno}", delimiter)
            rows.append((lineno, row))
    except csv.Error as err:  # a cell over csv's field size limit, an unterminated quote at the end
        raise InputError(
            f"{path}:{lineno + 1}: expected delimited rows, found a row the csv reader cannot read ({err}). "
            "Fix the row: close its quotes, or split a very long cell."
        ) from None
    if not rows:
        raise InputError(f"{path}: expected a header line and at least one row, found none.")
    return rows


def _check_width(row: dict, header: list[str] | None, where: str, delimiter: str) -> None:
    """A row with more or fewer cells than the header would shift or invent values ("None" as text)."""
    cells = len(header or ()) + len(row.get(None) or ()) - sum(1 for v in row.values() if v is None)
    if None in row or any(value is None for value in row.values()):
        raise InputError(
            f"{where}: expected {len(header or ())} cells like the header, found {cells}. Check the row for "
            f"missing or extra {'tabs' if delimiter == chr(9) else 'commas'}, or quote cells that contain one."
        )


def _from_rows(rows: list[tuple[int, dict]], columns: dict[str, str], data: Any, path: str) -> list[Example]:
    if "text" not in columns or "label" not in columns:
        raise InputError(
            f"{path}: data.columns must map at least 'text' and 'label' to column names, found {columns}. "
            "Example: data.columns={text: Tweet, label: Stance, target: Target}."
        )
    examples = []
    for lineno, row in rows:
        where = f"{path}:{lineno}"
        for field, column in columns.items():
            if column not in row:
                raise InputError(
                    f"{where}: expected column {column!r} (data.columns.{field}), found columns {sorted(row)}."
                )
        values = {field: _cell(row[column], f"{where}: column {column!r}") for field, column in columns.items()}
        examples.append(
            example_from_dict(_fill(values, data, lineno), labels=tuple(data.labels), require_label=True, where=where)
        )
    return examples


def _cell(value: Any, where: str) -> str:
    """A table cell as text: JSON null is an empty cell; objects, lists and booleans are not text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InputError(
            f"{where}: expected a string or a number, found {type(value).__name__} {value!r}. "
            "Give the value as text."
        )
    return str(value).strip()


def _fill(values: dict[str, str], data: Any, lineno: int) -> dict[str, Any]:
    return {
        "id": values.get("id") or f"row{lineno}",
        "article_id": values.get("article_id") or values.get("id") or f"row{lineno}",
        "speaker": values.get("speaker") or data.default_speaker,
        "speaker_affiliation": values.get("speaker_affiliation", ""),
        "target": values.get("target") or data.default_target,
        "text": values["text"],
        "label": values["label"],
    }


def official_score(metrics: dict[str, Any], name: str) -> float:
    """The benchmark's own headline number from a metrics dict (see ``eval.official_metric``)."""
    if name == "macro_f1":
        return metrics["macro_f1"]
    if name == "semeval_favg":
        per_class = metrics["per_class"]
        missing = [lb for lb in ("FAVOR", "AGAINST") if lb not in per_class]
        if missing:
            raise InputError(f"semeval_favg needs labels FAVOR and AGAINST; the label set lacks {missing}.")
        return (per_class["FAVOR"]["f1"] + per_class["AGAINST"]["f1"]) / 2
    raise InputError(f"unknown official metric {name!r}; expected macro_f1 or semeval_favg.")
