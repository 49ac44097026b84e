"""Tasks out to Label Studio / doccano / Prodigy and their exports back in (stancelab.annotate.formats)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from stancelab.annotate.formats import (
    guess_format,
    label_studio_config,
    read_export,
    resource_path,
    write_tasks,
)
from stancelab.annotate.tasks import LABELS, Prediction, context_window, load_articles, make_tasks
from stancelab.data.io import InputError
from stancelab.data.schema import read_examples

FIXTURES = Path(__file__).parent / "fixtures" / "annotate"


@pytest.fixture
def tasks():
    examples = read_examples(FIXTURES / "candidates.jsonl", labels=None)
    return make_tasks(examples, load_articles(FIXTURES / "articles.jsonl"), "candidates.jsonl", context_chars=60)


def label_interface():
    """label-studio-sdk's config parser (the optional extra `annotate`); the SDK tests skip without it."""
    return pytest.importorskip("label_studio_sdk.label_interface", reason="pip install label-studio-sdk")


def interface():
    return label_interface().LabelInterface(label_studio_config())


# --- the shipped Label Studio config ----------------------------------------------------------------------


def test_label_studio_config_parses_and_validates_with_the_sdk():
    li = interface()
    li.validate()  # raises on a schema, name or toName error
    assert sorted(li._controls) == ["condition", "label", "note", "speaker", "speaker_affiliation", "target"]
    assert li.get_control("label").labels == list(LABELS)
    assert li.get_control("condition").labels == ["condition"]


def test_a_broken_config_fails_the_same_validation():
    broken = label_studio_config().replace('toName="text" choice="single-radio"', 'toName="txt" choice="single-radio"')
    with pytest.raises(Exception, match="toName=\"txt\" not found"):
        label_interface().LabelInterface(broken).validate()


# --- export ----------------------------------------------------------------------------------------------


def test_context_window_is_the_article_around_the_statement(tasks):
    article = load_articles(FIXTURES / "articles.jsonl")["a1"]
    task = tasks[1]
    assert task.context_before + task.text + task.context_after in article
    assert task.context_before == "Ana Ruiz said the trade deal was good for farmers. "  # 60 characters, cut at a space
    assert context_window("One two three. Four five six. Seven eight.", 15, 29, chars=9) == ("three. ", " Seven")


def test_label_studio_tasks_are_valid_import_json(tasks):
    payload = json.loads(write_tasks(tasks, "label-studio"))
    li = interface()
    assert len(payload) == 6
    for task in payload:
        assert set(task) == {"data", "predictions"}
        for name in ("text", "context_before", "context_after"):  # every object tag's $value is present
            assert isinstance(task["data"][name], str)
        prediction = task["predictions"][0]
        assert prediction["model_version"] == "stancelab-builder"
        assert li.validate_prediction(prediction, return_errors=True) == []
    first = payload[0]["predictions"][0]["result"]
    assert {r["from_name"]: r["value"]["text"] for r in first} == {
        "speaker": ["Ana Ruiz"], "speaker_affiliation": ["Spain"], "target": ["the trade deal"]}


def test_label_studio_prediction_carries_the_models_label(tasks):
    tasks[0].prediction = Prediction("oppose", {"support": 0.2, "oppose": 0.7, "conditional": 0.1}, "my-run")
    prediction = json.loads(write_tasks(tasks[:1], "label-studio"))[0]["predictions"][0]
    assert (prediction["model_version"], prediction["score"]) == ("my-run", 0.7)
    assert prediction["result"][0] == {"id": "label", "from_name": "label", "to_name": "text", "type": "choices",
                                       "value": {"choices": ["oppose"]}}
    assert interface().validate_prediction(prediction, return_errors=True) == []


def test_a_wrong_prediction_would_fail_the_sdk_check(tasks):
    tasks[0].prediction = Prediction("favour", {"favour": 1.0}, "my-run")
    prediction = json.loads(write_tasks(tasks[:1], "label-studio"))[0]["predictions"][0]
    assert interface().validate_prediction(prediction, return_errors=True) != []


def test_doccano_and_prodigy_tasks(tasks):
    tasks[3].prediction = Prediction("conditional", {"conditional": 0.9, "support": 0.1}, "my-run")
    doccano = [json.loads(line) for line in write_tasks(tasks, "doccano").splitlines()]
    assert "cats" not in doccano[3]  # a pre-filled cats would export as the annotator's own label
    assert (doccano[3]["model_label"], doccano[3]["model_score"]) == ("conditional", 0.9)
    prodigy = [json.loads(line) for line in write_tasks(tasks, "prodigy").splitlines()]
    assert prodigy[3]["accept"] == ["conditional"]
    assert [o["id"] for o in prodigy[0]["options"]] == list(LABELS)
    assert prodigy[0]["stancelab"]["id"] == "a1-0000"


def test_export_refuses_a_candidate_whose_article_changed(tmp_path):
    examples = read_examples(FIXTURES / "candidates.jsonl", labels=None)
    articles = load_articles(FIXTURES / "articles.jsonl")
    articles["a1"] = "A different article. " + articles["a1"]
    with pytest.raises(InputError, match=r"^cands:1: field 'start': article 'a1'\[0:65\] is 'A different"):
        make_tasks(examples, articles, "cands")


def test_unknown_format_is_named():
    with pytest.raises(InputError, match=r"^--format must be one of label-studio, doccano, prodigy, found 'csv'\.$"):
        write_tasks([], "csv")


# --- import ---------------------------------------------------------------------------------------------


def test_recorded_label_studio_export_is_read():
    annotations = read_export(FIXTURES / "label_studio_export.json")
    assert len(annotations) == 12
    assert [a.label for a in annotations if a.annotator == "user1"] == [
        "support", "oppose", "none", "conditional", "support", "oppose"]
    merger = next(a for a in annotations if a.stancelab["id"] == "a2-0000")
    assert (merger.spans[0].start, merger.spans[0].end, merger.spans[0].text) == (40, 67, "only if jobs were protected")


def test_formats_are_guessed_from_the_content():
    assert guess_format(FIXTURES / "label_studio_export.json") == "label-studio"
    assert guess_format(FIXTURES / "prodigy_export.jsonl") == "prodigy"
    assert guess_format(FIXTURES / "doccano_alice.jsonl") == "doccano"


def test_doccano_comments_correct_the_speaker():
    annotations = read_export(FIXTURES / "doccano_alice.jsonl")
    assert annotations[5].fields == {"speaker": "UNITE"}
    assert annotations[5].annotator == "doccano_alice"  # doccano writes one file per user


def test_prodigy_answers_and_text_inputs():
    annotations = read_export(FIXTURES / "prodigy_export.jsonl")
    assert [a.status for a in annotations].count("ignored") == 1
    alice = [a for a in annotations if a.annotator == "stance_demo-alice"]
    assert alice[5].fields == {"speaker": "UNITE", "note": ""}  # unchanged inputs are not edits
    assert alice[3].spans[0].start == 40


def test_malformed_label_studio_export_says_how_to_fix(tmp_path):
    path = tmp_path / "export.json"
    path.write_text('{"tasks": []}', encoding="utf-8")
    with pytest.raises(InputError, match=r"expected Label Studio's JSON export \(a list of tasks\), found a dict\. "
                                         r"Export with 'JSON', not 'JSON-MIN' or CSV\.$"):
        read_export(path, "label-studio")


# --- the shipped doccano and Prodigy equivalents -----------------------------------------------------------


def test_doccano_label_types_match_the_labels():
    config = json.loads(resource_path("doccano_labels.json").read_text(encoding="utf-8"))
    assert config["project_type"] == "IntentDetectionAndSlotFilling"
    assert [c["text"] for c in config["category_types"]] == list(LABELS)
    assert [s["text"] for s in config["span_types"]] == ["condition"]


def test_prodigy_recipe_blocks_read_the_fields_the_export_writes(tasks):
    tree = ast.parse(resource_path("prodigy_recipe.py").read_text(encoding="utf-8"))
    blocks = next(n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "BLOCKS")
    fields = [v.value for d in blocks.elts for k, v in zip(d.keys, d.values) if k.value == "field_id"]
    task = json.loads(write_tasks(tasks[:1], "prodigy").splitlines()[0])
    assert fields == ["speaker", "speaker_affiliation", "target", "note"]
    assert all(name in task for name in fields)


def test_doccano_relation_style_spans_are_read(tmp_path):
    line = json.loads((FIXTURES / "doccano_alice.jsonl").read_text(encoding="utf-8").splitlines()[3])
    line["entities"] = [{"id": 7, "start_offset": 40, "end_offset": 67, "label": "condition"}]
    path = tmp_path / "alice.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    span = read_export(path, "doccano")[0].spans[0]
    assert (span.start, span.end) == (40, 67)
