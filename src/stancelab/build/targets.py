"""What a statement is about: stance-predicate objects, listed targets with aliases, and a fallback.

Three sources, in this order, deduplicated:

1. listed targets (``--targets targets.yaml``, ``{name: [alias, ...]}``) mentioned anywhere in the
   statement's sentence, by name or alias (case-insensitive, whole words);
2. the object of each stance predicate in the content ("opposed X", "backed X", "called for X",
   "agreed to X", "proposed X"), cut to a short noun phrase (head, its modifiers, one prepositional
   attachment: "ongoing U.S. airstrikes in Syria");
3. when neither finds anything, the fallback: the first noun phrase of the content that is not a pronoun
   (object before subject), else the first eight words of the content. A target is never empty.

>>> aliases = {"the carbon levy": ["carbon border levy", "CBAM"]}
>>> listed_targets("Ruiz said the CBAM would hurt exporters.", aliases)
['the carbon levy']
"""

from __future__ import annotations

import os
import re

import yaml

from stancelab.build.attribution.lexicon import lemma_in, read_lexicon
from stancelab.data.io import InputError, read_text

# The word lists are data: src/stancelab/resources/targets.json.
_LEXICON = read_lexicon("targets.json")
STANCE_VERBS = set(_LEXICON["stance_verbs"]["words"])  # verb lemmas whose object is the target
STANCE_PHRASAL = _LEXICON["stance_phrasal"]["table"]  # verb lemma -> preposition ("call for X")
STANCE_NOUNS = _LEXICON["stance_nouns"]["table"]  # noun -> preposition ("support for X")
_CLAUSE_DEPS = {"relcl", "acl", "appos", "punct", "cc", "conj", "advcl", "parataxis"}
MAX_WORDS = 8


def load_targets(path: str | os.PathLike) -> dict[str, list[str]]:
    """Read ``{target name: [alias, ...]}`` from YAML (``yaml.safe_load``) and check its shape.

    >>> load_targets("configs/targets.yaml")  # doctest: +SKIP
    {'U.S. airstrikes in Syria': ['airstrikes', 'air strikes']}
    """
    data = yaml.safe_load(read_text(path))
    if not isinstance(data, dict) or not data:
        raise InputError(
            f"{path}: expected a YAML mapping {{target name: [alias, ...]}}, found {type(data).__name__}. "
            "Write one target per line, e.g. `U.S. airstrikes in Syria: [airstrikes, air strikes]`."
        )
    out = {}
    for name, aliases in data.items():
        aliases = [] if aliases is None else aliases
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise InputError(
                f"{path}: target {name!r}: expected a list of alias strings, found {aliases!r}. "
                f"Write `{name}: [alias one, alias two]` or `{name}: []`."
            )
        out[str(name)] = aliases
    return out


def listed_targets(text: str, targets: dict[str, list[str]] | None) -> list[str]:
    """Names of the listed targets whose name or an alias occurs in ``text`` (whole words, any case)."""
    found = []
    for name, aliases in (targets or {}).items():
        if any(_mentions(text, term) for term in [name, *aliases]):
            found.append(name)
    return found


def _mentions(text: str, term: str) -> bool:
    return bool(term.strip()) and re.search(rf"(?<!\w){re.escape(term.strip())}(?!\w)", text, re.IGNORECASE)


def predicate_targets(span) -> list[str]:
    """Objects of the stance predicates inside a parsed span, as short noun phrases, in order."""
    if span is None:
        return []
    found = []
    for tok in span:
        obj = _predicate_object(tok)
        if obj is not None and span.start <= obj.i < span.end:
            for head in [obj, *[c for c in obj.children if c.dep_ == "conj"]]:
                phrase = noun_phrase(head)
                if phrase and phrase not in found:
                    found.append(phrase)
    return found


def _predicate_object(tok):
    """The object token of a stance predicate (verb or noun), or None."""
    lower = tok.lower_
    if tok.tag_.startswith("VB") and lemma_in(lower, tok.tag_, STANCE_VERBS):
        for child in tok.children:
            if child.dep_ in ("dobj", "xcomp") and child.tag_ not in ("PRP", "WDT", "WP"):
                return child
    if tok.tag_.startswith("VB"):
        preposition = STANCE_PHRASAL.get(lemma_in(lower, tok.tag_, STANCE_PHRASAL.keys()) or "")
    else:
        preposition = STANCE_NOUNS.get(lower)
    if preposition:
        for child in tok.children:
            if child.dep_ == "prep" and child.lower_ == preposition:
                objects = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
                if objects and objects[0].tag_ not in ("PRP", "WDT", "WP"):
                    return objects[0]
    return None


def noun_phrase(head, depth: int = 0) -> str:
    """Head with its modifiers and at most one prepositional attachment, at most eight words.

    'ongoing U.S. airstrikes in Syria on positions held by Daesh' -> 'ongoing U.S. airstrikes in Syria'.
    """
    keep = [head]
    prep_taken = False
    for child in head.children:
        if child.dep_ in _CLAUSE_DEPS:
            continue
        if child.dep_ == "prep" and child.i > head.i:
            if prep_taken or depth >= 2:
                continue
            objects = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
            if not objects:
                continue
            prep_taken = True
            keep.append(child)
            keep.extend(_phrase_tokens(objects[0], depth + 1))
            continue
        keep.extend(child.subtree if child.i < head.i else _phrase_tokens(child, depth + 1))
    keep = sorted(set(keep), key=lambda t: t.i)
    words = [t for t in keep if not (t.is_punct and t.text not in "-")]
    if len(words) > MAX_WORDS and depth == 0:
        words = [t for t in words if t.i <= head.i] or [head]
    return _join(words)


def _phrase_tokens(head, depth: int) -> list:
    phrase_words = noun_phrase(head, depth).split()
    tokens = [t for t in head.subtree if t.text in phrase_words]
    return tokens or [head]


def _join(tokens) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    text = doc[tokens[0].i : tokens[-1].i + 1].text if _contiguous(tokens) else " ".join(t.text for t in tokens)
    return text.strip(' ,;:"“”')


def _contiguous(tokens) -> bool:
    return all(b.i - a.i == 1 for a, b in zip(tokens, tokens[1:]))


def fallback_target(span, content: str) -> str:
    """Best noun phrase of the content: an object, else a non-pronoun subject, else its first words."""
    if span is not None:
        for deps in (("dobj", "pobj", "attr"), ("nsubj", "nsubjpass")):
            for tok in span:
                if tok.dep_ in deps and tok.tag_.startswith("NN"):
                    phrase = noun_phrase(tok)
                    if phrase:
                        return phrase
    words = re.findall(r"[\w'’.-]+", content)
    return " ".join(words[:MAX_WORDS]) or content.strip() or "statement"


def statement_targets(span, sentence: str, content: str, targets: dict[str, list[str]] | None = None) -> list[str]:
    """All targets of one statement (listed, then predicate objects), or one fallback phrase.

    A predicate object that already names a listed target (by name or alias) is dropped, so the listed
    name stays the one canonical form.
    """
    listed = listed_targets(sentence, targets)
    terms = [t for name in listed for t in [name, *targets[name]]] if targets else []
    found = list(listed)
    for phrase in predicate_targets(span):
        if not any(_mentions(phrase, term) for term in terms) and phrase not in found:
            found.append(phrase)
    return found or [fallback_target(span, content)]
