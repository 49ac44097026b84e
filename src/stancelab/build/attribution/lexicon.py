"""The extractor's word lists, read once from ``stancelab/resources/attribution.json``.

The lists are data (cue verbs, cue nouns, title words, organisation words, countries, parties, ...), so
adding a cue or a country is a one-line change to the JSON file; the file's ``about`` fields say what
each list is for. Sets come back as Python sets, tables as dicts in the file's order.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def read_lexicon(name: str) -> dict[str, Any]:
    """One JSON file of word lists from ``stancelab/resources/`` (package data, read with importlib.resources)."""
    text = resources.files("stancelab").joinpath("resources", name).read_text(encoding="utf-8")
    return json.loads(text)


_LEXICON = read_lexicon("attribution.json")


def _words(name: str) -> set[str]:
    return set(_LEXICON[name]["words"])


def _aliases(name: str) -> dict[str, str]:
    """A table of name -> aliases as the "|"-separated strings the lookups split."""
    return {key: "|".join(aliases) for key, aliases in _LEXICON[name]["table"].items()}


SPEECH_VERBS = _words("speech_verbs")
IRREGULAR_FORMS: dict[str, list[str]] = _LEXICON["irregular_forms"]["table"]
OBJECT_CUES = _words("object_cues")
POSITION_VERBS = _words("position_verbs")
PHRASAL_CUES = {lemma: tuple(particles) for lemma, particles in _LEXICON["phrasal_cues"]["table"].items()}
NOUN_CUES = _words("noun_cues")
SOURCE_NOUNS = _words("source_nouns")
TITLE_WORDS = _words("title_words")
ORG_WORDS = _words("org_words")
COMPANY_WORDS = _words("company_words")
PRONOUNS_PERSON = _words("pronouns_person")
PRONOUNS_GROUP = _words("pronouns_group")
COUNTRIES = _aliases("countries")  # country -> "demonym|capital|short form|..." (lower case)
COUNTRY_OF = {alias: country for country, aliases in COUNTRIES.items() for alias in aliases.split("|")}
PARTIES = _aliases("parties")
PARTY_OF = {alias: party for party, aliases in PARTIES.items() for alias in aliases.split("|")}
# title word -> ("trigger|words", body): "EU Trade Commissioner" -> European Commission
TITLE_BODIES = {
    title: ("|".join(entry["triggers"]), entry["body"]) for title, entry in _LEXICON["title_bodies"]["table"].items()
}
PORTFOLIO_WORDS = _words("portfolio_words")
GOVERNMENT_WORDS = _words("government_words")
OFFICE_VERBS = _words("office_verbs")
STATE_TITLES = _words("state_titles")
TITLE_ALIASES: dict[str, str] = _LEXICON["title_aliases"]["table"]


def _regular_forms(lemma: str) -> set[str]:
    """Inflections of a regular verb: ``_regular_forms("urge") == {"urge", "urges", "urged", "urging"}``."""
    if lemma.endswith("e"):
        return {lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    if lemma.endswith(("s", "sh", "ch", "x")):
        return {lemma, lemma + "es", lemma + "ed", lemma + "ing"}
    return {lemma, lemma + "s", lemma + "ed", lemma + "ing"}


def _form_table(lemmas: set[str], irregular: dict[str, list[str]]) -> dict[str, str]:
    """Word form -> lemma for every cue verb (``said`` -> ``say``)."""
    table = {}
    for lemma in sorted(lemmas):
        for form in _regular_forms(lemma) | set(irregular.get(lemma, [])):
            table.setdefault(form, lemma)
    table.update({"says": "say", "saying": "say", "tells": "tell", "telling": "tell"})
    return table


# Word form -> lemma of every cue verb; the parser's lemmatizer is off (it costs a third of the parse).
CUE_FORMS = _form_table(SPEECH_VERBS | {"call", "point"}, IRREGULAR_FORMS)
