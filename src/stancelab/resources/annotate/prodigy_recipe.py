"""Prodigy recipe for stancelab stance labelling (not imported by stancelab; Prodigy needs its own licence).

    prodigy stance.annotate my_dataset tasks.jsonl -F prodigy_recipe.py
    prodigy db-out my_dataset > export.jsonl        # then: python -m stancelab.annotate import --input export.jsonl

Blocks: the article context (html), the statement with a ``condition`` span (ner_manual), the label
(choice: support / oppose / conditional / none), and the speaker, affiliation, target and note as text
inputs pre-filled from the task. Get this file with ``python -m stancelab.annotate config --format prodigy``.
"""

import prodigy
import spacy
from prodigy.components.loaders import JSONL
from prodigy.components.preprocess import add_tokens
from prodigy.util import set_hashes

CONTEXT_HTML = (
    "<div style='font-size: 14px; color: #555; text-align: left'>{{context_before}}"
    "<b style='color: #000'>[statement]</b>{{context_after}}</div>"
    "<div style='font-size: 13px; margin-top: 8px'>speaker: <b>{{speaker}}</b> · target: <b>{{target}}</b></div>"
)

BLOCKS = [
    {"view_id": "html", "html_template": CONTEXT_HTML},
    {"view_id": "ner_manual"},
    {"view_id": "choice", "text": None},
    {"view_id": "text_input", "field_id": "speaker", "field_label": "Speaker (full name as first mentioned)"},
    {"view_id": "text_input", "field_id": "speaker_affiliation", "field_label": "Affiliation (may stay empty)"},
    {"view_id": "text_input", "field_id": "target", "field_label": "Target (2-8 words)"},
    {"view_id": "text_input", "field_id": "note", "field_label": "Note (earlier position, sarcasm, ...)"},
]


@prodigy.recipe(
    "stance.annotate",
    dataset=("Dataset to save annotations to", "positional", None, str),
    source=("Tasks from `python -m stancelab.annotate export --format prodigy`", "positional", None, str),
)
def stance_annotate(dataset, source):
    nlp = spacy.blank("en")  # tokens for the condition span only
    stream = add_tokens(nlp, JSONL(source))
    stream = (set_hashes(task, input_keys=("stancelab_id",), task_keys=("stancelab_id",)) for task in stream)
    return {
        "dataset": dataset,
        "stream": stream,
        "view_id": "blocks",
        "config": {"blocks": BLOCKS, "labels": ["condition"], "choice_style": "single"},
    }
