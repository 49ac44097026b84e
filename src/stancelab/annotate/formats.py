"""Tasks out to an annotation tool, and its export back in: Label Studio, doccano and Prodigy.

Each tool gets the same task: the statement to label, the article before and after it (read-only), the
label choices support / oppose / conditional / none, a ``condition`` span over the statement, and the
speaker, affiliation, target and note as editable text. Every task carries the builder's row under
``stancelab`` so an export can be turned back into examples without the candidates file.

>>> payload = write_tasks(tasks, "label-studio")  # doctest: +SKIP
>>> annotations = read_export("export.json")  # doctest: +SKIP

Reading an export gives one ``Annotation`` per (task, annotator); ``merge.py`` validates and merges them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from stancelab.annotate.tasks import CONDITION_LABEL, EDITABLE, LABELS, Task
from stancelab.data.io import InputError, read_jsonl_objects, read_text

FORMATS = ("label-studio", "doccano", "prodigy")
BUILDER_VERSION = "stancelab-builder"  # model_version of the pre-annotation when no model is given


@dataclass
class Span:
    """A marked span of the statement: character offsets into the statement text, and the text itself."""

    start: int
    end: int
    text: str | None = None  # the tool's copy of the marked text, when it gives one
    utf16: bool = False  # offsets count UTF-16 code units (Label Studio runs in a browser)


@dataclass
class Annotation:
    """One annotator's answer for one task, as read from a tool's export (not yet validated).

    ``fields`` holds what the annotator typed for the editable fields; a field the annotator left alone
    is absent and falls back to the builder's value. ``status`` is ``ok``, or why there is no answer
    (``cancelled``, ``unlabelled``, ``rejected``, ``ignored``): such rows go to the rejects file.
    """

    source: str  # the export file
    row: int  # 1-based task index (JSON) or line number (JSONL)
    annotator: str
    stancelab: dict[str, Any] | None  # the builder's row carried in the task
    label: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)
    status: str = "ok"
    raw: Any = None  # the tool's record, kept for the rejects file

    @property
    def where(self) -> str:
        return f"{self.source}:{self.row}"


def resource_path(name: str) -> Path:
    """Path of a shipped file in ``stancelab/resources/annotate`` (the labelling configs)."""
    return Path(str(resources.files("stancelab") / "resources" / "annotate" / name))


def label_studio_config() -> str:
    """The Label Studio labelling config (XML) that the exported tasks are made for."""
    return read_text(resource_path("label_studio.xml"))


# ---------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------


def write_tasks(tasks: list[Task], fmt: str) -> str:
    """The file content for ``fmt``: a JSON list for Label Studio, JSONL for doccano and Prodigy."""
    check_format(fmt)
    if fmt == "label-studio":
        return json.dumps([label_studio_task(t) for t in tasks], indent=2, ensure_ascii=False) + "\n"
    make = doccano_task if fmt == "doccano" else prodigy_task
    return "".join(json.dumps(make(t), ensure_ascii=False) + "\n" for t in tasks)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, found {fmt!r}.")


def _task_fields(task: Task) -> dict[str, Any]:
    """The fields every tool shows: the statement, its context and the builder's speaker and target."""
    ex = task.example
    return {
        "text": ex.text,
        "context_before": task.context_before,
        "context_after": task.context_after,
        "speaker": ex.speaker,
        "speaker_affiliation": ex.speaker_affiliation,
        "target": ex.target,
        "article_id": ex.article_id,
        "stancelab_id": ex.id,
    }


def label_studio_task(task: Task) -> dict[str, Any]:
    """A Label Studio import task: ``data`` and one prediction that pre-fills the editable fields.

    The prediction always carries the builder's speaker, affiliation and target (so the annotator edits
    them instead of typing them); with a model it also carries the model's label and its probability.
    """
    # an empty pre-fill would be an empty text region the annotator has to delete; leave it out instead
    result = [_ls_textarea(name, getattr(task.example, name)) for name in EDITABLE if getattr(task.example, name, None)]
    prediction: dict[str, Any] = {"model_version": BUILDER_VERSION, "result": result}
    if task.prediction is not None:
        result.insert(0, _ls_item("label", "choices", {"choices": [task.prediction.label]}))
        prediction.update(model_version=task.prediction.model_version, score=round(task.prediction.score, 4))
    return {"data": {**_task_fields(task), "stancelab": task.stancelab_row()}, "predictions": [prediction]}


def _ls_item(name: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"id": name, "from_name": name, "to_name": "text", "type": kind, "value": value}


def _ls_textarea(name: str, text: str) -> dict[str, Any]:
    return _ls_item(name, "textarea", {"text": [text]})


def doccano_task(task: Task) -> dict[str, Any]:
    """A doccano "Intent Detection and Slot Filling" import line: ``text`` plus metadata.

    doccano has no editable free-text field next to labels, so corrections of the speaker, affiliation,
    target and note are written as comments ``speaker: <name>`` (docs/annotation-loop.md). The model's
    guess goes to metadata only: pre-filled ``cats`` would be exported as the annotator's own label.
    """
    row = {**_task_fields(task), "stancelab": task.stancelab_row()}
    if task.prediction is not None:
        row.update(model_label=task.prediction.label, model_score=round(task.prediction.score, 4),
                   model_version=task.prediction.model_version)
    return row


def prodigy_task(task: Task) -> dict[str, Any]:
    """A Prodigy task for the shipped ``stance.annotate`` recipe (blocks: html, ner_manual, choice, text_input).

    Prodigy pre-selects the options listed in ``accept``, so the model's label goes there.
    """
    meta = {"article": task.example.article_id, "id": task.example.id}
    row = {**_task_fields(task), "note": "", "options": [{"id": label, "text": label} for label in LABELS],
           "spans": [], "stancelab": task.stancelab_row()}
    if task.prediction is not None:
        row["accept"] = [task.prediction.label]
        meta.update(model=task.prediction.model_version, score=round(task.prediction.score, 4))
    row["meta"] = meta
    return row


# ---------------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------------


def read_export(path: str | os.PathLike, fmt: str | None = None) -> list[Annotation]:
    """Annotations from one export file; ``fmt`` is guessed from the content when not given.

    >>> [a.label for a in read_export("tests/fixtures/annotate/label_studio_export.json")][:2]  # doctest: +SKIP
    ['oppose', 'conditional']
    """
    fmt = fmt or guess_format(path)
    check_format(fmt)
    reader = {"label-studio": read_label_studio, "doccano": read_doccano, "prodigy": read_prodigy}[fmt]
    return reader(path)


def guess_format(path: str | os.PathLike) -> str:
    """A JSON list is Label Studio's export; JSONL lines with ``answer`` are Prodigy's, others doccano's."""
    text = read_text(path).lstrip()
    if text.startswith("["):
        return "label-studio"
    first = text.splitlines()[0] if text else ""
    return "prodigy" if re.search(r'"answer"\s*:', first) else "doccano"


def read_label_studio(path: str | os.PathLike) -> list[Annotation]:
    """Label Studio's JSON export: a list of tasks, each with ``data`` and ``annotations[].result``."""
    tasks = _load_json_list(path)
    out: list[Annotation] = []
    for row, task in enumerate(tasks, start=1):
        carried = _carried(task.get("data") if isinstance(task, dict) else None)
        annotations = task.get("annotations") if isinstance(task, dict) else None
        if not annotations:
            out.append(Annotation(str(path), row, "", carried, status="unlabelled", raw=task))
            continue
        for ann in annotations:
            out.append(_ls_annotation(str(path), row, carried, ann))
    return out


def _load_json_list(path: str | os.PathLike) -> list[Any]:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: expected Label Studio's JSON export (a list of tasks), found malformed JSON "
                         f"({err.msg} at line {err.lineno}). Export again with the JSON format.") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected Label Studio's JSON export (a list of tasks), found a "
                         f"{type(data).__name__}. Export with 'JSON', not 'JSON-MIN' or CSV.")
    return data


def _carried(data: Any) -> dict[str, Any] | None:
    row = data.get("stancelab") if isinstance(data, dict) else None
    return row if isinstance(row, dict) else None


def _ls_annotation(source: str, row: int, carried: dict | None, ann: dict[str, Any]) -> Annotation:
    annotation = Annotation(source, row, _ls_annotator(ann), carried, raw=ann)
    if ann.get("was_cancelled"):
        annotation.status = "cancelled"
        return annotation
    for item in ann.get("result") or []:
        _ls_result_item(annotation, item)
    return annotation


def _ls_annotator(ann: dict[str, Any]) -> str:
    """The annotator's e-mail where the export names it, else ``user<id>`` from ``completed_by``."""
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or f"user{who.get('id')}")
    name = str(ann.get("created_username") or "").split(",")[0].strip()
    return name or f"user{who}"


def _ls_result_item(annotation: Annotation, item: dict[str, Any]) -> None:
    name, value = item.get("from_name"), item.get("value") or {}
    if name == "label":
        choices = value.get("choices") or []
        annotation.label = choices[0] if len(choices) == 1 else (None if not choices else ",".join(choices))
    elif name == CONDITION_LABEL:
        annotation.spans.append(Span(value.get("start"), value.get("end"), value.get("text"), utf16=True))
    elif name in EDITABLE:
        texts = value.get("text") or []
        annotation.fields[name] = " ".join(str(t) for t in texts)


def read_doccano(path: str | os.PathLike) -> list[Annotation]:
    """doccano's JSONL export of an "Intent Detection and Slot Filling" project.

    Each line is ``{"id", "text", <metadata>, "cats": [...], "entities": [[start, end, label]], "Comments": [...]}``;
    without collaborative mode doccano writes one file per user, named after the user, so the file name
    is the annotator unless the line has a ``user``.
    """
    out = []
    for lineno, line in read_jsonl_objects(path):
        annotator = str(line.get("user") or Path(path).stem)
        ann = Annotation(str(path), lineno, annotator, _carried(line), raw=line)
        cats = line.get("cats") or line.get("label") or []
        if not cats and not line.get("entities"):
            ann.status = "unlabelled"
        ann.label = cats[0] if len(cats) == 1 else (",".join(cats) if cats else None)
        ann.spans = [span for e in line.get("entities") or [] if (span := _doccano_span(e)) is not None]
        ann.fields = _comment_fields(line.get("Comments") or line.get("comments") or [])
        out.append(ann)
    return out


def _doccano_span(entity: Any) -> Span | None:
    """``[start, end, label]`` (the plain export) or ``{"start_offset", "end_offset", "label"}`` (with relations)."""
    if isinstance(entity, dict):
        entity = [entity.get("start_offset"), entity.get("end_offset"), entity.get("label")]
    if isinstance(entity, list) and len(entity) == 3 and entity[2] == CONDITION_LABEL:
        return Span(entity[0], entity[1])
    return None


def _comment_fields(comments: list[Any]) -> dict[str, str]:
    """``speaker: Ana Ruiz`` comments -> {"speaker": "Ana Ruiz"}; other comments are kept as the note."""
    fields: dict[str, str] = {}
    notes = []
    for comment in comments:
        text = comment.get("text", "") if isinstance(comment, dict) else str(comment)
        key, sep, value = text.partition(":")
        if sep and key.strip().lower() in EDITABLE:
            fields[key.strip().lower()] = value.strip()
        elif text.strip():
            notes.append(text.strip())
    if notes and "note" not in fields:
        fields["note"] = "; ".join(notes)
    return fields


PRODIGY_STATUS = {"accept": "ok", "reject": "rejected", "ignore": "ignored"}


def read_prodigy(path: str | os.PathLike) -> list[Annotation]:
    """``prodigy db-out <dataset>`` JSONL: the task with ``answer``, ``accept``, ``spans``, the text inputs
    (stored under their ``field_id``) and ``_annotator_id``."""
    out = []
    for lineno, line in read_jsonl_objects(path):
        annotator = str(line.get("_annotator_id") or line.get("_session_id") or Path(path).stem)
        ann = Annotation(str(path), lineno, annotator, _carried(line), raw=line)
        ann.status = PRODIGY_STATUS.get(line.get("answer"), "unlabelled")
        accept = line.get("accept") or []
        ann.label = accept[0] if len(accept) == 1 else (",".join(map(str, accept)) if accept else None)
        ann.spans = [Span(s.get("start"), s.get("end"), s.get("text"))
                     for s in line.get("spans") or [] if s.get("label") == CONDITION_LABEL]
        carried = ann.stancelab or {}
        # Prodigy stores a text input under its field_id whether or not it was edited; compare with the
        # builder's value so only real edits count as edits.
        ann.fields = {name: str(line[name]) for name in EDITABLE if name in line and line[name] != carried.get(name)}
        out.append(ann)
    return out
