"""Who a speaker speaks for: an organisation, a body named by a title, a country or a party."""

from __future__ import annotations

import re

from stancelab.build.attribution.lexicon import (
    COUNTRY_OF,
    GOVERNMENT_WORDS,
    OFFICE_VERBS,
    ORG_WORDS,
    PARTY_OF,
    PORTFOLIO_WORDS,
    STATE_TITLES,
    TITLE_BODIES,
    TITLE_WORDS,
    lemma_in,
)


def word_affiliation(tokens, name_tokens, disabled: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Who a person speaks for, from the words around the name, and the rule that found it: the first of
    ``WORD_RULES`` (not in ``disabled``) that names a body. Never the person's own name.

    The rules, in order: the organisation a description names ("chief executive of the firm Lumio"), a
    body named by a title ("EU Trade Commissioner" -> European Commission), an organisation in the title
    ("Bundesbank President"), a country ("Russian Foreign Minister" -> Russia), a party ("Conservative MP").
    """
    names = {t.i for t in name_tokens}
    words = [t for t in tokens if t.i not in names]
    if not words:
        return "", ""
    found, rule = "", ""
    for name, find in WORD_RULES:
        if name not in disabled:
            found = find(words)
            if found:
                rule = name
                break
    own = {t.lower_ for t in name_tokens}
    return ("", "") if own & set(found.lower().split()) else (found, rule)


def _named_body(words) -> str:
    """The proper name after "of" / "at" in a description: 'Ingrid Solberg of the Norwegian Institute of
    International Affairs', 'a senior economist at Desjardins'; a country is given by its name."""
    for prep in words:
        if prep.dep_ != "prep" or prep.lower_ not in ("of", "at"):
            continue
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
        if obj is None or obj.tag_ not in ("NNP", "NNPS"):
            continue
        phrase = _proper_phrase(obj)
        if not set(phrase.lower().split()) <= PORTFOLIO_WORDS | {"and", "of"}:  # not "Minister of Foreign Affairs"
            return COUNTRY_OF.get(phrase.lower(), phrase)
    return ""


_NAME_LINKS = ("of", "for", "and", "&", "the")  # "Centre for Science and Environment", "Tour of the Alps"


def _proper_phrase(tok) -> str:
    """The capitalised words around ``tok`` within its phrase: 'the Norwegian firm Nordvik Defence' ->
    'Nordvik Defence'; 'the Business Council of Canada' -> 'Business Council of Canada'."""
    inside = {t.i for t in tok.subtree}
    doc = tok.doc

    def part(i: int) -> bool:
        return i in inside and (doc[i].text[:1].isupper() or doc[i].tag_ in ("POS", "HYPH") or doc[i].text in "’'")

    def link(i: int, step: int) -> int:
        """Length of a connector run ("of", "of the", "and", "for") at ``i`` that leads to another capital."""
        n = 0
        while i + n * step in inside and doc[i + n * step].lower_ in _NAME_LINKS and n < 2:
            n += 1
        return n if n and part(i + n * step) else 0

    lo, hi = tok.i, tok.i
    while part(lo - 1) or link(lo - 1, -1):
        lo -= 1 + link(lo - 1, -1)
    while part(hi + 1) or link(hi + 1, 1):
        hi += 1 + link(hi + 1, 1)
    while hi > lo and (doc[hi].tag_ in ("POS", "HYPH") or doc[hi].text in "’'"):
        hi -= 1
    return doc[lo : hi + 1].text


def _title_body(words) -> str:
    """'EU Climate Commissioner' -> European Commission (``TITLE_BODIES``)."""
    lower = {t.lower_ for t in words}
    for title, (triggers, body) in TITLE_BODIES.items():
        if title in lower and lower & set(triggers.split("|")):
            return body
    return ""


def _title_org(words) -> str:
    """An organisation the entity recogniser finds in the title ("Bundesbank President", "UNHCR spokesman").

    Trailing title words are cut ("Federal Trade Commission Chair"); a portfolio ("Federal Justice
    Minister", "Transport Secretary") is no organisation, nor is a lone capitalised word left after the cut
    ("Counsel General"); a state body gives its country.
    """
    ids = {t.i for t in words}
    for ent in words[0].doc.ents:
        if ent.label_ != "ORG" or not all(t.i in ids for t in ent):
            continue
        toks = list(ent)
        while any(t.text[:1].isupper() for t in toks) and not toks[0].text[:1].isupper():
            toks = toks[1:]  # "institute INRAE"; "the national health insurance fund" stays whole
        while toks and (toks[-1].lower_ in TITLE_WORDS or toks[-1].tag_ == "POS"):
            toks = toks[:-1]
        if not toks or toks[-1].lower_ in PORTFOLIO_WORDS or all(t.lower_ in TITLE_WORDS for t in toks):
            continue
        if len(toks) == 1 and len(ent) > 1 and not toks[0].text.isupper() and toks[0].lower_ not in ORG_WORDS:
            continue
        text = _strip_possessive(ent.doc[toks[0].i : toks[-1].i + 1].text)
        return _org_affiliation(toks, text)
    return ""


def _phrase_lookup(words, table: dict[str, str]) -> tuple[str, int]:
    """The first phrase of up to three words found in ``table``: (value, index of its last word) or ("", -1)."""
    for i in range(len(words)):
        for n in (3, 2, 1):
            phrase = " ".join(t.lower_ for t in words[i : i + n])
            if len(words[i : i + n]) == n and phrase in table:
                return table[phrase], i + n - 1
    return "", -1


def _country(words) -> str:
    """A country word in the mention: 'Russian Foreign Minister' -> Russia (``COUNTRIES``)."""
    return _phrase_lookup(words, COUNTRY_OF)[0]


def _party(words) -> str:
    """A capitalised party word that is not a portfolio: 'Labour's candidate', not 'Labour Minister'."""
    capitalised = [t for t in words if t.text[:1].isupper() or t.tag_ == "POS"]
    party, last = _phrase_lookup(capitalised, PARTY_OF)
    if not party:
        return ""
    after = capitalised[last].i + 1
    doc = capitalised[last].doc
    return "" if after < len(doc) and doc[after].lower_ in ("minister", "secretary") else party


def _clause_affiliation(head) -> str:
    """A relative clause about a person: 'who chairs Grassington Parish Council', 'who heads the
    Federation of Italian Mediators', 'who researches electoral geography at the University of Leeds'."""
    clause = next((c for c in head.children if c.dep_ == "relcl"), None)
    if clause is None or lemma_in(clause.lower_, clause.tag_, OFFICE_VERBS) is None:
        return ""
    obj = next((c for c in clause.children if c.dep_ == "dobj"), None)
    if obj is not None and obj.tag_ in ("NN", "NNS"):  # "the King Valley Vignerons association"
        obj = next((c for c in obj.children if c.dep_ == "compound" and c.tag_ in ("NNP", "NNPS")), None)
    if obj is not None and obj.tag_ in ("NNP", "NNPS"):
        return _proper_phrase(obj)
    return _named_body(sorted(clause.subtree, key=lambda t: t.i))


def _sentence_country(head, tokens) -> str:
    """For a state title without a country ("Foreign Minister Paolo Ferrante"): the one country the
    sentence names outside the mention, not counting places of the scene ("told reporters in Rome")."""
    if not any(t.lower_ in STATE_TITLES for t in tokens):
        return ""
    own = {t.i for t in tokens}
    words = [t for t in head.sent if t.i not in own and t.text[:1].isupper() and t.dep_ != "pobj"]
    found = set()
    for tok in words:
        country = _country([tok])
        if country:
            found.add(country)
    return found.pop() if len(found) == 1 else ""


def _subject_affiliation(subject) -> str:
    """A country or a named organisation as the subject of the sentence ("Switzerland", "The Rice
    Exporters Association"); "" for a person or anything else."""
    phrase = _proper_phrase(subject)
    if phrase.lower() in COUNTRY_OF:
        return COUNTRY_OF[phrase.lower()]
    named_org = subject.ent_type_ == "ORG" or subject.lower_ in ORG_WORDS
    return phrase if named_org else ""


def _is_plain_name(tok) -> bool:
    """A capitalised word that is neither a title nor an organisation word ("Anders", "Lindgren")."""
    return tok.tag_ in ("NNP", "NNPS") and tok.lower_ not in ORG_WORDS | TITLE_WORDS


def _org_affiliation(tokens, name: str) -> str:
    """An organisation speaks for itself ("the Finnish Red Cross"), a state body for its country ("the
    Russian Foreign Ministry" -> Russia); an unnamed source ("the union") has none, or its country."""
    tail = tokens[-3:]
    if len(tail) == 3 and tail[0].lower_ in TITLE_WORDS and all(_is_plain_name(t) for t in tail[1:]):
        return ""  # "National Police Chief Anders Lindgren": a person the parse left unsplit
    country = _country(tokens)
    named = any(t.tag_ in ("NNP", "NNPS") for t in tokens)
    if country and (not named or any(t.lower_ in GOVERNMENT_WORDS for t in tokens)):
        return country
    if country and _strip_det(name).lower() in COUNTRY_OF:
        return country
    return name if named else ""


def _strip_possessive(text: str) -> str:
    return re.sub(r"(’s|'s|’|')$", "", text.strip()).strip()


def _strip_det(text: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", text.strip(), flags=re.IGNORECASE)


# Affiliation from the words of a person's mention, tried in this order (``word_affiliation``).
WORD_RULES = (
    ("named-body", _named_body),  # "chief executive of the firm Lumio"
    ("title-body", _title_body),  # "EU Trade Commissioner" -> European Commission
    ("title-org", _title_org),  # "Bundesbank President"
    ("country", _country),  # "Russian Foreign Minister" -> Russia
    ("party", _party),  # "Conservative MP"
)
