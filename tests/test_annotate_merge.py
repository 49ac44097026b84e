"""Validation, merging and agreement of imported annotations (stancelab.annotate.merge)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancelab.annotate.formats import Annotation, Span, read_export
from stancelab.annotate.merge import (
    apply_decisions,
    cohen_kappa,
    fleiss_kappa,
    merge_annotations,
    utf16_to_index,
    validate,
    validate_all,
)
from stancelab.annotate.tasks import load_articles
from stancelab.data.io import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "annotate"
MERGER = "Karl Berg said he would back the merger only if jobs were protected."
BASE = {"id": "a2-0000", "article_id": "a2", "speaker": "Karl Berg", "speaker_affiliation": "", "target": "the merger",
        "text": MERGER, "start": 0, "end": len(MERGER), "kind": "indirect", "cue": "said"}


def ann(label="support", fields=None, spans=None, status="ok", row=1, annotator="alice", carried=BASE):
    return Annotation("export.json", row, annotator, dict(carried) if carried else None, label=label,
                      fields=fields or {}, spans=spans or [], status=status)


def condition_span(text="only if jobs were protected"):
    start = MERGER.index(text)
    return Span(start, start + len(text), text)


# --- agreement, against values computed by hand ------------------------------------------------------


def test_cohen_kappa_of_the_recorded_label_studio_export():
    # user1: S O N C S O, user2: S O S C N O. p_o = 4/6; p_e = (2*2 + 2*2 + 1*1 + 1*1) / 36 = 10/36;
    # kappa = (24/36 - 10/36) / (26/36) = 14/26. Per label, none: p_o = 4/6, p_e = 26/36 -> -2/10;
    # support: p_e = 20/36 -> 4/16.
    result = merge_annotations(read_export(FIXTURES / "label_studio_export.json"))
    agreement = result.agreement
    assert agreement["method"] == "cohen"
    assert agreement["annotators"] == ["user1", "user2"]
    assert agreement["kappa"] == pytest.approx(14 / 26, abs=1e-4)
    assert agreement["observed"] == pytest.approx(4 / 6)
    assert agreement["per_label"] == {"support": 0.25, "oppose": 1.0, "conditional": 1.0, "none": -0.2}


def test_fleiss_kappa_of_three_doccano_annotators():
    # P_i: 1, 1, 1/3, 1, 1/3, 1/3 -> mean 4/6; category shares S 7, O 5, N 3, C 3 of 18 -> P_e = 92/324;
    # kappa = (216 - 92) / (324 - 92) = 124/232.
    files = [FIXTURES / f"doccano_{name}.jsonl" for name in ("alice", "bob", "carol")]
    result = merge_annotations([a for f in files for a in read_export(f)])
    assert result.agreement["method"] == "fleiss"
    assert result.agreement["kappa"] == pytest.approx(124 / 232, abs=1e-4)
    assert result.agreement["items"] == 6


def test_kappa_functions_on_small_cases():
    assert cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]) == pytest.approx(0.5)
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # chance agreement 1: kappa undefined
    items = [["x", "x", "x"], ["x", "x", "y"], ["y", "y", "y"]]
    assert fleiss_kappa(items) == pytest.approx((7 / 9 - 41 / 81) / (40 / 81))


# --- merging -------------------------------------------------------------------------------------------


def test_majority_merge_ties_go_to_disagreements_only():
    result = merge_annotations(read_export(FIXTURES / "label_studio_export.json"))
    assert [ex.id for ex in result.examples] == ["a1-0000", "a1-0001", "a2-0000", "a2-0002"]
    ties = [row for row in result.disagreements if row["majority"] is None]
    assert [row["id"] for row in ties] == ["a1-0002", "a2-0001"]
    assert {a["annotator"]: a["label"] for a in ties[0]["answers"]} == {"user1": "none", "user2": "support"}
    assert result.counts == {"annotations": 12, "valid": 12, "rejected": 0, "examples": 4, "disagreements": 2,
                             "ties": 2}


def test_majority_of_three_wins_and_keeps_the_minority_on_record():
    files = [FIXTURES / f"doccano_{name}.jsonl" for name in ("alice", "bob", "carol")]
    result = merge_annotations([a for f in files for a in read_export(f)])
    by_id = {ex.id: ex for ex in result.examples}
    assert by_id["a1-0002"].label == "none"  # alice none, bob support, carol none
    assert by_id["a1-0002"].meta["labels"] == {"doccano_alice": "none", "doccano_bob": "support",
                                               "doccano_carol": "none"}
    assert by_id["a2-0002"].label == "oppose"
    assert [row["majority"] for row in result.disagreements] == ["none", "support", "oppose"]


def test_conditional_keeps_its_condition_as_article_offsets():
    result = merge_annotations(read_export(FIXTURES / "label_studio_export.json"))
    merger = next(ex for ex in result.examples if ex.id == "a2-0000")
    article = load_articles(FIXTURES / "articles.jsonl")["a2"]
    assert article[merger.meta["condition_start"] : merger.meta["condition_end"]] == "only if jobs were protected"


def test_edited_speaker_replaces_the_builders():
    result = merge_annotations(read_export(FIXTURES / "label_studio_export.json"))
    union = next(ex for ex in result.examples if ex.id == "a2-0002")
    assert union.speaker == "UNITE"  # user1 typed UNITE, user2 kept "the union": first annotator on a tie


def test_adjudicated_tie_enters_the_output():
    exported = read_export(FIXTURES / "label_studio_export.json")
    result = merge_annotations(exported)
    valid = {item.example.id: item.example for item in validate_all(exported)[0]}
    rows = [("adj.jsonl:1", {**result.disagreements[0], "decision": "none"})]
    examples = apply_decisions(result, rows, valid)
    talks = next(ex for ex in examples if ex.id == "a1-0002")
    assert (talks.label, talks.meta["adjudicated"]) == ("none", True)
    with pytest.raises(InputError, match=r"^adj.jsonl:1:condition: a conditional decision needs 'condition'"):
        apply_decisions(result, [("adj.jsonl:1", {**result.disagreements[0], "decision": "conditional"})], valid)


# --- validation: every check, with its exact message ------------------------------------------------------


def test_valid_annotation_gives_a_schema_example():
    example = validate(ann("conditional", spans=[condition_span()], fields={"target": " backing the merger "}))
    assert example.label == "conditional"
    assert example.target == "backing the merger"
    assert (example.meta["condition_start"], example.meta["condition_end"]) == (40, 67)


def test_unknown_label_is_rejected():
    with pytest.raises(InputError, match=r"^export.json:1:label: unknown label 'favour'; expected exactly one of "
                                         r"support, oppose, conditional, none\.$"):
        validate(ann("favour"))


def test_missing_label_is_rejected():
    with pytest.raises(InputError, match=r"^export.json:1:label: no label chosen"):
        validate(ann(None))


def test_empty_speaker_is_rejected():
    with pytest.raises(InputError, match=r"^export.json:1:speaker: the speaker is empty"):
        validate(ann(fields={"speaker": "  "}))


def test_conditional_needs_a_condition_span():
    with pytest.raises(InputError, match=r"^export.json:1:condition: a conditional needs exactly one condition span"):
        validate(ann("conditional"))


def test_span_that_no_longer_matches_its_text_is_rejected():
    moved = Span(40, 67, "only if jobs were kept")
    with pytest.raises(InputError, match=r"^export.json:1:condition: the span 40-67 is not an exact substring"):
        validate(ann("conditional", spans=[moved]))


def test_statement_no_longer_in_the_article_is_rejected():
    articles = {"a2": "Karl Berg said he would back the merger, full stop."}
    with pytest.raises(InputError, match=r"^export.json:1:text: the article's characters 0-68 are no longer"):
        validate(ann(), articles)


def test_task_without_the_builders_row_is_rejected():
    with pytest.raises(InputError, match=r"^export.json:1:stancelab: the task does not carry the builder's row"):
        validate(ann(carried=None))


def test_label_studio_offsets_in_utf16_units_are_converted():
    text = "Berg 😀 backs it only if jobs stay."
    carried = {**BASE, "text": text, "end": len(text)}
    start16 = text.index("only") + 1  # the emoji counts two UTF-16 units in the browser
    span = Span(start16, start16 + len("only if jobs stay"), "only if jobs stay", utf16=True)
    example = validate(ann("conditional", spans=[span], carried=carried))
    assert text[example.meta["condition_start"] : example.meta["condition_end"]] == "only if jobs stay"
    assert utf16_to_index(text, start16) == text.index("only")


def test_rejects_are_counted_with_file_row_field():
    result = merge_annotations(read_export(FIXTURES / "label_studio_export_rejects.json"))
    assert [(r["row"], r["field"]) for r in result.rejects] == [
        (1, "answer"), (2, "condition"), (3, "condition"), (4, "target"), (5, "answer")]
    assert [ex.id for ex in result.examples] == ["a2-0002"]
    assert result.counts["annotations"] == result.counts["valid"] + result.counts["rejected"]


def test_same_annotator_twice_is_a_reject_naming_the_first():
    valid, rejects = validate_all([ann(row=1), ann("oppose", row=2)])
    assert [v.example.label for v in valid] == ["support"]
    assert rejects[0]["error"] == ("export.json:2:annotator: alice already labelled a2-0000 at export.json:1; the "
                                   "first one is kept. Delete one of the two.")


def test_span_without_offsets_is_a_reject_not_a_crash():
    with pytest.raises(InputError, match=r"^export.json:1:condition: the span None-None is not an exact substring"):
        validate(ann("conditional", spans=[Span(None, None, "only if", utf16=True)]))
