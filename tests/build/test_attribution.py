"""Attribution extraction on realistic news sentences (written for these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancelab.build.attribution import extractor
from stancelab.build.attribution.extractor import analyse, extract_statements
from stancelab.build.attribution.paragraphs import article_paragraphs, is_boilerplate, mask_html
from stancelab.build.attribution.quotes import find_quotes

FIXTURES = Path(__file__).parents[1] / "fixtures" / "build"
SEED = Path(__file__).parents[2] / "data" / "raw" / "000_ed3b50a90a3882e0.txt"


pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest


def one(text: str):
    statements = extract_statements(text)
    assert len(statements) == 1, [(s.kind, s.speaker, s.content) for s in statements]
    return statements[0]


def check_offsets(text: str, statements) -> None:
    for s in statements:
        assert text[s.content_start : s.content_end] == s.content
        assert text[s.sentence_start : s.sentence_end] == s.sentence
        if s.speaker_start is not None:
            assert text[s.speaker_start : s.speaker_end].strip()


# --- direct quotes -----------------------------------------------------------------------------------


def test_straight_quote_with_cue_after():
    text = '"This agreement is good for our farmers," Trade Minister Ana Ruiz said on Monday.'
    s = one(text)
    assert (s.kind, s.speaker, s.cue) == ("direct", "Ana Ruiz", "said")
    assert s.content == "This agreement is good for our farmers,"
    assert s.sentence == text
    check_offsets(text, [s])


def test_curly_quote_with_cue_before():
    text = "Chancellor Lena Vogt said: “The budget will pass, with or without the Greens.”"
    s = one(text)
    assert (s.kind, s.speaker) == ("direct", "Lena Vogt")
    assert s.content == "The budget will pass, with or without the Greens."


def test_split_quote_gives_two_lines_with_one_cue():
    text = "“We agree on the goal,” Lavrov said, “but not on how to reach it.”"
    statements = extract_statements(text)
    assert [s.content for s in statements] == ["We agree on the goal,", "but not on how to reach it."]
    assert {(s.speaker, s.cue, s.kind) for s in statements} == {("Lavrov", "said", "direct")}
    assert all(s.sentence == text for s in statements)


def test_multi_sentence_quote_text_covers_all_sentences():
    text = '"The plant is safe. Inspectors found nothing. We reopen on Monday," plant director Omar Haddad said.'
    s = one(text)
    assert s.content.startswith("The plant is safe.") and s.content.endswith("Monday,")
    assert s.sentence == text


def test_multi_paragraph_quote_continues_with_the_same_speaker():
    text = (
        "Senator Grace Holloway defended the levy in a long speech.\n\n"
        "“We have waited ten years for this,” she said. “Families cannot wait another winter.\n\n"
        "“Every month of delay costs them money.”"
    )
    analysis = analyse(text)
    statements = [s for s, _ in analysis.statements]
    assert [s.content for s in statements][-1] == "Every month of delay costs them money."
    assert {s.speaker for s in statements} == {"Grace Holloway"}
    assert not analysis.warnings  # a run-on quote paragraph is not an unbalanced quote


def test_quote_speaker_named_in_previous_sentence():
    text = "Union leader Karl Brandt was unmoved by the offer. “Four per cent is an insult to every nurse.”"
    s = one(text)
    assert (s.speaker, s.kind) == ("Karl Brandt", "direct")


def test_quote_speaker_named_in_next_sentence():
    text = "“We will not be bullied by the province.” Mayor Sadia Khan said so after the vote on Tuesday."
    s = one(text)
    assert (s.speaker, s.cue, s.kind) == ("Sadia Khan", "said", "direct")
    assert s.sentence == text  # the attributing sentence is part of the example text


def test_attribution_nested_in_a_quote_is_not_a_statement():
    text = '"My father said the mine would never close," retired miner Gareth Evans said.'
    s = one(text)
    assert s.speaker == "Gareth Evans"


# --- reported speech ------------------------------------------------------------------------------


def test_reported_speech_with_and_without_that():
    first = one("Lavrov said that Russia opposed the deployment of foreign troops in Syria.")
    second = one("Lavrov said Russia opposed the deployment of foreign troops in Syria.")
    assert first.content == second.content == "Russia opposed the deployment of foreign troops in Syria"
    assert first.kind == "indirect"


@pytest.mark.parametrize(
    "cue",
    [
        "stressed",
        "asserted",
        "warned",
        "argued",
        "insisted",
        "added",
        "noted",
        "conceded",
        "acknowledged",
        "maintained",
        "cautioned",
        "vowed",
        "denied",
    ],
)
def test_cue_verbs_with_a_that_clause(cue):
    text = f"Finance Minister Elena Markova {cue} that the new tax would not hurt small firms."
    s = one(text)
    assert (s.speaker, s.cue, s.kind) == ("Elena Markova", cue, "indirect")
    assert s.content == "the new tax would not hurt small firms"


def test_told_with_a_listener():
    s = one("Kerry told reporters in Doha that the talks had made real progress.")
    assert (s.cue, s.content) == ("told", "the talks had made real progress")


@pytest.mark.parametrize(
    "sentence, content",
    [
        ("The union welcomed the court ruling on night shifts.", "the court ruling on night shifts"),
        ("The ministry rejected the proposal for a fuel subsidy.", "the proposal for a fuel subsidy"),
        ("The opposition urged the government to delay the vote.", "to delay the vote"),
        ("The farmers' federation proposed a ten-year transition period.", "a ten-year transition period"),
        ("Greenpeace called for an immediate halt to the drilling.", "an immediate halt to the drilling"),
    ],
)
def test_position_cues_with_an_object(sentence, content):
    s = one(sentence)
    assert (s.kind, s.content) == ("indirect", content)


def test_went_on_to_call_for_keeps_the_speaker():
    text = (
        "Lavrov told Kerry that Russia opposed the strikes, but added that air power alone was not enough "
        "and went on to call for the use of ground forces against the militants."
    )
    statements = extract_statements(text)
    assert {s.speaker for s in statements} == {"Lavrov"}
    assert [s.cue for s in statements] == ["told", "added", "call for"]
    assert statements[1].content == "air power alone was not enough"
    assert statements[2].content == "the use of ground forces against the militants"


def test_mixed_statement_keeps_its_quote_marks():
    text = "Greenpeace said the licences were “a betrayal of the climate pledge”."
    s = one(text)
    assert s.kind == "mixed"
    assert s.content == "the licences were “a betrayal of the climate pledge”"


@pytest.mark.parametrize(
    "text, speaker, content",
    [
        (
            "According to the port authority, about 40 ships were waiting at anchor.",
            "the port authority",
            "about 40 ships were waiting at anchor",
        ),
        (
            "About 40 ships were waiting at anchor, according to the port authority.",
            "the port authority",
            "About 40 ships were waiting at anchor",
        ),
        (
            "The talks will resume in May, according to a statement by the Russian Foreign Ministry.",
            "the Russian Foreign Ministry",
            "The talks will resume in May",
        ),
    ],
)
def test_according_to(text, speaker, content):
    s = one(text)
    assert (s.kind, s.cue, s.speaker, s.content) == ("according-to", "according to", speaker, content)
    assert s.speaker_affiliation == ("Russia" if "Russian" in speaker else "")


def test_noun_cues():
    s = one("In a statement, the Health Ministry said the vaccine rollout would start in March.")
    assert (s.speaker, s.cue) == ("the Health Ministry", "said")
    s = one("Markova's claim that the tax would raise 2 billion euros was disputed by economists.")
    assert (s.speaker, s.cue, s.content) == ("Markova", "claim", "the tax would raise 2 billion euros")


# --- speakers ---------------------------------------------------------------------------------------


def test_title_and_affiliation_are_split():
    s = extract_statements("Russian Foreign Minister Sergey Lavrov said the talks were useful.")[0]
    assert (s.speaker, s.speaker_affiliation) == ("Sergey Lavrov", "Russia")
    s = extract_statements("The U.S. State Department said the sanctions would stay.")[0]
    assert s.speaker_affiliation == "United States"


def test_capital_as_speaker_is_the_country():
    s = one("Washington said the sanctions would remain in place.")
    assert (s.speaker, s.speaker_affiliation) == ("Washington", "United States")


def test_pronouns_surnames_and_descriptions_resolve_to_the_first_full_name():
    text = (
        "Russian Foreign Minister Sergey Lavrov met his Qatari counterpart on Monday.\n\n"
        "Lavrov said the meeting had been useful. He added that a new round of talks would follow.\n\n"
        "The minister also said Moscow would send a delegation to Doha.\n\n"
        "The Russian Foreign Ministry said the visit would take place in June. The ministry added that "
        "the agenda was not yet final."
    )
    statements = extract_statements(text)
    assert [s.speaker for s in statements] == ["Sergey Lavrov"] * 3 + ["The Russian Foreign Ministry"] * 2
    assert {s.speaker_affiliation for s in statements} == {"Russia"}
    check_offsets(text, statements)


def test_the_company_resolves_to_the_organisation():
    text = (
        "Airbus said it would build a second assembly line in Alabama. The company added that 800 jobs "
        "would be created."
    )
    assert [s.speaker for s in extract_statements(text)] == ["Airbus", "Airbus"]


# --- messy news -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        ("By Maria Jensen and Tom Okafor", True),
        ("Related: Port automation spreads across northern Europe", True),
        ("Photo: Striking dockers gather at the main gate (Reuters/Jan Kolb)", True),
        ("• Strike runs until Friday morning", True),
        ("Dockers walk out as port talks collapse", True),
        ("Reporting by Maria Jensen; Editing by Tom Okafor", True),
        ("August 6, 2015 at 1:53 pm", True),
        ("The union said the strike would go on.", False),
        ("“We will not give up.", False),
    ],
)
def test_boilerplate_lines(line, expected):
    assert is_boilerplate(line) is expected


def test_wire_copy_yields_only_real_statements():
    text = (FIXTURES / "wire_port_strike.txt").read_text(encoding="utf-8")
    statements = extract_statements(text)
    check_offsets(text, statements)
    sentences = " ".join(s.sentence for s in statements)
    for noise in ("By Maria Jensen", "Related:", "Photo:", "Strike runs until", "Editing by", "Dockers walk out"):
        assert noise not in sentences
    assert not any(s.sentence.startswith("HAMBURG") for s in statements)  # the dateline is cut off
    by_speaker = {s.speaker for s in statements}
    assert {"Petra Lindholm", "Jonas Weber", "the port authority"} <= by_speaker
    lindholm = [s for s in statements if s.speaker == "Petra Lindholm"]
    assert [s.kind for s in lindholm] == ["direct", "indirect"]


def test_dateline_is_cut_from_the_paragraph():
    text = "BRUSSELS (Reuters) - The Commission said the levy would start in January."
    assert [text[s:e] for s, e in article_paragraphs(text)] == ["The Commission said the levy would start in January."]


def test_html_remnants_are_masked_and_counted():
    text = (FIXTURES / "html_unbalanced.txt").read_text(encoding="utf-8")
    analysis = analyse(text)
    assert any(w.startswith("html_remnants") for w in analysis.warnings)
    assert any(w.startswith("unbalanced_quotes") for w in analysis.warnings)
    statements = [s for s, _ in analysis.statements]
    check_offsets(text, statements)
    assert {"Hanna Berg", "Erik Dahl"} <= {s.speaker for s in statements}
    berg = next(s for s in statements if s.speaker == "Hanna Berg")
    assert berg.content == "We are ready to start construction next week,"  # cut before the missing mark


def test_mask_html_keeps_offsets():
    text = "<p>The mayor said yes.</p>"
    masked, count = mask_html(text)
    assert len(masked) == len(text) and count == 2 and masked.strip() == "The mayor said yes."


def test_unbalanced_stray_quote_does_not_swallow_the_paragraph():
    text = 'The minister said the 5" pipes were safe and that the plant would reopen.'
    quotes, unbalanced = find_quotes(text, article_paragraphs(text))
    assert quotes == [] and unbalanced == 1
    s = one(text)
    assert s.speaker == "The minister" and s.kind == "indirect"


def test_empty_and_whitespace_text_give_nothing():
    assert extract_statements("") == []
    assert extract_statements("   \n\n ") == []


def test_apposition_gives_name_title_and_affiliation():
    text = (
        "Tove Haugen, president of the Norwegian Olympic Committee, said Norway would not bid.\n\n"
        "The Transport Secretary, Eleanor Marsh, said the offer was final."
    )
    statements = extract_statements(text)
    assert [(s.speaker, s.speaker_affiliation) for s in statements] == [
        ("Tove Haugen", "Norwegian Olympic Committee"),  # an officer speaks for the organisation
        ("Eleanor Marsh", ""),
    ]


def test_he_and_she_pick_different_people():
    text = (
        "Priya Shah, coordinator of the refugee charity, said a camp was the wrong answer. “Nobody here wants "
        "a camp,” she said.\n\n"
        "Residents' spokesman Derek Lowe spoke next. He denied that the group had links to extremists."
    )
    assert [s.speaker for s in extract_statements(text)] == ["Priya Shah", "Priya Shah", "Derek Lowe"]


def test_the_statement_said_points_to_its_issuer():
    text = "The Pentagon said it was monitoring the five men. The statement said the risk could be mitigated."
    assert [s.speaker for s in extract_statements(text)] == ["The Pentagon", "The Pentagon"]


# --- deferred entity recognition -----------------------------------------------------------------------


def test_entities_per_sentence_give_the_statements_of_a_whole_paragraph_run(monkeypatch):
    """The recogniser runs only on sentences where a speaker may be resolved (for speed); the statements
    must be those of a run with entities on every paragraph."""

    text = SEED.read_text(encoding="utf-8")
    deferred = extract_statements(text)

    def full_run(self, anchors):
        docs = {id(s.span.doc): s.span.doc for s in self.sentences}
        for doc in docs.values():
            self.ner(doc)

    monkeypatch.setattr(extractor._Extractor, "_recognise_entities", full_run)
    assert extract_statements(text) == deferred
    assert {s.speaker for s in deferred} >= {"Sergey Lavrov"}


def test_he_after_according_to_is_the_source_not_the_reported_subject():
    text = (
        "According to Lavrov, Russian President Vladimir Putin, for his part, has proposed a single front.\n\n"
        "“Russia provides support to the Syrian people,” he said."
    )
    # Lavrov is first named in full earlier in a real article; here the surname is the name
    according, quote = extract_statements("Foreign Minister Sergey Lavrov met Kerry on Monday.\n\n" + text)
    assert (according.kind, according.speaker) == ("according-to", "Sergey Lavrov")
    assert according.content.startswith("Russian President Vladimir Putin")
    assert (quote.kind, quote.speaker) == ("direct", "Sergey Lavrov")


def test_seed_article_speakers():
    statements = extract_statements(SEED.read_text(encoding="utf-8"))
    speakers = {s.speaker for s in statements}
    assert "Sergey Lavrov" in speakers
    last = statements[-1]
    assert (last.speaker, last.speaker_affiliation, last.cue) == ("Sergey Lavrov", "Russia", "added")


# --- affiliation ------------------------------------------------------------------------------------


def affiliations(text: str) -> dict[str, str]:
    return {s.speaker: s.speaker_affiliation for s in extract_statements(text)}


@pytest.mark.parametrize(
    ("text", "speaker", "affiliation"),
    [
        (  # a one-word company after "of" in the description
            "Marta Lindqvist, chief executive of the search firm Quorra, said the rules would hurt small developers.",
            "Marta Lindqvist",
            "Quorra",
        ),
        (
            "Dr Omar Reyes, a senior economist at Bellmont Capital, said the cut was premature.",
            "Omar Reyes",
            "Bellmont Capital",
        ),
        (  # a relative clause about the person
            "Helen Dorsey, who chairs Millbrook Parish Council, said residents had no quarrel with the plan.",
            "Helen Dorsey",
            "Millbrook Parish Council",
        ),
        ("EU Trade Commissioner Lena Berg said the bloc would retaliate.", "Lena Berg", "European Commission"),
        (  # a portfolio is no organisation; the country the sentence names is
            "Federal Justice Minister Katrin Vogel said Germany would back the reform.",
            "Katrin Vogel",
            "Germany",
        ),
        ("“Italy will not sign this treaty,” Foreign Minister Paolo Ferri said.", "Paolo Ferri", "Italy"),
        (  # the place of the scene is not the minister's country
            "Foreign Minister Paolo Ferri told reporters in Brussels that the plan was unfair.",
            "Paolo Ferri",
            "",
        ),
        (
            "“We will win this seat,” said Priya Anand, Labour’s candidate for the new constituency.",
            "Priya Anand",
            "Labour Party",
        ),
    ],
)
def test_affiliation_from_the_description(text, speaker, affiliation):
    assert affiliations(text)[speaker] == affiliation


def test_possessor_resolves_to_the_organisation_just_named():
    text = (
        "The Northern Growers Association took a cautious line. Its chair, Tom Fraser, said the industry "
        "could accept the cap."
    )
    assert affiliations(text)["Tom Fraser"] == "The Northern Growers Association"


def test_the_partys_leader_resolves_to_the_party():
    text = (
        'The main opposition party, Law and Order, said it would fight the bill. "This is a power grab," '
        "said Anna Nowak, the party's parliamentary leader."
    )
    assert affiliations(text) == {"Law and Order": "Law and Order", "Anna Nowak": "Law and Order"}


def test_the_countrys_minister_resolves_to_the_country():
    text = "Norway backed the plan. The country’s fisheries minister, Kari Vold, said the quotas were fair."
    assert affiliations(text)["Kari Vold"] == "Norway"


def test_a_persons_own_name_is_never_the_affiliation():
    statement = one("National Police Chief Anders Lindqvist said the force would enforce the new rules.")
    assert "Lindqvist" not in statement.speaker_affiliation


def test_organisations_speak_for_themselves_and_state_bodies_for_their_country():
    assert affiliations("The Finnish Nurses Association said the reform was welcome.") == {
        "The Finnish Nurses Association": "The Finnish Nurses Association"
    }
    assert affiliations("The Russian Foreign Ministry said the sanctions were illegal.") == {
        "The Russian Foreign Ministry": "Russia"
    }
