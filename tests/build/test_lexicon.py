"""Word lists and verb lemmas of the builder (stancelab.build.attribution.lexicon)."""

from __future__ import annotations

import pytest

from stancelab.build.attribution.extractor import extract_statements, load_nlp
from stancelab.build.attribution.lexicon import CUE_LEMMAS, OFFICE_VERBS, cue_lemma, lemma_in, verb_lemmas


@pytest.mark.parametrize(
    ("word", "tag", "lemma"),
    [("said", "VBD", "say"), ("told", "VBD", "tell"), ("written", "VBN", "write"), ("says", "VBZ", "say"),
     ("studies", "VBZ", "study"), ("signalled", "VBD", "signal"), ("quipped", "VBD", "quip"), ("ran", "VBD", "run")],
)
def test_verb_lemmas_come_from_spacys_tables(word, tag, lemma):
    assert verb_lemmas(word, tag)[0] == lemma


def test_a_base_form_is_its_own_lemma():
    # the English rules would turn "stress" into "stres"; a VB/VBP tag says it is already the lemma
    assert verb_lemmas("stress", "VB") == ("stress",)
    assert verb_lemmas("Dismiss", "VBP") == ("dismiss",)


def test_an_untagged_word_keeps_itself_as_the_last_candidate():
    assert verb_lemmas("stress")[-1] == "stress"
    assert lemma_in("stress", "", CUE_LEMMAS) == "stress"


def test_the_word_lists_are_lemmas():
    for lemma in OFFICE_VERBS | CUE_LEMMAS:
        assert lemma_in(lemma, "VB", OFFICE_VERBS | CUE_LEMMAS) == lemma
    assert "ran" not in OFFICE_VERBS and "run" in OFFICE_VERBS


def test_cue_lemma_needs_a_verb_tag():
    doc = load_nlp()("Supply and demand are in balance, the minister said.")
    by_word = {tok.lower_: tok for tok in doc}
    assert cue_lemma(by_word["said"]) == "say"
    assert cue_lemma(by_word["demand"]) is None  # a noun, not the cue verb "demand"


def test_a_noun_that_looks_like_a_cue_does_not_cut_the_reported_clause():
    # "demand" and "claim" are nouns here: the reported content runs on past them (it was cut at
    # "supply" and at "the tweet" when cues were matched by word form)
    text = "Inventories have declined, with supply and demand in better balance, but overcapacity continues, CRA said."
    (statement,) = extract_statements(text)
    assert statement.content.endswith("but overcapacity continues")
    (statement,) = extract_statements("NASA denies both the tweet and the bogus claim that it was staged.")
    assert statement.content == "both the tweet and the bogus claim that it was staged"


def test_any_inflection_of_an_office_verb_gives_the_affiliation():
    text = 'Ana Ruiz, who chaired the Riverside Housing Trust, said the plan "will not work".'
    (statement,) = extract_statements(text)
    assert statement.speaker_affiliation == "Riverside Housing Trust"
