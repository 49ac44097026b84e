"""Step 3: anchors, the places a statement is attributed: a cue (speech verb, "according to", a noun such
as "statement"), the speaker mention and, for reported speech, the reported clause.
"""

from __future__ import annotations

from dataclasses import dataclass

from stancelab.build.attribution.lexicon import (
    NOUN_CUES,
    OBJECT_CUES,
    ORG_WORDS,
    PHRASAL_CUES,
    POSITION_VERBS,
    PRONOUNS_PERSON,
    SOURCE_NOUNS,
    SPEECH_VERBS,
    TITLE_WORDS,
    cue_lemma,
)
from stancelab.build.attribution.quotes import CLOSE_QUOTES, OPEN_QUOTES, QUOTE_CHARS, STRAIGHT_QUOTE


@dataclass
class _Anchor:
    sentence: int  # index into the article's sentences
    cue: str
    cue_start: int
    speaker: object | None  # spaCy Token heading the speaker mention, or None
    content: object | None = None  # spaCy Span of the reported clause, or None
    kind: str = "indirect"
    rule: str = ""  # the name of the anchor rule that found it (ANCHOR_RULES)


def _verb_anchor(tok) -> _Anchor | None:
    """A speech verb with its subject and reported clause ("Lavrov said (that) ...")."""
    lemma = cue_lemma(tok)
    if lemma is None:
        return None
    cue = tok.text
    if lemma in PHRASAL_CUES:
        particle = next(
            (c for c in tok.children if c.lower_ in PHRASAL_CUES[lemma] and c.dep_ in ("prep", "prt")), None
        )
        if particle is None:
            if lemma not in SPEECH_VERBS:
                clause = _reported_clause(tok, lemma, objects=False)
                # "called the ruling 'a victory'" is a statement; "called a meeting" is not
                return _Anchor(0, cue, 0, _subject(tok), clause) if clause is not None else None
        else:
            cue = f"{tok.text} {particle.text}"
            if particle.dep_ == "prep":
                objects = [c for c in particle.children if c.dep_ in ("pobj", "pcomp")]
                return _Anchor(0, cue, 0, _subject(tok), _span_of(objects[0]) if objects else None)
            return _Anchor(0, cue, 0, _subject(tok), _reported_clause(tok, lemma, objects=True))
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children):
        return None  # "it was said that ..." names no speaker
    return _Anchor(0, cue, 0, _subject(tok), _reported_clause(tok, lemma))


def _reported_clause(verb, lemma: str, objects: bool = False):
    """The complement that carries what was said: a that-clause, else (for position cues) the object."""
    for child in verb.children:
        if child.dep_ == "ccomp" or (child.dep_ == "advcl" and any(m.lower_ == "that" for m in child.children)):
            return _clause_without_nested_cues(child)
    predicate = next((c for c in verb.children if c.dep_ == "oprd"), None)
    target = next((c for c in verb.children if c.dep_ == "dobj"), None)
    if predicate is not None and target is not None:
        # "called the plan 'a betrayal'": what was said is that the object is the predicate
        return verb.doc[target.left_edge.i : predicate.right_edge.i + 1]
    if lemma in OBJECT_CUES or objects:
        # "urged ministers to act": the infinitive is what was urged, the object only who was addressed
        for dep in ("xcomp", "dobj"):
            for child in verb.children:
                if child.dep_ == dep and child.i > verb.i and child.tag_ != "PRP":
                    return _clause_without_nested_cues(child)
    return None


def _clause_without_nested_cues(head):
    """Subtree of ``head`` cut before a later speech verb of the same speaker (", adding that ...")."""
    tokens = list(head.subtree)
    doc = head.doc
    end = tokens[-1].i + 1
    for tok in tokens:
        if (
            tok.i > head.i
            and tok.dep_ in ("advcl", "conj", "xcomp")
            and cue_lemma(tok) not in (None, *POSITION_VERBS)
            and not _has_subject(tok)
        ):
            end = min(end, _continuation_start(tok, head).left_edge.i)
    start = tokens[0].i
    while start < end and (
        doc[start].dep_ == "mark"
        and doc[start].lower_ in ("that", "whether")
        or doc[start].is_punct
        and doc[start].text not in QUOTE_CHARS
    ):
        start += 1
    while end > start and (
        doc[end - 1].is_punct
        and doc[end - 1].text not in QUOTE_CHARS
        or doc[end - 1].dep_ == "cc"
        or doc[end - 1].lower_ in ("and", "but")
    ):
        end -= 1
    return doc[start:end] if end > start else None


def _has_subject(tok) -> bool:
    return any(c.dep_.startswith("nsubj") for c in tok.children)


def _continuation_start(cue, clause_head):
    """'..., and went on to call for X': climb from the nested cue to the subject-less verb that starts it."""
    current = cue
    while (
        current.dep_ in ("xcomp", "advcl")
        and current.head is not clause_head
        and current.head.i > clause_head.i
        and not _has_subject(current.head)
    ):
        current = current.head
    return current


def _span_of(tok):
    return _clause_without_nested_cues(tok)


def _subject(verb):
    """The speaker token: the verb's subject, inherited through conjunctions and "went on to" chains."""
    current = verb
    for _ in range(4):
        for child in sorted(current.children, key=lambda c: abs(c.i - current.i)):
            if (
                child.dep_ in ("nsubj", "expl")
                and child.lower_ not in ("who", "which", "that")
                and not _is_label(child)
            ):
                return child
            if child.dep_ == "nsubj" and current.dep_ == "relcl":
                return current.head
        if current.dep_ == "relcl":
            return current.head
        if current.dep_ not in ("conj", "xcomp", "advcl") or current.head is current:
            return None
        current = current.head
        if current.dep_ == "ccomp" and cue_lemma(current.head):
            # "told Kerry that X ..., but added that Y and went on to call for Z": the parser hangs the
            # last verb on Y; a speech verb there continues the speaker's sentence, not Y's subject.
            current = current.head
    return None


def _is_label(tok) -> bool:
    """'Quebec: Quebec's minister, Sophie Gagnon, said ...': a section label, not the subject."""
    following = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    return following is not None and following.text == ":" and tok.i == tok.sent.start


def _according_anchor(tok) -> _Anchor | None:
    """'According to X, ...' / '..., according to a statement by X': speaker X, content the clause."""
    if tok.lower_ != "according" or tok.i + 1 >= len(tok.doc) or tok.doc[tok.i + 1].lower_ != "to":
        return None
    to = tok.doc[tok.i + 1]
    objects = [c for c in to.children if c.dep_ == "pobj"]
    if not objects:
        return None
    speaker = _source_behind(objects[0])
    sent = tok.sent
    phrase_end = max(t.i for t in objects[0].subtree) + 1
    if tok.i == sent.start or (tok.i - sent.start <= 2 and sent[0].is_punct):
        # the first comma closes the source phrase; the parser often hangs the clause's subject on it
        phrase_end = next((t.i for t in sent if t.i > to.i and t.text == ","), phrase_end)
        content = _trim_tokens(tok.doc, phrase_end, sent.end)
    else:
        content = _trim_tokens(tok.doc, sent.start, tok.i)
    return _Anchor(0, "according to", 0, speaker, content, "according-to")


def _source_behind(tok):
    """'a statement by the ministry' -> 'the ministry'; 'Lavrov' -> 'Lavrov'."""
    if tok.lower_ in SOURCE_NOUNS:
        for child in tok.children:
            if child.dep_ == "poss":
                return child
            if child.dep_ == "prep" and child.lower_ in ("by", "from", "of"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return objects[0]
    return tok


def _trim_tokens(doc, start: int, end: int):
    while start < end and (doc[start].is_punct and doc[start].text not in QUOTE_CHARS or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].is_punct and doc[end - 1].text not in QUOTE_CHARS or doc[end - 1].is_space):
        end -= 1
    return doc[start:end] if end - start >= 3 else None


def _noun_anchor(tok) -> _Anchor | None:
    """'Lavrov's remarks that ...', 'the ministry's statement that ...' (a possessor and a that-clause)."""
    if tok.lower_ not in NOUN_CUES or not tok.tag_.startswith("NN"):
        return None
    owner = next((c for c in tok.children if c.dep_ == "poss" and c.tag_ != "PRP$"), None)
    clause = next(
        (
            c
            for c in tok.children
            if c.dep_ in ("acl", "ccomp") and any(m.lower_ == "that" and m.dep_ == "mark" for m in c.children)
        ),
        None,
    )
    if owner is None or clause is None:
        return None
    return _Anchor(0, tok.text, 0, owner, _clause_without_nested_cues(clause))


def _clause_chars(span, offset: int, text: str) -> tuple[int, int]:
    """Article offsets of a clause, extended to the closing quote mark when the clause opens one."""
    start, end = offset + span.start_char, offset + span.end_char
    content = text[start:end]
    opened = sum(content.count(c) for c in OPEN_QUOTES) - sum(content.count(c) for c in CLOSE_QUOTES)
    if opened > 0 and end < len(text) and text[end] in CLOSE_QUOTES:
        end += 1
    elif content.count(STRAIGHT_QUOTE) % 2 and end < len(text) and text[end] == STRAIGHT_QUOTE:
        end += 1
    return start, end


def _root_subject(sent):
    """The subject of the sentence's main verb, or None."""
    return next((t for t in sent.root.children if t.dep_ in ("nsubj", "nsubjpass")), None)


def _is_nameish(tok) -> bool:
    """A name, a person pronoun, or a definite description ("the senator", "the ministry")."""
    if tok.tag_ in ("NNP", "NNPS") or tok.lower_ in PRONOUNS_PERSON or tok.ent_type_ in ("PERSON", "ORG"):
        return True
    definite = any(c.dep_ == "det" and c.lower_ == "the" for c in tok.children)
    return definite and (tok.lower_ in TITLE_WORDS or tok.lower_ in ORG_WORDS)


# The anchor rules, in the order they are tried on each token: the first that matches makes the anchor,
# and its name is recorded on the anchor and on every statement attached to it. A rule switched off
# (``analyse(text, disabled={"noun-cue"})``) is skipped, which is how attribution_eval measures each one.
ANCHOR_RULES = (
    ("speech-verb", _verb_anchor),  # "Lavrov said (that) ...", "urged restraint", "called for"
    ("according-to", _according_anchor),  # "according to a statement by X"
    ("noun-cue", _noun_anchor),  # "Lavrov's remarks that ..."
)
# The anchor a quote falls back on when no cue is near: the named subject of the sentence before it.
PREVIOUS_SUBJECT = "previous-subject"


def find_anchor(tok, disabled: frozenset[str] = frozenset()) -> _Anchor | None:
    """The anchor of the first rule in ``ANCHOR_RULES`` (not in ``disabled``) that matches ``tok``."""
    for name, rule in ANCHOR_RULES:
        if name in disabled:
            continue
        anchor = rule(tok)
        if anchor is not None:
            anchor.rule = name
            return anchor
    return None
