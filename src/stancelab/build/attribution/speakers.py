"""Step 4: speaker resolution: a mention ("he", "the ministry", "Lavrov") becomes the speaker's full name."""

from __future__ import annotations

from dataclasses import dataclass, replace

from stancelab.build.attribution.affiliation import (
    WORD_RULES,
    _clause_affiliation,
    _org_affiliation,
    _sentence_country,
    _strip_det,
    _strip_possessive,
    _subject_affiliation,
    word_affiliation,
)
from stancelab.build.attribution.anchors import _root_subject
from stancelab.build.attribution.lexicon import (
    COMPANY_WORDS,
    COUNTRIES,
    COUNTRY_OF,
    ORG_WORDS,
    PRONOUNS_GROUP,
    PRONOUNS_PERSON,
    SOURCE_NOUNS,
    TITLE_ALIASES,
    TITLE_WORDS,
)

# How far back (characters) "its chair" / "their spokesman" may look for the organisation just named.
POSSESSOR_REACH = 300


# A country that speaks ("Washington said") speaks for itself.
COUNTRY_SPEAKER = "country-speaker"
# An organisation's own affiliation (itself, or its country for a state body): ``_org_affiliation``.
ORGANISATION = "organisation"
# Where a speaker's affiliation comes from, in the order tried: the words of a person's mention
# (affiliation.WORD_RULES), a relative clause about the person ("who chairs X"), the possessor ("its
# chair"), a country the sentence names (for state titles); an organisation's own (ORGANISATION).
AFFILIATION_RULES = (
    *(name for name, _ in WORD_RULES),
    "relative-clause",
    "possessor",
    "sentence-country",
    ORGANISATION,
    COUNTRY_SPEAKER,
)


@dataclass
class Mention:
    """A resolved speaker: the name to report, its affiliation, and the mention's article offsets."""

    name: str
    affiliation: str
    start: int
    end: int
    is_person: bool = False
    affiliation_rule: str = ""  # the rule of AFFILIATION_RULES that found the affiliation


class SpeakerResolver:
    """Maps mentions to the full name as first mentioned, in document order.

    It remembers every full name (by surname, by first name and by title word) and the last person and
    the last group that spoke, so "Lavrov", "the minister" and "he" find "Sergey Lavrov".
    """

    def __init__(self, disabled: frozenset[str] = frozenset()):
        self.disabled = disabled  # affiliation rules switched off (AFFILIATION_RULES)
        self.known: dict[str, Mention] = {}  # lower-case short form -> first full mention
        self.persons: list[Mention] = []  # persons in order of their latest mention
        self.pronoun_of: dict[str, str] = {}  # person name -> "he" / "she", learnt from resolved pronouns
        self.last_group: Mention | None = None
        self.last_group_end = -POSSESSOR_REACH - 1  # article offset where the last group was mentioned
        self.last_country: Mention | None = None  # for "the country's minister"

    def resolve(self, head, offset: int, text: str) -> Mention | None:
        """Resolve the mention headed by token ``head`` (a paragraph doc token; ``offset`` places it)."""
        head, title_tokens = _mention_head(head)
        tokens = _mention_tokens(head)
        start, end = offset + tokens[0].idx, offset + tokens[-1].idx + len(tokens[-1])
        written = text[start:end]
        mention = self._lookup(head, tokens, written, start, end, title_tokens)
        if mention is None:
            return None
        if mention.is_person:
            self.persons = [m for m in self.persons if m.name != mention.name] + [mention]
        else:
            self.last_group, self.last_group_end = mention, end
        if mention.affiliation in COUNTRIES:
            self.last_country = mention
        return replace(mention, start=start, end=end)  # the resolved speaker, at this mention's offsets

    def _person_pronoun(self, pronoun: str) -> Mention | None:
        """The latest person not already known by the other pronoun ("he" skips a "she")."""
        pronoun = "he" if pronoun in ("he", "him") else "she"
        for mention in reversed(self.persons):
            if self.pronoun_of.setdefault(mention.name, pronoun) == pronoun:
                return mention
        return None

    def _lookup(self, head, tokens, written: str, start: int, end: int, title_tokens=()) -> Mention | None:
        lower = head.lower_
        if lower in PRONOUNS_PERSON:
            return self._person_pronoun(lower)
        if lower in PRONOUNS_GROUP:
            return self.last_group or (self.persons[-1] if self.persons else None)
        if lower in ("i", "you", "who", "this", "that", "which"):
            return None
        if (
            lower in SOURCE_NOUNS
            and self.last_group is not None
            and head.tag_ in ("NN", "NNS")
            and any(c.lower_ in ("the", "its", "their") for c in head.children)
        ):
            return self.last_group  # "the statement said": whoever issued the statement, mentioned before
        name_tokens = _name_tokens(tokens, head)
        key = _name_text(name_tokens).lower() if name_tokens else _strip_det(written).lower()
        if key in self.known:
            return self.known[key]
        if key in COUNTRY_OF and not any(t.lower_ in ORG_WORDS for t in tokens):
            country = "" if COUNTRY_SPEAKER in self.disabled else COUNTRY_OF[key]
            rule = COUNTRY_SPEAKER if country else ""
            mention = Mention(_strip_possessive(written), country, start, end, False, rule)
        elif name_tokens and not _describes_group(title_tokens) and (title_tokens or _looks_like_person(name_tokens)):
            mention = self._new_person(head, name_tokens, [*title_tokens, *tokens], start, end)
        else:
            mention = self._description(tokens, written, start, end)
        self._remember(key, mention, name_tokens)
        for tok in title_tokens if not mention.is_person else []:
            if tok.lower_ in ORG_WORDS:
                self.known[tok.lower_] = mention  # "The main opposition party, Law and Tradition": "the party"
        for word in _title_heads([*title_tokens, *tokens], name_tokens) if mention.is_person else []:
            self.known[word] = mention  # the latest "minister" is the one "the minister" means
        return mention

    def _new_person(self, head, name_tokens, tokens, start: int, end: int) -> Mention:
        """A person's first full mention; the affiliation comes from the mention's words, else from a
        clause about the person ("who chairs X"), else from the possessor ("its chair" -> X)."""
        affiliation, rule = self._person_affiliation(head, name_tokens, tokens, start)
        return Mention(_name_text(name_tokens), affiliation, start, end, True, rule)

    def _person_affiliation(self, head, name_tokens, tokens, start: int) -> tuple[str, str]:
        """The first of AFFILIATION_RULES that finds a body for the person, with its name."""
        found = word_affiliation(tokens, name_tokens, self.disabled)
        if found[0]:
            return found
        later = (
            ("relative-clause", lambda: _clause_affiliation(head)),
            ("possessor", lambda: self._possessor_affiliation(tokens, start)),
            ("sentence-country", lambda: _sentence_country(head, tokens)),
        )
        for name, rule in later:
            affiliation = "" if name in self.disabled else rule()
            if affiliation:
                return affiliation, name
        return "", ""

    def _possessor_affiliation(self, tokens, start: int) -> str:
        """'Its chair, Tom Fraser' / 'the party's leader' / 'the country's minister': the organisation or
        country just named. "its" and "their" reach back ``POSSESSOR_REACH`` characters at most."""
        poss = next((t for t in tokens if t.dep_ == "poss"), None)
        if poss is None:
            return ""
        if poss.lower_ in ("its", "their"):
            subject = _root_subject(poss.sent)
            named = subject is not None and subject.i < poss.i and subject.text[:1].isupper()
            if named and subject.head.is_ancestor(poss):
                return _subject_affiliation(subject)  # "Switzerland ... according to its ambassador"
            near = start - self.last_group_end <= POSSESSOR_REACH
            group = self.last_group if near else None
        elif poss.lower_ == "country":
            group = self.last_country
        elif poss.tag_ == "NN" and any(c.lower_ == "the" for c in poss.children):
            group = self.known.get(poss.lower_)
        else:
            return ""
        return group.affiliation if group is not None and not group.is_person else ""

    def _description(self, tokens, written: str, start: int, end: int) -> Mention:
        """'the ministry' / 'the minister' -> an earlier speaker with that word; else the words as written."""
        words = [t.lower_ for t in tokens]
        definite = words[0] in ("the", "this") if words else False
        if definite and len(words) <= 3:
            for word in reversed(words):
                if word in self.known:
                    return self.known[word]
            if words[-1] in COMPANY_WORDS and self.last_group is not None:
                return self.last_group  # "the company" is the last organisation that spoke
        name = _strip_possessive(written)
        person = not any(w in ORG_WORDS for w in words) and any(w in TITLE_WORDS for w in words[1:])
        if person:
            affiliation, rule = word_affiliation(tokens, [], self.disabled)
        else:
            affiliation = "" if ORGANISATION in self.disabled else _org_affiliation(tokens, name)
            rule = ORGANISATION if affiliation else ""
        return Mention(name, affiliation, start, end, person, rule)

    def _remember(self, key: str, mention: Mention, name_tokens) -> None:
        self.known.setdefault(key, mention)
        words = key.split()
        if mention.is_person and len(name_tokens) >= 2:
            self.known.setdefault(mention.name.split()[-1].lower(), mention)  # surname, "Tremblay-Singh" whole
            self.known.setdefault(name_tokens[-1].lower_, mention)
            self.known.setdefault(name_tokens[0].lower_, mention)  # first name (some outlets use it)
        titles = mention.name.lower().split() if not mention.is_person else []
        for word in words + titles:
            if word in ORG_WORDS:
                self.known.setdefault(word, mention)


def _mention_head(head) -> tuple:
    """'a ministry spokeswoman, Anna Lee,' / 'The Transport Secretary, Eleanor Marsh,' -> the name, plus
    the description's words (for the affiliation and the title)."""
    appos = [c for c in head.children if c.dep_ == "appos" and c.tag_ in ("NNP", "NNPS")]
    if appos and _names_a_source(head):
        return head, []  # "According to Lavrov, Putin has proposed ...": the comma ends the source
    described = head.tag_ not in ("NNP", "NNPS") or head.lower_ in TITLE_WORDS or head.ent_type_ != "PERSON"
    if appos and described and appos[0].ent_type_ not in ("GPE", "DATE", "NORP"):
        return appos[0], _mention_tokens(head)
    # "Tove Haugen, president of the Norwegian Olympic Committee," -> the description gives title and affiliation
    description = [
        c for c in head.children if c.dep_ == "appos" and (c.tag_ in ("NN", "NNS") or c.lower_ in TITLE_WORDS)
    ]  # "Richard Holloway, the Conservative MP for Mid Marsham,"
    if description and head.tag_ in ("NNP", "NNPS"):
        return head, _mention_tokens(description[0])
    return head, []


def _describes_group(title_tokens) -> bool:
    """'The main opposition party, Law and Order,': the name is an organisation's, whatever the entity
    recogniser says ("a ministry spokeswoman, Anna Lee," and "Royal College of Nursing general secretary
    Claire Whitby" still name a person)."""
    ids = {t.i for t in title_tokens}
    last = title_tokens[-1] if title_tokens else None  # the organisation word ends the description
    return last is not None and last.lower_ in ORG_WORDS and last.head.i not in ids


def _names_a_source(head) -> bool:
    """A proper name right after a sentence-initial "According to" (not "according to the ministry's
    spokeswoman, Anna Lee," where the apposition is the name)."""
    to = head.head
    if head.dep_ != "pobj" or to.lower_ != "to" or to.i == 0 or head.tag_ not in ("NNP", "NNPS"):
        return False
    return head.doc[to.i - 1].lower_ == "according" and to.i - 1 - head.sent.start <= 2


def _mention_tokens(head) -> list:
    """The mention's own words: the head's subtree without clauses, appositions and punctuation."""
    keep = sorted(_own_words(head, top=True), key=lambda t: t.i)
    keep = [t for t in keep if not t.is_space]
    while len(keep) > 1 and keep[0].is_punct:
        keep = keep[1:]
    return _contiguous_around(keep, head) or keep[:1]  # stop at the gaps left by dropped clauses


_MENTION_PREPS = ("of", "for", "at", "in", "from", "with", "to", "close")


def _own_words(tok, top: bool = False) -> list:
    """Words of a mention: no clauses or appositions; names joined by "and" stay whole ("Ski and Snowboard")."""
    words = [tok]
    for child in tok.children:
        keep = child.dep_ not in {"relcl", "acl", "appos", "punct", "advmod", "cc", "conj", "prep"}
        keep = keep or (child.dep_ == "prep" and child.lower_ in _MENTION_PREPS and child.i > tok.i)
        keep = keep or (child.dep_ == "acl" and not top) or (child.dep_ == "acl" and tok.tag_ in ("NNS", "NN"))
        keep = keep or (child.dep_ in ("cc", "conj") and tok.tag_ == "NNP" and _is_name_conj(tok))
        if keep:
            words.extend(_own_words(child))
    return words


def _is_name_conj(tok) -> bool:
    conj = [c for c in tok.children if c.dep_ == "conj"]
    return bool(conj) and all(c.tag_ in ("NNP", "NNPS") for c in conj)


def _name_tokens(tokens, head) -> list:
    """The proper name heading a mention, without titles: 'Russian Foreign Minister Sergey Lavrov' -> Sergey Lavrov.

    The named entity around the head wins; without one, the run of proper nouns (and hyphens) around the
    head, minus title words; "the Russian Foreign Ministry" is an organisation and gives no name.
    """
    ent = next((e for e in head.doc.ents if e.start <= head.i < e.end and e.label_ == "PERSON"), None)
    if ent is not None:
        run = [t for t in ent if t.tag_ != "POS"]
    else:
        run = [t for t in tokens if t.tag_ in ("NNP", "NNPS", "HYPH")]
        run = _contiguous_around(run, head)
    if any(t.lower_ in ORG_WORDS for t in run) or head.lower_ in ORG_WORDS:
        return []
    while run and (
        run[0].lower_.rstrip(".") in TITLE_WORDS
        or run[0].lower_ in TITLE_WORDS
        or run[0].lower_ in COUNTRY_OF
        or run[0].tag_ == "HYPH"
    ):
        run = run[1:]
    if ent is None and len(run) >= 3:
        run = run[-2:]  # "Glaciologist Helena Voss": a capitalised job title the table does not know
    return run


def _contiguous_around(run: list, head) -> list:
    """The tokens of ``run`` that are contiguous with ``head`` in the document."""
    if head not in run:
        return []
    at = run.index(head)
    lo, hi = at, at
    while lo > 0 and run[lo - 1].i == run[lo].i - 1:
        lo -= 1
    while hi + 1 < len(run) and run[hi + 1].i == run[hi].i + 1:
        hi += 1
    return run[lo : hi + 1]


def _name_text(name_tokens) -> str:
    doc = name_tokens[0].doc
    return _strip_possessive(doc[name_tokens[0].i : name_tokens[-1].i + 1].text)


def _looks_like_person(name_tokens) -> bool:
    """A name is a person's unless the entity recogniser calls it an organisation or a place."""
    if any(t.ent_type_ == "PERSON" for t in name_tokens):
        return True
    return not any(t.ent_type_ in ("ORG", "GPE", "NORP", "FAC", "LOC") for t in name_tokens)


def _title_heads(tokens, name_tokens) -> list[str]:
    """Title nouns before a name, so 'the minister' can find 'Foreign Minister Sergey Lavrov' later."""
    if not name_tokens:
        return []
    generic = {"the", "a", "an", "foreign", "prime", "deputy", "vice", "senior", "former", "state", "u.s.", "us"}
    words = [t.lower_ for t in tokens if t.i < name_tokens[0].i and t.lower_ in TITLE_WORDS and t.lower_ not in generic]
    return [TITLE_ALIASES.get(w, w) for w in words]
