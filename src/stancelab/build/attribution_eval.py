"""Measure the attribution extractor against gold attribution lines.

    python -m stancelab.attribution_eval --gold data/gold/attributions.jsonl --articles data/raw \\
        [--output metrics.json] [--errors errors.jsonl] [--according-to auto|keep|indirect] [--per-rule [RULE ...]]

Gold lines are ``{"article_id", "speaker", "cue", "text", "kind"}`` with ``text`` a verbatim substring of
the article (its first occurrence is meant). Only articles that have gold lines are evaluated.

How statements are matched (content spans, never the full sentence):

* **exact**: the predicted and gold spans are equal after trimming whitespace, quote marks and
  ``.,;:`` at both ends (gold direct quotes may or may not keep the comma before the closing mark).
* **overlap**: the spans share at least one character. Pairs are matched one-to-one, largest character
  overlap first, so a prediction matches at most one gold span and the reverse.

Precision = matched predictions / predictions, recall = matched gold / gold, F1 their harmonic mean,
for each matching rule, overall and per kind (gold kind for recall, predicted kind for precision).

**Speaker accuracy** is measured on overlap-matched pairs: case-insensitive, after dropping a leading
"the" and a possessive "'s"; it counts a match when the names are equal or one is a token suffix of the
other ("Lavrov" vs "Sergey Lavrov", "Pentagon" vs "the Pentagon").

**Kinds**: when the gold has no ``according-to`` line (the real-news set folds them into indirect and
mixed), predicted ``according-to`` statements count as ``mixed`` if their content holds a quote mark,
else ``indirect`` (``--according-to auto``, the default); ``keep`` and ``indirect`` force one choice.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from stancelab.build.attribution.extractor import RULES, extract_statements
from stancelab.build.pipeline import read_articles
from stancelab.cli import command, description, progress
from stancelab.data.io import InputError, atomic_write_json, atomic_write_jsonl, read_jsonl_objects

_TRIM = " \t\n\"'“”‘’«».,;:"
GOLD_FIELDS = ("article_id", "speaker", "text", "kind")


@dataclass
class Span:
    """One statement (gold or predicted) as a content span of one article."""

    article_id: str
    start: int
    end: int
    speaker: str
    kind: str
    cue: str
    text: str
    rule: str = ""  # predicted: the anchor rule that attributed it (attribution.anchors.ANCHOR_RULES)
    affiliation_rule: str = ""  # predicted: the rule that found the speaker's affiliation, "" if none

    def key(self) -> tuple[int, int]:
        """Offsets after trimming quote marks, punctuation and spaces at both ends (for exact match)."""
        left = len(self.text) - len(self.text.lstrip(_TRIM))
        right = len(self.text) - len(self.text.rstrip(_TRIM))
        return self.start + left, self.end - right


def read_gold(path: str) -> list[dict[str, Any]]:
    """Gold attribution lines, checked for the fields the evaluation needs."""
    rows = []
    for lineno, obj in read_jsonl_objects(path):
        missing = [name for name in GOLD_FIELDS if not isinstance(obj.get(name), str)]
        if missing:
            raise InputError(
                f"{path}:{lineno}: expected string fields {', '.join(GOLD_FIELDS)}, missing or not a string: "
                f'{", ".join(missing)}. Gold lines look like {{"article_id", "speaker", "cue", "text", '
                '"kind"}.'
            )
        rows.append(obj)
    return rows


def gold_spans(rows: list[dict], articles: dict[str, str]) -> tuple[list[Span], list[dict]]:
    """Gold lines located in their articles; lines whose text is not found are returned apart."""
    spans, missing = [], []
    for row in rows:
        text = articles.get(row["article_id"])
        start = -1 if text is None else text.find(row["text"])
        if start < 0:
            missing.append(row)
            continue
        spans.append(
            Span(
                row["article_id"],
                start,
                start + len(row["text"]),
                row["speaker"],
                row["kind"],
                row.get("cue", ""),
                row["text"],
            )
        )
    return spans, missing


def predicted_spans(
    articles: dict[str, str], according_to: str, disabled: frozenset[str] = frozenset()
) -> list[Span]:
    """The extractor's statements for every article (rules in ``disabled`` switched off), with kinds
    mapped to the gold's kind set."""
    spans = []
    for article_id, text in progress(articles.items(), total=len(articles), desc="attribution"):
        for s in extract_statements(text, article_id, disabled=disabled):
            kind = s.kind
            if kind == "according-to" and according_to != "keep":
                quoted = according_to == "auto" and bool(re.search(r"[\"“”]", s.content))
                kind = "mixed" if quoted else "indirect"
            spans.append(
                Span(
                    article_id,
                    s.content_start,
                    s.content_end,
                    s.speaker,
                    kind,
                    s.cue,
                    s.content,
                    s.rule,
                    s.affiliation_rule,
                )
            )
    return spans


def match(gold: list[Span], pred: list[Span], exact: bool) -> list[tuple[int, int]]:
    """One-to-one ``(gold index, pred index)`` pairs, largest character overlap first."""
    candidates = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if g.article_id != p.article_id:
                continue
            if exact:
                if g.key() == p.key():
                    candidates.append((g.end - g.start, gi, pi))
            else:
                overlap = min(g.end, p.end) - max(g.start, p.start)
                if overlap > 0:
                    candidates.append((overlap, gi, pi))
    pairs, used_g, used_p = [], set(), set()
    for _, gi, pi in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if gi not in used_g and pi not in used_p:
            pairs.append((gi, pi))
            used_g.add(gi)
            used_p.add(pi)
    return pairs


def same_speaker(gold: str, pred: str) -> bool:
    """Equal, or one a token suffix of the other, ignoring case, a leading 'the' and a possessive.

    >>> same_speaker("Sergey Lavrov", "lavrov"), same_speaker("The Pentagon", "Pentagon")
    (True, True)
    >>> same_speaker("John Kerry", "Sergey Lavrov")
    False
    """
    a, b = _speaker_tokens(gold), _speaker_tokens(pred)
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return long[-len(short) :] == short


def _speaker_tokens(name: str) -> list[str]:
    name = re.sub(r"(’s|'s)$", "", name.strip().lower())
    tokens = name.split()
    return tokens[1:] if tokens[:1] == ["the"] else tokens


def prf(matched_pred: int, n_pred: int, matched_gold: int, n_gold: int) -> dict[str, float]:
    """Precision, recall and F1 (0 where undefined)."""
    p = matched_pred / n_pred if n_pred else 0.0
    r = matched_gold / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "n_pred": n_pred, "n_gold": n_gold}


def score(gold: list[Span], pred: list[Span]) -> dict[str, Any]:
    """Exact and overlap P/R/F1 overall and per kind, plus speaker and kind accuracy on overlap matches."""
    metrics: dict[str, Any] = {}
    for name, exact in (("exact", True), ("overlap", False)):
        pairs = match(gold, pred, exact)
        metrics[name] = prf(len(pairs), len(pred), len(pairs), len(gold))
        metrics[name]["per_kind"] = _per_kind(gold, pred, pairs)
    pairs = match(gold, pred, exact=False)
    metrics["speaker_accuracy"] = _accuracy([same_speaker(gold[g].speaker, pred[p].speaker) for g, p in pairs])
    metrics["speaker_accuracy_per_kind"] = {
        kind: _accuracy([same_speaker(gold[g].speaker, pred[p].speaker) for g, p in pairs if gold[g].kind == kind])
        for kind in sorted({g.kind for g in gold})
    }
    metrics["kind_accuracy"] = _accuracy([gold[g].kind == pred[p].kind for g, p in pairs])
    return metrics


def _per_kind(gold: list[Span], pred: list[Span], pairs: list[tuple[int, int]]) -> dict[str, dict]:
    matched_g = {g for g, _ in pairs}
    matched_p = {p for _, p in pairs}
    out = {}
    for kind in sorted({s.kind for s in gold} | {s.kind for s in pred}):
        g_idx = [i for i, s in enumerate(gold) if s.kind == kind]
        p_idx = [i for i, s in enumerate(pred) if s.kind == kind]
        out[kind] = prf(sum(i in matched_p for i in p_idx), len(p_idx), sum(i in matched_g for i in g_idx), len(g_idx))
    return out


def _accuracy(hits: list[bool]) -> dict[str, float]:
    return {"accuracy": round(sum(hits) / len(hits), 4) if hits else 0.0, "n": len(hits)}


def error_rows(gold: list[Span], pred: list[Span]) -> list[dict[str, Any]]:
    """Missed gold, spurious predictions and wrong speakers, for reading what goes wrong."""
    pairs = match(gold, pred, exact=False)
    matched_g = {g for g, _ in pairs}
    matched_p = {p for _, p in pairs}
    rows = [{"error": "missed", **vars(g)} for i, g in enumerate(gold) if i not in matched_g]
    rows += [{"error": "spurious", **vars(p)} for i, p in enumerate(pred) if i not in matched_p]
    rows += [
        {"error": "speaker", "gold_speaker": gold[g].speaker, **vars(pred[p])}
        for g, p in pairs
        if not same_speaker(gold[g].speaker, pred[p].speaker)
    ]
    return rows


def rule_report(
    gold: list[Span], pred: list[Span], articles: dict[str, str], according_to: str, rules: list[str]
) -> dict[str, Any]:
    """Statements and affiliations per rule, and the scores with each of ``rules`` switched off.

    Switching a rule off reruns the extractor once per rule, so ask for the rules you want measured.
    """
    report: dict[str, Any] = {
        "statements_per_rule": dict(sorted(Counter(p.rule for p in pred).items())),
        "affiliations_per_rule": dict(sorted(Counter(p.affiliation_rule for p in pred if p.affiliation_rule).items())),
        "without": {},
    }
    for rule in rules:
        without = predicted_spans(articles, according_to, frozenset({rule}))
        scores = score(gold, without)
        report["without"][rule] = {
            "n_pred": len(without),
            "exact_f1": scores["exact"]["f1"],
            "overlap_f1": scores["overlap"]["f1"],
            "speaker_accuracy": scores["speaker_accuracy"]["accuracy"],
        }
    return report


def evaluate(
    gold_path: str, articles_path: str, according_to: str = "auto", rules_off: list[str] | None = None
) -> tuple[dict[str, Any], list[dict]]:
    """Metrics and error rows for the gold file against the extractor run on its articles; with
    ``rules_off``, a per-rule report (``rule_report``) under ``metrics["rules"]``."""
    rows = read_gold(gold_path)
    wanted = {row["article_id"] for row in rows}
    articles = {a["article_id"]: a["text"] for a in read_articles(articles_path)[0] if a["article_id"] in wanted}
    if according_to == "auto":
        according_to = "keep" if any(row["kind"] == "according-to" for row in rows) else "auto"
    gold, missing = gold_spans(rows, articles)
    pred = predicted_spans(articles, according_to)
    metrics = {
        "gold": gold_path,
        "articles": len(articles),
        "gold_lines": len(rows),
        "gold_not_found": len(missing),
        "according_to": according_to,
        **score(gold, pred),
    }
    if rules_off is not None:
        metrics["rules"] = rule_report(gold, pred, articles, according_to, rules_off)
    return metrics, error_rows(gold, pred)


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.attribution_eval", description=description(__doc__))
    parser.add_argument("--gold", required=True, help="attribution gold JSONL")
    parser.add_argument("--articles", required=True, help="folder of .txt articles or articles.jsonl {id, text}")
    parser.add_argument("--output", help="write the metrics JSON here")
    parser.add_argument("--errors", help="write missed / spurious / wrong-speaker rows here (JSONL)")
    parser.add_argument(
        "--according-to",
        choices=("auto", "keep", "indirect"),
        default="auto",
        help="how predicted according-to statements count when the gold has no such kind",
    )
    parser.add_argument(
        "--per-rule",
        nargs="*",
        metavar="RULE",
        choices=RULES,
        help="report statements per rule and the scores with each RULE switched off (no RULE: every rule; "
        f"one extractor run per rule). Rules: {', '.join(RULES)}",
    )
    args = parser.parse_args(argv)
    rules_off = None if args.per_rule is None else (args.per_rule or list(RULES))
    metrics, errors = evaluate(args.gold, args.articles, args.according_to, rules_off)
    if args.output:
        atomic_write_json(args.output, metrics)
    if args.errors:
        atomic_write_jsonl(args.errors, errors)
    _print_summary(metrics)
    if "rules" in metrics:
        _print_rules(metrics)
    return 0


def _print_summary(metrics: dict[str, Any]) -> None:
    print(f"{metrics['articles']} articles, {metrics['gold_lines']} gold lines ({metrics['gold_not_found']} not found)")
    for name in ("exact", "overlap"):
        m = metrics[name]
        print(
            f"{name:8s} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} (pred {m['n_pred']}, "
            f"gold {m['n_gold']})"
        )
        for kind, k in m["per_kind"].items():
            print(
                f"    {kind:13s} P={k['precision']:.3f} R={k['recall']:.3f} F1={k['f1']:.3f} "
                f"(pred {k['n_pred']}, gold {k['n_gold']})"
            )
    s = metrics["speaker_accuracy"]
    print(
        f"speaker accuracy {s['accuracy']:.3f} on {s['n']} matched; kind accuracy "
        f"{metrics['kind_accuracy']['accuracy']:.3f}"
    )


def _print_rules(metrics: dict[str, Any]) -> None:
    rules = metrics["rules"]
    print("\nstatements per anchor rule: " + ", ".join(f"{k}={v}" for k, v in rules["statements_per_rule"].items()))
    print("affiliations per rule: " + ", ".join(f"{k}={v}" for k, v in rules["affiliations_per_rule"].items()))
    base = (metrics["exact"]["f1"], metrics["overlap"]["f1"], metrics["speaker_accuracy"]["accuracy"])
    print(f"{'switched off':18s} {'pred':>5s} {'exact F1':>9s} {'overlap F1':>11s} {'speaker acc':>12s}")
    for rule, m in rules["without"].items():
        deltas = (m["exact_f1"] - base[0], m["overlap_f1"] - base[1], m["speaker_accuracy"] - base[2])
        print(
            f"{rule:18s} {m['n_pred']:5d} {m['exact_f1']:.3f} ({deltas[0]:+.3f}) "
            f"{m['overlap_f1']:.3f} ({deltas[1]:+.3f})"
            f" {m['speaker_accuracy']:.3f} ({deltas[2]:+.3f})"
        )
