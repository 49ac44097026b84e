"""The one example schema that travels through every stage (build -> label -> train -> evaluate -> predict).

An example is one speaker's position on one target, taken from one passage of one article::

    {"id": "000_ed3b50a90a3882e0-0004", "article_id": "000_ed3b50a90a3882e0",
     "speaker": "Sergey Lavrov", "speaker_affiliation": "Russia",
     "target": "U.S. airstrikes in Syria", "text": "... Lavrov said Russia opposed ...",
     "label": "oppose", "start": 1012, "end": 1139}

``start``/``end`` are character offsets of ``text`` in the article (``article[start:end] == text``).
``label`` is absent (None) for unlabelled examples coming out of the builder.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from stancelab.data.io import InputError, atomic_write_jsonl, read_jsonl_objects

DEFAULT_LABELS: tuple[str, ...] = ("support", "oppose", "conditional")
KINDS: tuple[str, ...] = ("direct", "indirect", "mixed", "according-to")


@dataclass
class Example:
    """One (speaker, target, text) example; optional fields default to None."""

    id: str
    article_id: str
    speaker: str
    speaker_affiliation: str
    target: str
    text: str
    start: int | None = None  # offset of text in the article
    end: int | None = None
    label: str | None = None  # None for unlabelled builder output
    kind: str | None = None  # direct / indirect / mixed / according-to
    cue: str | None = None  # the attributing verb or phrase, e.g. "said"
    domain: str | None = None  # topic domain of the article, e.g. "diplomacy"
    speaker_start: int | None = None  # offset of the speaker mention in the article
    speaker_end: int | None = None
    note: str | None = None  # annotator's note
    meta: dict[str, Any] = field(default_factory=dict)  # any other fields, kept as they came

    def to_dict(self) -> dict[str, Any]:
        """Flat dict for JSONL: None-valued optional fields are left out, ``meta`` is merged back in."""
        row = {k: v for k, v in asdict(self).items() if k != "meta" and v is not None}
        row.update(self.meta)
        return row


REQUIRED_STR = ("id", "article_id", "speaker", "speaker_affiliation", "target", "text")
_KNOWN = {f.name for f in fields(Example)} - {"meta"}
_OPTIONAL_INT = ("start", "end", "speaker_start", "speaker_end")
_OPTIONAL_STR = ("label", "kind", "cue", "domain", "note")


def example_from_dict(
    row: dict[str, Any],
    *,
    labels: tuple[str, ...] | None = DEFAULT_LABELS,
    require_label: bool = False,
    where: str = "example",
) -> Example:
    """Validate one row and build an Example; ``where`` prefixes every error (e.g. ``file.jsonl:12``)."""
    for name in REQUIRED_STR:
        if name not in row:
            raise InputError(f"{where}: missing field '{name}'. Every example needs {', '.join(REQUIRED_STR)}.")
        if not isinstance(row[name], str):
            raise InputError(
                f"{where}: field '{name}' must be a string, found {type(row[name]).__name__} {row[name]!r}."
            )
    if not row["text"].strip():
        raise InputError(f"{where}: field 'text' is empty. Give the statement text or drop the example.")
    for name in _OPTIONAL_INT:
        value = row.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InputError(f"{where}: field '{name}' must be a non-negative integer offset, found {value!r}.")
    for name in _OPTIONAL_STR:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: field '{name}' must be a string, found {type(value).__name__} {value!r}.")
    _check_offsets(row, where)
    _check_label(row.get("label"), labels, require_label, where)
    known = {k: row[k] for k in _KNOWN if k in row}
    meta = {k: v for k, v in row.items() if k not in _KNOWN}
    return Example(**known, meta=meta)


def _check_offsets(row: dict[str, Any], where: str) -> None:
    start, end = row.get("start"), row.get("end")
    if (start is None) != (end is None):
        raise InputError(f"{where}: 'start' and 'end' go together, found start={start!r}, end={end!r}.")
    if start is not None and end - start != len(row["text"]):
        raise InputError(
            f"{where}: 'end - start' must equal len(text) = {len(row['text'])}, found {end} - {start} = "
            f"{end - start}. Recompute the offsets from the article."
        )


def _check_label(label: str | None, labels: tuple[str, ...] | None, require: bool, where: str) -> None:
    if label is None:
        if require:
            raise InputError(f"{where}: missing field 'label'; labelled data needs one of {', '.join(labels or ())}.")
        return
    if labels is not None and label not in labels:
        raise InputError(
            f"{where}: unknown label {label!r}; expected one of {', '.join(labels)}. Fix the label, or set "
            "data.labels in the config to the label set of this data."
        )


def read_examples(
    path: str | os.PathLike, *, labels: tuple[str, ...] | None = DEFAULT_LABELS, require_label: bool = False
) -> list[Example]:
    """Read and validate a JSONL file of examples; errors name the file, line and field.

    >>> examples = read_examples("data/processed/test.jsonl", require_label=True)  # doctest: +SKIP
    """
    examples = [
        example_from_dict(obj, labels=labels, require_label=require_label, where=f"{path}:{lineno}")
        for lineno, obj in read_jsonl_objects(path)
    ]
    _check_unique_ids(examples, path)
    return examples


def _check_unique_ids(examples: list[Example], path: str | os.PathLike) -> None:
    seen: set[str] = set()
    for ex in examples:
        if ex.id in seen:
            raise InputError(f"{path}: duplicate example id {ex.id!r}; ids must be unique within a file.")
        seen.add(ex.id)


def write_examples(path: str | os.PathLike, examples: list[Example]) -> Path:
    """Write examples as JSONL, atomically."""
    return atomic_write_jsonl(path, [ex.to_dict() for ex in examples])


def coerce_examples(items: Any, *, labels: tuple[str, ...] | None = None) -> list[Example]:
    """Accept Examples, dicts, a pandas DataFrame or a ``datasets.Dataset`` and return Examples.

    Rows given for prediction only need ``speaker``, ``target`` and ``text``; the other required
    fields default to empty strings and ``id`` to the row number.
    """
    rows = _rows_of(items)
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, Example):
            out.append(row)
            continue
        if not isinstance(row, dict):
            raise InputError(f"example {i}: expected a dict or Example, found {type(row).__name__}.")
        filled = {"id": str(i), "article_id": "", "speaker_affiliation": "", **row}
        for name in ("speaker", "target", "text"):
            filled.setdefault(name, None)
            if filled[name] is None:
                raise InputError(f"example {i}: missing field '{name}'. predict() needs speaker, target and text.")
        out.append(example_from_dict(filled, labels=labels, where=f"example {i}"))
    return out


def _rows_of(items: Any) -> list:
    if hasattr(items, "to_dict") and hasattr(items, "columns"):  # pandas DataFrame
        return items.to_dict(orient="records")
    if hasattr(items, "column_names") and hasattr(items, "to_list"):  # datasets.Dataset
        return items.to_list()
    if isinstance(items, (dict, Example)):
        return [items]
    return list(items)
