"""From attributed statements to positions: target candidates, "no position" rows, conditions, actors.

A statement is not yet a position. The builder finds who said what; this module proposes what each
statement could be *about* (the rule targets of ``stancelab.targets`` plus the statement's noun phrases),
and a stance model trained with a ``none`` label decides, for each (speaker, candidate, text), whether the
speaker takes a position on that candidate and which. Training rows for that model come from completely
annotated articles: gold positions (with the candidate phrase that best matches the gold target), and
``none`` rows for statements without a position and for candidates the gold does not name, and one
*statement row* per annotated statement (empty target: does the statement take a position at all, and
which), with which ``predict_article`` keeps or drops a statement before it picks a target.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.build.attribution.extractor import Statement, analyse
from stancelab.build.targets import MAX_WORDS, noun_phrase, predicate_targets, statement_targets
from stancelab.cli import command, description, progress
from stancelab.data.corpus import GOLD, RAW, SPLITS, load_articles
from stancelab.data.io import read_text
from stancelab.data.realnews import load_article_texts, read_positions, read_splits
from stancelab.data.schema import Example, read_examples, write_examples
from stancelab.models.modeling import resolve_model_path

MAX_CANDIDATES = 6  # target candidates per statement scored by the model
_PRONOUNS = {"it", "this", "that", "they", "them", "we", "us", "he", "she", "him", "her", "i", "you", "which",
             "what", "who", "these", "those", "there", "its", "their", "our", "one", "something", "anything"}


def unique_by(items: list, key) -> list:
    """The first item of each ``key(item)``, in order.

    >>> unique_by(["the levy", "The levy", "oil"], str.lower)
    ['the levy', 'oil']
    """
    seen, out = set(), []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def unique_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split quotes of one sentence are several statements with one text: keep one row per position."""
    return unique_by(rows, lambda row: (row["start"], row["end"], row["speaker"], row["target"].lower()))


@dataclass
class StatementCandidates:
    """One attributed statement and the phrases it may take a position on (rule targets first)."""

    statement: Statement
    candidates: list[str] = field(default_factory=list)
    rules: int = 0  # how many of the candidates come from the rules of stancelab.targets (they come first)
    stance_predicate: bool = False  # a rule target is the object of a stance predicate ("opposed X")
    holder: str = ""  # the position's holder when the statement relays someone else's (else the speaker)
    holder_affiliation: str = ""


def article_candidates(
    text: str, targets: dict[str, list[str]] | None = None, max_candidates: int = MAX_CANDIDATES
) -> tuple[list[StatementCandidates], list[str]]:
    """Every statement of an article with its target candidates, and the builder's warnings."""
    analysis = analyse(text)
    out = []
    for statement, span in analysis.statements:
        rules = statement_targets(span, statement.sentence, statement.content, targets)
        relayed = relayed_holder(statement, span)
        holder, mention = relayed or ("", "")
        item = StatementCandidates(statement, rules=len(rules), holder=holder,
                                   holder_affiliation=actor_of(mention) if relayed else "",
                                   stance_predicate=bool(predicate_targets(span)))
        if targets and any(t in targets for t in rules):  # a user's list wins over the open candidates
            item.candidates = [t for t in rules if t in targets]
        else:
            phrases = [*rules, *noun_candidates(span, holder or statement.speaker)]
            item.candidates = unique_by(phrases, str.lower)[:max_candidates]
        out.append(item)
    return out, analysis.warnings


def noun_candidates(span: Any, speaker: str) -> list[str]:
    """Noun phrases of the content (objects before subjects), without pronouns and the speaker's name."""
    if span is None:
        return []
    heads = [tok for tok in span if tok.tag_.startswith("NN") and tok.dep_ in ("dobj", "pobj", "attr", "nsubj",
                                                                            "nsubjpass", "conj", "appos", "ROOT")]
    order = {"dobj": 0, "attr": 0, "pobj": 1, "conj": 2, "ROOT": 2, "nsubjpass": 3, "nsubj": 4, "appos": 5}
    heads.sort(key=lambda tok: (order.get(tok.dep_, 6), tok.i))
    phrases = []
    for head in heads:
        phrase = noun_phrase(head)
        words = phrase.split()
        if not words or len(words) > MAX_WORDS or phrase.lower() in _PRONOUNS:
            continue
        if speaker and (phrase.lower() in speaker.lower() or speaker.lower() in phrase.lower()):
            continue
        phrases.append(phrase)
    return phrases


# ---------------------------------------------------------------------------------------------------
# Training rows from completely annotated articles
# ---------------------------------------------------------------------------------------------------

MATCH = 0.5  # token Jaccard at or above which a candidate phrase names the gold target
DISTINCT = 0.2  # at or below which a candidate is about something else


def token_jaccard(a: str, b: str) -> float:
    """Overlap of lower-cased content words (determiners and punctuation dropped)."""
    ta, tb = _content_words(a), _content_words(b)
    return len(ta & tb) / len(ta | tb) if ta | tb else 0.0


_STOP = {"the", "a", "an", "of", "to", "in", "on", "for", "and", "its", "their", "his", "her", "'s", "’s"}


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w'-]+", text.lower()) if w not in _STOP}


def candidate_rows(gold: list[Example], candidates: list[str], negatives: int = 1) -> list[Example]:
    """Extra training rows for one statement: its best-matching candidate under each gold label, and up to
    ``negatives`` candidates that name none of the gold targets, labelled ``none``.

    ``gold`` are the statement's gold rows (positions, or one ``none`` row).
    """
    positions = [ex for ex in gold if ex.label != "none"]
    template = gold[0]
    rows = []
    for ex in positions:
        best = max(candidates, key=lambda c: token_jaccard(c, ex.target), default=None)
        if best is not None and token_jaccard(best, ex.target) >= MATCH and best.lower() != ex.target.lower():
            rows.append(replace(ex, id=f"{ex.id}-c", target=best, meta={**ex.meta, "candidate": True}))
    distinct = [c for c in candidates if all(token_jaccard(c, ex.target) <= DISTINCT for ex in positions)]
    if not positions:
        distinct = [c for c in candidates if c.lower() != template.target.lower()]
    for k, phrase in enumerate(distinct[:negatives]):
        speaker = positions[0].speaker if positions else template.speaker
        rows.append(replace(template, id=f"{template.id}-n{k}", target=phrase, label="none", speaker=speaker,
                            meta={**_plain_meta(template.meta), "candidate": True}))
    return rows


def _plain_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in ("condition_start", "condition_end")}


def overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters two [start, end) spans share."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def article_training_rows(
    text: str, article_id: str, gold: list[Example], *, domain: str | None = None, negatives: int = 1
) -> list[Example]:
    """The extra rows of one completely annotated article: ``none`` rows for statements the builder finds
    that carry no gold position, and the candidate rows of ``candidate_rows`` for every statement.

    A builder statement belongs to the gold rows whose span it overlaps most; gold rows labelled ``none``
    (real news) count as annotated statements without a position.
    """
    items, _ = article_candidates(text)
    rows: list[Example] = []
    for k, item in enumerate(items):
        s = item.statement
        span = (s.sentence_start, s.sentence_end)
        matched = [ex for ex in gold if ex.start is not None and overlap(span, (ex.start, ex.end)) > 0]
        if not matched:
            matched = [_none_row(item, article_id, f"{article_id}-b{k:03d}", domain)]
            rows.append(matched[0])
        rows += candidate_rows(matched, item.candidates, negatives)
    # split quotes of one sentence give the same rows: one per (span, speaker, target, label)
    rows = unique_by(rows, lambda ex: (ex.start, ex.end, ex.speaker, ex.target.lower(), ex.label))
    return [replace(ex, id=f"{article_id}-x{k:04d}") for k, ex in enumerate(rows)]


STATEMENT_TARGET = ""  # the target of a statement row: "does this statement take a position at all, and which"
_TIE_ORDER = ("conditional", "oppose", "support")  # a statement's label when its positions disagree equally


def statement_rows(examples: list[Example]) -> list[Example]:
    """One row per annotated statement, with an empty target and the statement's label: the most common label
    of its positions (ties: conditional, then oppose), ``none`` for a statement without one.

    These rows teach the model to decide about the statement itself, before any target: ``predict_article``
    drops the statements whose statement row is ``none`` (``model.statement_threshold``). A statement is its
    article and span; candidate rows (``meta["candidate"]``) are not statements and are skipped.
    """
    groups: dict[tuple, list[Example]] = {}
    for ex in examples:
        if not ex.meta.get("candidate"):
            groups.setdefault((ex.article_id, ex.start, ex.end, ex.text), []).append(ex)
    rows = []
    for group in groups.values():
        positions = [ex for ex in group if ex.label != "none"]
        counts = Counter(ex.label for ex in positions)
        label = max(counts, key=lambda lab: (counts[lab], -_rank(lab))) if counts else "none"
        first = (positions or group)[0]
        rows.append(replace(first, id=f"{first.id}-s", target=STATEMENT_TARGET, label=label,
                            meta={**_plain_meta(first.meta), "statement": True}))
    return rows


def _rank(label: str) -> int:
    return _TIE_ORDER.index(label) if label in _TIE_ORDER else len(_TIE_ORDER)


def _none_row(item: StatementCandidates, article_id: str, row_id: str, domain: str | None) -> Example:
    s = item.statement
    return Example(id=row_id, article_id=article_id, speaker=s.speaker, speaker_affiliation=s.speaker_affiliation,
                   target=(item.candidates or ["statement"])[0], text=s.sentence, start=s.sentence_start,
                   end=s.sentence_end, label="none", kind=s.kind, cue=s.cue, domain=domain,
                   meta={"builder_none": True})


# ---------------------------------------------------------------------------------------------------
# Actors: whom a speaker speaks for
# ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _actor_lexicon() -> dict[str, Any]:
    return json.loads(resources.files("stancelab").joinpath("resources/actors.json").read_text(encoding="utf-8"))


def actor_of(speaker: str, affiliation: str = "") -> str:
    """The actor a speaker speaks for: a state for its officials and seats of government, the organisation
    for its officers, the speaker itself otherwise.

    >>> actor_of("Sergey Lavrov", "Russia"), actor_of("Washington"), actor_of("the Russian Foreign Ministry")
    ('Russia', 'United States', 'Russia')
    """
    lex = _actor_lexicon()
    for name in (affiliation, speaker):
        place = _lookup(lex["places"], name)
        if place:
            return place
    for name in (affiliation, speaker):
        country = _state_body(name, lex)
        if country:
            return country
    return (affiliation or speaker).strip()


def _lookup(table: dict[str, str], name: str) -> str | None:
    key = name.strip()
    for candidate in (key, re.sub(r"^the\s+", "", key, flags=re.I)):
        for entry, value in table.items():
            if entry.lower() == candidate.lower():
                return value
    return None


def _state_body(name: str, lex: dict[str, Any]) -> str | None:
    """'the Russian Foreign Ministry' -> Russia: a demonym together with a word for a state body."""
    lowered = name.lower()
    if not any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in lex["state_words"]):
        return None
    for demonym, country in sorted(lex["demonyms"].items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"(?<![\w.]){re.escape(demonym)}(?![\w])", name):
            return country
    return None


# ---------------------------------------------------------------------------------------------------
# Conditions: the words that make a position conditional
# ---------------------------------------------------------------------------------------------------

# Markers in order of strength: an explicit condition beats a reservation introduced by "but".
CONDITION_MARKERS = (
    "only if", "only when", "only once", "unless", "provided that", "provided", "providing", "as long as",
    "so long as", "on condition that", "on the condition that", "subject to", "in exchange for", "in return for",
    "depends on", "depend on", "dependent on", "depending on", "contingent on", "if and when", "if", "until",
    "otherwise", "but", "however", "although", "though", "without",
)
# A clause ends at a comma, semicolon, colon or full stop before a space or closing quote, at a closing
# double quote, or at a dash ("’" is left alone: it is also the apostrophe of "don’t").
_CLAUSE_END = re.compile(r"[,;:!?](?=[\s”\"]|$)|\.(?=[\s”\"]|$)|[”\"]|—|–|\s-\s")


def find_condition(text: str) -> tuple[int, int] | None:
    """(start, end) in ``text`` of the clause that states the condition, or None when no marker is found.

    The strongest marker present wins ("only if" before "if" before "but"); the span runs from the marker
    to the end of its clause (the next comma, semicolon, full stop, closing quote or dash).

    >>> text = "We back the deal, but only if jobs are protected, she said."
    >>> start, end = find_condition(text); text[start:end]
    'only if jobs are protected'
    """
    lowered = text.lower()
    for marker in CONDITION_MARKERS:
        match = re.search(rf"(?<![\w-]){re.escape(marker)}(?![\w-])", lowered)
        if match:
            start = match.start()
            end_match = _CLAUSE_END.search(text, match.end() + 1)
            end = end_match.start() if end_match else len(text.rstrip())
            return start, max(end, match.end())
    return None


# ---------------------------------------------------------------------------------------------------
# Relayed positions: "According to Lavrov, Putin has proposed ..." is Putin's position, relayed by Lavrov
# ---------------------------------------------------------------------------------------------------

_TITLE_WORDS = {"president", "minister", "foreign", "prime", "secretary", "chancellor", "king", "queen", "senator",
                "mr", "mrs", "ms", "dr", "general", "gen", "chairman", "chief", "executive", "spokesman", "premier",
                "leader", "governor", "mayor", "ambassador", "deputy", "vice", "defense", "defence", "interior",
                "finance", "trade", "state", "head", "director", "commissioner", "pope", "sheikh", "prince"}


def relayed_holder(statement: Statement, span: Any) -> tuple[str, str] | None:
    """(holder, holder's mention) when an according-to statement reports a named other's position.

    The holder is the proper-noun subject of the content's main verb, with titles dropped ("Russian
    President Vladimir Putin" -> "Vladimir Putin"); None when the subject is the source itself, a
    pronoun or not a name.
    """
    if statement.kind != "according-to" or span is None:
        return None
    lead = []
    for tok in span:  # the content's opening name: "Russian President Vladimir Putin, for his part, has ..."
        if tok.tag_ in ("NNP", "NNPS") or (tok.tag_ == "JJ" and not lead) or (lead and tok.text in (".", "-")):
            lead.append(tok)
        else:
            break
    if not lead or lead[-1].i + 1 >= span.end or span.doc[lead[-1].i + 1].tag_ not in (",", "VBZ", "VBD", "VBP", "MD"):
        return None
    mention = " ".join(t.text for t in lead)
    name = [t.text for t in lead if t.tag_.startswith("NNP") and t.text.lower().strip(".") not in _TITLE_WORDS]
    holder = " ".join(name)
    if not holder or holder.lower() in statement.speaker.lower() or statement.speaker.lower() in holder.lower():
        return None
    return holder, mention


# ---------------------------------------------------------------------------------------------------
# Choosing positions among the scored candidates
# ---------------------------------------------------------------------------------------------------

MAX_PER_STATEMENT = 2  # positions kept per statement (a second only when confident and about something else)


def statement_positions(
    item: StatementCandidates, results: list[dict[str, Any]], none_label: str | None, threshold: float,
    include_none: bool = False, statement: dict[str, Any] | None = None, statement_threshold: float = 1.0,
) -> list[dict[str, Any]]:
    """The positions one statement takes: its candidates in order of the probability that the speaker takes a
    position on them; the first below ``threshold`` of ``none``, and a second that is about something else
    and below half the threshold. ``include_none`` keeps one ``none`` row for a statement with no position.

    ``statement`` is the model's result on the statement row (empty target, see ``statement_rows``). When its
    probability of ``none`` is at least ``statement_threshold`` the statement takes no position; when below,
    it takes one: its most likely candidate is kept whatever that candidate's own ``none`` probability, and
    the label weighs the statement's stance and the candidate's equally.
    """
    scored = sorted(zip(item.candidates, results), key=lambda cr: _p_none(cr[1], none_label))
    gated = statement is not None and none_label is not None
    if gated and _p_none(statement, none_label) >= statement_threshold:
        scored_none = scored[:1] if include_none else []
        return [{**_position(item, c, r, none_label), "label": none_label} for c, r in scored_none]
    kept: list[dict[str, Any]] = []
    for candidate, result in scored:
        p_none = _p_none(result, none_label)
        first = gated and not kept
        if (p_none >= threshold and not first) or len(kept) >= MAX_PER_STATEMENT:
            break
        if kept and (p_none >= threshold / 2 or any(token_jaccard(candidate, k["target"]) > DISTINCT for k in kept)):
            continue
        kept.append(_position(item, candidate, _blend(result, statement) if gated else result, none_label))
    if not kept and include_none and scored:
        row = _position(item, scored[0][0], scored[0][1], none_label)
        kept.append({**row, "label": none_label or "none"})
    return kept


def _blend(candidate: dict[str, Any], statement: dict[str, Any]) -> dict[str, Any]:
    """The candidate's result with its probabilities averaged with the statement row's."""
    probs = {k: (v + statement["probs"].get(k, 0.0)) / 2 for k, v in candidate["probs"].items()}
    return {**candidate, "probs": probs}


def _p_none(result: dict[str, Any], none_label: str | None) -> float:
    return result["probs"].get(none_label, 0.0) if none_label else 0.0


def _position(item: StatementCandidates, target: str, result: dict[str, Any], none_label: str | None) -> dict:
    s = item.statement
    stance = {k: v for k, v in result["probs"].items() if k != none_label}
    total = sum(stance.values()) or 1.0
    label = max(stance, key=stance.get)
    speaker = item.holder or s.speaker
    affiliation = item.holder_affiliation if item.holder else s.speaker_affiliation
    row = {
        "speaker": speaker, "actor": actor_of(speaker, affiliation), "target": target, "label": label,
        "confidence": stance[label] / total, "p_position": 1.0 - _p_none(result, none_label),
        "relayed_by": s.speaker if item.holder else "", "kind": s.kind, "cue": s.cue, "text": s.sentence,
        "start": s.sentence_start, "end": s.sentence_end, "speaker_affiliation": affiliation,
        "condition": "", "condition_start": None, "condition_end": None,
    }
    if label == "conditional":
        span = find_condition(s.sentence)
        if span:
            row.update(condition=s.sentence[span[0] : span[1]], condition_start=s.sentence_start + span[0],
                       condition_end=s.sentence_start + span[1])
    row.update({f"p_{k}": v for k, v in result["probs"].items()})
    return row


# ---------------------------------------------------------------------------------------------------
# Issues: target mentions clustered by meaning, each with a readable name
# ---------------------------------------------------------------------------------------------------

ISSUE_SIMILARITY = 0.6  # average-linkage cosine at or above which two mentions name one issue
_LEADING = re.compile(r"^(the|a|an|this|that|these|those|its|their|his|her|our|any|some|new|proposed)\s+", re.I)


def issue_key(mention: str) -> str:
    """A mention without leading determiners and possessives, lower-cased: 'a levy' and 'the levy' agree."""
    text = mention.strip()
    while _LEADING.match(text):
        text = _LEADING.sub("", text, count=1)
    return text.lower()


def cluster_issues(
    mentions: list[str], similarity: float = ISSUE_SIMILARITY, embed=None
) -> tuple[list[int], list[str]]:
    """Cluster target mentions into issues: (issue index per mention, issue names).

    Mentions are compared by the cosine of their sentence embeddings (``embed``: texts -> unit vectors; the
    bundled all-MiniLM-L6-v2 by default) after determiners are stripped, raised to 1 for mentions whose
    key is equal or contained in the other's; average-linkage clusters at ``similarity``. An issue is
    named by its most central mention, preferring the definite form ("the levy" over "a levy").

    >>> cluster_issues(["the levy", "a levy", "the drinks levy", "oil prices"])[0]  # doctest: +SKIP
    [0, 0, 0, 1]
    """
    if not mentions:
        return [], []
    keys = [issue_key(m) or m.lower() for m in mentions]
    unique = sorted(set(keys))
    if len(unique) == 1:
        return [0] * len(mentions), [_issue_name(mentions)]
    vectors = (embed or embed_phrases)(unique)
    sims = np.clip(vectors @ vectors.T, -1.0, 1.0)
    for i, a in enumerate(unique):
        for j, b in enumerate(unique):
            if i != j and _contains(a, b):
                sims[i, j] = 1.0
    groups = _average_linkage(sims, similarity)
    by_key = dict(zip(unique, groups))
    order = {g: n for n, g in enumerate(dict.fromkeys(by_key[k] for k in keys))}
    labels = [order[by_key[k]] for k in keys]
    names = [_issue_name([m for m, lab in zip(mentions, labels) if lab == g], sims, unique) for g in range(len(order))]
    return labels, names


def _contains(a: str, b: str) -> bool:
    """'levy' in 'the drinks levy': the shorter key is a whole-word part of the longer one."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and re.search(rf"(?<!\w){re.escape(short)}(?!\w)", long_) is not None


def _average_linkage(sims: np.ndarray, threshold: float) -> list[int]:
    from sklearn.cluster import AgglomerativeClustering

    distances = np.clip(1.0 - sims, 0.0, 2.0)
    model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=1.0 - threshold)
    return model.fit_predict(distances).tolist()


def _issue_name(members: list[str], sims: np.ndarray | None = None, unique: list[str] | None = None) -> str:
    counts = Counter(members)
    if sims is not None and unique is not None:
        index = {k: i for i, k in enumerate(unique)}
        ids = [index[issue_key(m) or m.lower()] for m in counts]
        centrality = {m: float(sims[index[issue_key(m) or m.lower()], ids].mean()) for m in counts}
    else:
        centrality = dict.fromkeys(counts, 0.0)
    best = max(counts, key=lambda m: (counts[m] + centrality[m], m.lower().startswith("the "), -len(m)))
    key = issue_key(best)
    if best.lower().startswith("the ") or key == best.lower():  # already definite, or a bare name ("Daesh")
        return best
    return f"the {best[len(best) - len(key):]}"


@lru_cache(maxsize=1)
def _phrase_encoder():
    from transformers import AutoModel, AutoTokenizer

    path = resolve_model_path("all-MiniLM-L6-v2")
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def embed_phrases(phrases: list[str]) -> np.ndarray:
    """Unit-length mean-pooled embeddings of short phrases from the bundled all-MiniLM-L6-v2."""
    import torch

    from stancelab.models.pooling import mean_pool

    tokenizer, model = _phrase_encoder()
    with torch.inference_mode():
        batch = tokenizer(phrases, padding=True, truncation=True, max_length=32, return_tensors="pt")
        pooled = mean_pool(model(**batch).last_hidden_state, batch["attention_mask"])
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


# ---------------------------------------------------------------------------------------------------
# python -m stancelab.positions prepare: the extra training rows of the position model
# ---------------------------------------------------------------------------------------------------


def corpus_rows(articles: dict[str, str], gold: list[Example], splits: dict[str, str]) -> dict[str, list[Example]]:
    """``{split}_none`` rows of the project corpus: builder statements without a gold position, and
    candidate rows (the corpus annotators labelled every position a named speaker takes)."""
    by_article: dict[str, list[Example]] = {}
    for ex in gold:
        by_article.setdefault(ex.article_id, []).append(ex)
    out: dict[str, list[Example]] = {f"{s}_none": [] for s in ("train", "dev", "test")}
    for article_id, text in progress(sorted(articles.items()), desc="corpus articles"):
        gold_rows = by_article.get(article_id, [])
        rows = article_training_rows(text, article_id, gold_rows, domain=gold_rows[0].domain if gold_rows else None)
        out[f"{splits[article_id]}_none"] += rows
    return out


def realnews_rows(articles: dict[str, str], positions: list[Example], splits: dict[str, str]) -> dict[str, list]:
    """``realnews_{split}_cand`` rows: candidate rows of the labelled real articles (their statements without
    a position are already ``none`` rows of the data)."""
    by_article: dict[str, list[Example]] = {}
    for ex in positions:
        by_article.setdefault(ex.article_id, []).append(ex)
    out: dict[str, list[Example]] = {f"realnews_{s}_cand": [] for s in ("train", "dev", "test")}
    for article_id, gold in progress(sorted(by_article.items()), desc="real-news articles"):
        rows = article_training_rows(articles[article_id], article_id, gold, domain=gold[0].domain)
        out[f"realnews_{splits[article_id]}_cand"] += [ex for ex in rows if ex.meta.get("candidate")]
    return out


def split_statement_rows(prefix: str, examples: list[Example], splits: dict[str, str]) -> dict[str, list[Example]]:
    """``{prefix}{split}_statements``: the ``statement_rows`` of each split's annotated statements."""
    return {f"{prefix}{split}_statements": statement_rows([ex for ex in examples if splits.get(ex.article_id) == split])
            for split in ("train", "dev", "test")}


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.positions", description=description(__doc__))
    parser.add_argument("command", choices=["prepare"])
    parser.add_argument("--out", default="data/processed")
    parser.add_argument("--no-realnews", action="store_true", help="only the project corpus")
    args = parser.parse_args(argv)
    splits = json.loads(read_text(SPLITS))["articles"]
    gold = read_examples(GOLD, require_label=True)
    files = corpus_rows(load_articles(RAW), gold, splits)
    files.update(split_statement_rows("", gold + [ex for s in ("train", "dev", "test") for ex in files[f"{s}_none"]
                                                  if ex.label == "none" and not ex.meta.get("candidate")], splits))
    if not args.no_realnews:
        rn_splits, _ = read_splits()
        texts = {a: row["text"] for a, row in load_article_texts().items()}
        positions = read_positions()
        files.update(realnews_rows(texts, positions, rn_splits))
        files.update(split_statement_rows("realnews_", positions, rn_splits))
    for name, rows in files.items():
        write_examples(Path(args.out) / f"{name}.jsonl", rows)
        print(f"wrote {Path(args.out) / name}.jsonl ({len(rows)} rows: {dict(Counter(ex.label for ex in rows))})")
    return 0

