"""Anchor and affiliation rules: named, ordered, recorded on each statement, and each one can be switched off."""

from __future__ import annotations

import pytest

from stancelab.build.attribution.anchors import ANCHOR_RULES
from stancelab.build.attribution.extractor import RULES, extract_statements
from stancelab.build.attribution.speakers import AFFILIATION_RULES
from stancelab.build.attribution_eval import gold_spans, predicted_spans, rule_report
from stancelab.data.io import InputError

pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest

SAID = "Russian Foreign Minister Sergey Lavrov said Moscow opposed the new sanctions on its banks."
ACCORDING = "Prices will rise by 3 per cent next year, according to the farmers' union."


def test_rules_are_named_in_order():
    assert [name for name, _ in ANCHOR_RULES] == ["speech-verb", "according-to", "noun-cue"]
    assert RULES[:3] == ("speech-verb", "according-to", "noun-cue")
    assert AFFILIATION_RULES[:5] == ("named-body", "title-body", "title-org", "country", "party")
    assert len(set(RULES)) == len(RULES)


def test_each_statement_records_its_anchor_and_affiliation_rule():
    (said,) = extract_statements(SAID)
    assert (said.speaker, said.speaker_affiliation, said.rule, said.affiliation_rule) == (
        "Sergey Lavrov",
        "Russia",
        "speech-verb",
        "country",
    )
    (according,) = extract_statements(ACCORDING)
    assert (according.kind, according.rule) == ("according-to", "according-to")


def test_a_rule_switched_off_finds_nothing_of_its_own():
    assert extract_statements(SAID, disabled=frozenset({"speech-verb"})) == []
    assert [s.kind for s in extract_statements(ACCORDING, disabled=frozenset({"speech-verb"}))] == ["according-to"]
    # without the country word rule, the next rule in order finds the country the sentence names (Moscow)
    (without_country,) = extract_statements(SAID, disabled=frozenset({"country"}))
    assert (without_country.speaker_affiliation, without_country.affiliation_rule) == ("Russia", "sentence-country")
    (neither,) = extract_statements(SAID, disabled=frozenset({"country", "sentence-country"}))
    assert (neither.speaker, neither.speaker_affiliation, neither.affiliation_rule) == ("Sergey Lavrov", "", "")


def test_unknown_rule_is_named():
    with pytest.raises(InputError, match="unknown attribution rule 'verbs'; the rules are speech-verb, "):
        extract_statements(SAID, disabled=frozenset({"verbs"}))


def test_rule_report_counts_statements_and_scores_each_rule_off():
    articles = {"a": SAID + "\n\n" + ACCORDING}
    said = "Moscow opposed the new sanctions on its banks"
    rows = [
        {"article_id": "a", "speaker": "Sergey Lavrov", "text": said, "kind": "indirect"},
        {"article_id": "a", "speaker": "the farmers' union", "text": ACCORDING.split(",")[0], "kind": "according-to"},
    ]
    gold, missing = gold_spans(rows, articles)
    assert not missing
    pred = predicted_spans(articles, "keep")
    report = rule_report(gold, pred, articles, "keep", ["speech-verb", "according-to"])
    assert report["statements_per_rule"] == {"according-to": 1, "speech-verb": 1}
    assert report["affiliations_per_rule"]["country"] == 1
    assert report["without"]["speech-verb"]["n_pred"] == 1
    assert report["without"]["according-to"]["n_pred"] == 1
    assert report["without"]["speech-verb"]["overlap_f1"] == pytest.approx(2 / 3, abs=1e-3)
