"""Annotations back in: validate every row, merge annotators, measure agreement, list the disagreements.

>>> result = merge_annotations(read_export("alice.json") + read_export("bob.json"))  # doctest: +SKIP
>>> result.agreement["method"], result.agreement["kappa"]  # doctest: +SKIP
('cohen', 0.71)

A row that fails a check is never dropped quietly: it goes to ``result.rejects`` with ``file:row:field``
and the reason. Several annotators of one example are merged by majority; a tie is left out of the
labelled output and listed in ``result.disagreements`` for adjudication, like every example on which the
annotators did not all agree.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from stancelab.annotate.formats import Annotation, Span
from stancelab.annotate.tasks import LABELS
from stancelab.data.io import InputError
from stancelab.data.schema import Example, example_from_dict

NONE_LABEL = "none"
STATUS_REASONS = {
    "cancelled": "the annotator skipped the task (cancelled in the tool)",
    "unlabelled": "the task has no annotation yet",
    "rejected": "the annotator rejected the task (answer 'reject')",
    "ignored": "the annotator ignored the task (answer 'ignore')",
}


@dataclass
class Labelled:
    """One valid annotation: the example it gives and who gave it."""

    example: Example
    annotator: str
    where: str


@dataclass
class MergeResult:
    """What ``import`` writes: merged examples, rejects, disagreements and agreement."""

    examples: list[Example]
    rejects: list[dict[str, Any]]
    disagreements: list[dict[str, Any]]
    agreement: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Validation: one annotation -> one example, or an error that names file:row:field
# ---------------------------------------------------------------------------------------------------


def validate(ann: Annotation, articles: dict[str, str] | None = None, labels: tuple[str, ...] = LABELS) -> Example:
    """The example an annotation gives; raises InputError ``file:row:field: ...`` when a check fails.

    Checks: the task carries the builder's row, the statement is still at its offsets in the article
    (when the articles are given), the label is known, speaker and target are present, a conditional has
    exactly one condition span and other labels none, and the span's offsets still give its text.
    """
    where = ann.where
    if ann.status != "ok":
        raise InputError(f"{where}:answer: {STATUS_REASONS.get(ann.status, ann.status)}; nothing to import.")
    base = _check_carried(ann.stancelab, where)
    _check_statement(base, articles, where)
    label = _check_label(ann.label, labels, where)
    row = {**base, "label": label}
    for name in ("speaker", "speaker_affiliation", "target", "note"):
        if name in ann.fields:
            row[name] = ann.fields[name].strip()
    for name in ("speaker", "target"):
        if not str(row.get(name) or "").strip():
            raise InputError(f"{where}:{name}: the {name} is empty. Type the {name} (docs/annotation-guidelines.md"
                             " section 1) or label the task again.")
    if row.get("speaker") != base.get("speaker"):
        # the mention offsets were the builder's speaker's, not the corrected one's
        row.pop("speaker_start", None)
        row.pop("speaker_end", None)
    if not row.get("note"):
        row.pop("note", None)
    row.update(_condition(ann.spans, label, base, where))
    row["annotator"] = ann.annotator
    return example_from_dict(row, labels=labels, require_label=True, where=where)


def _check_carried(row: dict[str, Any] | None, where: str) -> dict[str, Any]:
    if not isinstance(row, dict) or not all(k in row for k in ("id", "article_id", "text", "start", "end")):
        raise InputError(f"{where}:stancelab: the task does not carry the builder's row (id, article_id, text, start,"
                         " end). Import only tasks written by `python -m stancelab.annotate export`.")
    return {k: v for k, v in row.items() if k not in ("context_start", "al_score", "al_strategy", "annotator")}


def _check_statement(row: dict[str, Any], articles: dict[str, str] | None, where: str) -> None:
    if articles is None:
        return
    article = articles.get(row["article_id"])
    if article is None:
        raise InputError(f"{where}:article_id: article {row['article_id']!r} is not among the --articles given.")
    if article[row["start"] : row["end"]] != row["text"]:
        raise InputError(f"{where}:text: the article's characters {row['start']}-{row['end']} are no longer the "
                         "statement's text. The article or the task was edited; export the task again.")


def _check_label(label: str | None, labels: tuple[str, ...], where: str) -> str:
    if not label:
        raise InputError(f"{where}:label: no label chosen; expected one of {', '.join(labels)}.")
    if label not in labels:
        raise InputError(f"{where}:label: unknown label {label!r}; expected exactly one of {', '.join(labels)}.")
    return label


def _condition(spans: list[Span], label: str, base: dict[str, Any], where: str) -> dict[str, int]:
    """``condition_start``/``condition_end`` as article offsets, after checking the span."""
    if label != "conditional":
        if spans:
            raise InputError(f"{where}:condition: a condition span is marked but the label is {label!r}. Remove "
                             "the span, or choose conditional.")
        return {}
    if len(spans) != 1:
        raise InputError(f"{where}:condition: a conditional needs exactly one condition span (the words that state "
                         f"the condition or reservation), found {len(spans)}. Mark one span.")
    start, end = _span_offsets(spans[0], base["text"], where)
    return {"condition_start": base["start"] + start, "condition_end": base["start"] + end}


def _span_offsets(span: Span, text: str, where: str) -> tuple[int, int]:
    """Offsets into ``text`` (code points), checked against the span's own copy of its text."""
    start, end = span.start, span.end
    offsets = isinstance(start, int) and isinstance(end, int)
    if offsets and span.utf16 and span.text is not None and text[start:end] != span.text:
        start, end = utf16_to_index(text, start), utf16_to_index(text, end)
    ok = offsets and 0 <= start < end <= len(text)
    if not ok or (span.text is not None and text[start:end] != span.text):
        found = text[start:end] if ok else None
        raise InputError(f"{where}:condition: the span {span.start}-{span.end} is not an exact substring of the "
                         f"statement (it gives {found!r}, the tool recorded {span.text!r}). Mark the span again.")
    return start, end


def utf16_to_index(text: str, offset: int) -> int:
    """A UTF-16 code-unit offset (what a browser counts) as a Python string index.

    >>> utf16_to_index("a\\U0001F600b", 3)  # the emoji is two UTF-16 units
    2
    """
    units = 0
    for i, char in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def validate_all(
    annotations: list[Annotation], articles: dict[str, str] | None = None
) -> tuple[list[Labelled], list[dict[str, Any]]]:
    """Valid annotations and reject rows (``file``, ``row``, ``field``, ``error``, ``record``), in input order.

    A second annotation of the same example by the same annotator is rejected, naming the first.
    """
    valid: list[Labelled] = []
    rejects: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], str] = {}
    for ann in annotations:
        try:
            example = validate(ann, articles)
            key = (example.id, ann.annotator)
            if key in seen:
                raise InputError(f"{ann.where}:annotator: {ann.annotator} already labelled {example.id} at "
                                 f"{seen[key]}; the first one is kept. Delete one of the two.")
            seen[key] = ann.where
            valid.append(Labelled(example, ann.annotator, ann.where))
        except InputError as err:
            rejects.append(_reject_row(ann, str(err)))
    return valid, rejects


def _reject_row(ann: Annotation, message: str) -> dict[str, Any]:
    prefix = f"{ann.where}:"
    rest = message[len(prefix) :] if message.startswith(prefix) else ""
    field_name = rest.split(":", 1)[0] if rest and not rest.startswith(" ") else ""
    if not field_name:  # a schema error ("file:row: field 'x' must be ...") names the field in its text
        named = re.search(r"field '(\w+)'", message)
        field_name = named.group(1) if named else "row"
    return {"file": ann.source, "row": ann.row, "field": field_name, "annotator": ann.annotator,
            "error": message, "status": ann.status, "record": ann.raw}


# ---------------------------------------------------------------------------------------------------
# Merging annotators
# ---------------------------------------------------------------------------------------------------


def merge_annotations(annotations: list[Annotation], articles: dict[str, str] | None = None) -> MergeResult:
    """Validate, merge by majority, measure agreement; see the module docstring."""
    valid, rejects = validate_all(annotations, articles)
    groups: dict[str, list[Labelled]] = {}
    for item in valid:
        groups.setdefault(item.example.id, []).append(item)
    merged, disagreements = [], []
    for items in groups.values():
        example, row = merge_group(items)
        if example is not None:
            merged.append(example)
        if row is not None:
            disagreements.append(row)
    counts = {"annotations": len(annotations), "valid": len(valid), "rejected": len(rejects),
              "examples": len(merged), "disagreements": len(disagreements),
              "ties": sum(1 for d in disagreements if d["majority"] is None)}
    return MergeResult(merged, rejects, disagreements, agreement(groups), counts)


def merge_group(items: list[Labelled]) -> tuple[Example | None, dict[str, Any] | None]:
    """The majority example of one statement-target (None on a tie) and its disagreement row (None if all agree).

    The winners' most common speaker, affiliation, target and condition span are kept (first annotator
    on a tie); ``annotators`` and ``labels`` in the example record who said what.
    """
    counts = Counter(item.example.label for item in items)
    (top, n_top), *rest = counts.most_common()
    winner = None if rest and rest[0][1] == n_top else top
    example = None
    if winner is not None:
        winners = [item.example for item in items if item.example.label == winner]
        example = _consensus(winners, items)
    row = None if len(counts) == 1 else disagreement_row(items, winner)
    return example, row


def _consensus(winners: list[Example], items: list[Labelled]) -> Example:
    def most_common(get):
        return Counter(get(ex) for ex in winners).most_common(1)[0][0]  # Counter keeps first-seen order on ties

    first = winners[0]
    speaker, target = most_common(lambda ex: ex.speaker), most_common(lambda ex: ex.target)
    affiliation = most_common(lambda ex: ex.speaker_affiliation)
    meta = {k: v for k, v in first.meta.items() if k not in ("annotator", "condition_start", "condition_end")}
    span = most_common(lambda ex: (ex.meta.get("condition_start"), ex.meta.get("condition_end")))
    if span[0] is not None:
        meta.update(condition_start=span[0], condition_end=span[1])
    meta.update(annotators=[i.annotator for i in items], labels={i.annotator: i.example.label for i in items})
    source = next(ex for ex in winners if ex.speaker == speaker)
    return replace(first, speaker=speaker, target=target, speaker_affiliation=affiliation,
                   speaker_start=source.speaker_start, speaker_end=source.speaker_end, meta=meta)


def disagreement_row(items: list[Labelled], majority: str | None) -> dict[str, Any]:
    """A row for adjudication: the statement, each annotator's answer, the majority (None on a tie)."""
    first = items[0].example
    return {
        "id": first.id, "article_id": first.article_id, "text": first.text, "start": first.start, "end": first.end,
        "majority": majority,
        "answers": [_answer(i) for i in items],
        "decision": None,  # fill with a label, and "condition" (verbatim text) for a conditional
    }


def _answer(item: Labelled) -> dict[str, Any]:
    ex = item.example
    out = {"annotator": item.annotator, "label": ex.label, "speaker": ex.speaker,
           "speaker_affiliation": ex.speaker_affiliation, "target": ex.target, "where": item.where}
    if ex.label == "conditional":
        offset = ex.start or 0
        out["condition"] = ex.text[ex.meta["condition_start"] - offset : ex.meta["condition_end"] - offset]
    return out


def apply_decisions(result: MergeResult, decisions: list[tuple[str, dict[str, Any]]],
                    valid_by_id: dict[str, Example]) -> list[Example]:
    """Examples after adjudication: a decided disagreement row replaces (or adds) its example.

    ``decisions`` are ``(where, row)`` pairs from a filled-in disagreements file; ``valid_by_id`` gives
    one annotated example per id to start from. A conditional decision needs ``condition``, verbatim in
    the statement.
    """
    out = {ex.id: ex for ex in result.examples}
    for where, row in decisions:
        decision = row.get("decision")
        if decision is None:
            continue
        if decision not in LABELS:
            raise InputError(f"{where}:decision: unknown label {decision!r}; expected one of {', '.join(LABELS)}.")
        base = out.get(row.get("id")) or valid_by_id.get(row.get("id"))
        if base is None:
            raise InputError(f"{where}:id: {row.get('id')!r} is not an example of these exports.")
        out[base.id] = _decided(base, decision, row.get("condition"), where)
    return list(out.values())


def _decided(base: Example, decision: str, condition: str | None, where: str) -> Example:
    meta = {k: v for k, v in base.meta.items() if k not in ("condition_start", "condition_end")}
    meta["adjudicated"] = True
    if decision == "conditional":
        offset = base.text.find(condition) if condition else -1
        if offset < 0:
            raise InputError(f"{where}:condition: a conditional decision needs 'condition', the words of the "
                             f"statement that state the condition, verbatim; found {condition!r}.")
        meta.update(condition_start=base.start + offset, condition_end=base.start + offset + len(condition))
    return replace(base, label=decision, meta=meta)


# ---------------------------------------------------------------------------------------------------
# Agreement: Cohen's kappa for two annotators, Fleiss' kappa for more
# ---------------------------------------------------------------------------------------------------


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two annotators' labels on the same items; None when chance agreement is 1.

    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 3)
    0.5
    """
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def fleiss_kappa(items: list[list[str]]) -> float | None:
    """Fleiss' kappa over items with two or more labels each (the number of raters may vary per item).

    P_i = sum_j n_ij (n_ij - 1) / (n_i (n_i - 1)); p_j = the share of all ratings in category j;
    kappa = (mean P_i - sum p_j^2) / (1 - sum p_j^2). With the same n for every item this is Fleiss (1971).

    >>> round(fleiss_kappa([["x", "x", "x"], ["x", "x", "y"], ["y", "y", "y"]]), 3)
    0.55
    """
    categories = sorted({label for item in items for label in item})
    counts = np.array([[item.count(c) for c in categories] for item in items], dtype=float)  # (items, categories)
    n_i = counts.sum(axis=1)
    p_item = ((counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))).mean()
    p_cat = counts.sum(axis=0) / n_i.sum()
    expected = float((p_cat**2).sum())
    return None if expected == 1 else float((p_item - expected) / (1 - expected))


def agreement(groups: dict[str, list[Labelled]]) -> dict[str, Any]:
    """Kappa overall and one-vs-rest per label, over the examples labelled by two or more annotators.

    Two annotators in all: Cohen's kappa on the examples both labelled. More: Fleiss' kappa.
    """
    shared = {k: v for k, v in groups.items() if len(v) >= 2}
    annotators = sorted({i.annotator for items in groups.values() for i in items})
    out: dict[str, Any] = {"annotators": annotators, "items": len(shared), "method": None, "kappa": None,
                           "observed": None, "per_label": {}}
    if not shared:
        return out
    method = "cohen" if len(annotators) == 2 else "fleiss"
    ratings = [[i.example.label for i in items] for items in shared.values()]
    kappa = _cohen_of if method == "cohen" else _fleiss_of
    out.update(method=method, kappa=kappa(shared, annotators, None),
               observed=sum(len(set(r)) == 1 for r in ratings) / len(ratings))
    out["per_label"] = {label: kappa(shared, annotators, label) for label in LABELS}
    out["counts"] = dict(Counter(label for r in ratings for label in r))
    return out


def _binary(label: str, target: str | None) -> str:
    return label if target is None else str(label == target)


def _cohen_of(shared: dict[str, list[Labelled]], annotators: list[str], target: str | None) -> float | None:
    first, second = annotators
    a, b = [], []
    for items in shared.values():
        by = {i.annotator: i.example.label for i in items}
        a.append(_binary(by[first], target))
        b.append(_binary(by[second], target))
    return _rounded(cohen_kappa(a, b))


def _fleiss_of(shared: dict[str, list[Labelled]], annotators: list[str], target: str | None) -> float | None:
    return _rounded(fleiss_kappa([[_binary(i.example.label, target) for i in items] for items in shared.values()]))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
