"""Real news in the corpus: story groups, story-level splits, and the labelled real-news positions.

    python -m stancelab.realnews stories    # shared articles -> story groups (TF-IDF cosine >= 0.4)
    python -m stancelab.realnews assemble   # annotators' label files -> data/realnews/positions.jsonl
    python -m stancelab.realnews check      # schema, offsets, story leakage, held-out articles, balance
    python -m stancelab.realnews prepare    # positions -> data/processed/realnews_{train,dev,test}.jsonl
    python -m stancelab.realnews stats      # counts for the data card

The real articles come from ``../shared/realnews`` (FNC-1 bodies and Reuters-21578 stories; see
``data/realnews/README.md`` for sources and terms). Near-duplicate bodies of one event are grouped into a
*story* and a story never straddles two splits, so the test split measures news about events the model has
not read about. Articles listed in ``held_for_dev.txt`` (the shared development set and its near-duplicates),
and every story that touches one of them, stay out of every split.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.cli import command, description
from stancelab.data.io import InputError, atomic_write_json, atomic_write_jsonl, read_jsonl_objects, read_text
from stancelab.data.schema import Example, example_from_dict, read_examples, write_examples

STORY_THRESHOLD = 0.4  # TF-IDF cosine at or above which two bodies are taken to report the same story


def story_groups(ids: Sequence[str], texts: Sequence[str], threshold: float = STORY_THRESHOLD) -> dict[str, str]:
    """Article id -> story id: connected components of the graph 'cosine(tfidf) >= threshold'.

    The story id is the smallest article id of the component (sorted as strings), so it is stable.

    >>> story_groups(["a", "b", "c"], ["the levy on drinks", "the levy on drinks rises", "oil prices fell"])
    {'a': 'a', 'b': 'a', 'c': 'c'}
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _similar_pairs(matrix, threshold):
        parent[find(i)] = find(j)
    members: dict[int, list[str]] = {}
    for i, article_id in enumerate(ids):
        members.setdefault(find(i), []).append(article_id)
    return {article_id: min(group) for group in members.values() for article_id in group}


def _similar_pairs(matrix, threshold: float, block: int = 512):
    """Index pairs (i < j) with cosine >= threshold; rows of a TF-IDF matrix are unit length."""
    for lo in range(0, matrix.shape[0], block):
        sims = (matrix[lo : lo + block] @ matrix.T).toarray()
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows, cols):
            if lo + r < c:
                yield lo + r, c


def select_articles(
    statements_per_article: dict[str, int],
    stories: dict[str, str],
    quota: dict[str, int],
    *,
    min_statements: int = 6,
    max_statements: int = 30,
) -> list[str]:
    """One article per story, the one where the builder finds most statements, per source up to its quota.

    ``quota`` maps a source prefix ("fnc", "reuters") to how many articles to take; stories are ranked by
    their article's statement count (ties: article id), so the selection is deterministic. Articles with
    fewer than ``min_statements`` statements are skipped (little to label), and so are those with more
    than ``max_statements`` (mostly transcripts and dumps).
    """
    best: dict[str, str] = {}
    for article_id, n in statements_per_article.items():
        if not min_statements <= n <= max_statements:
            continue
        story = stories[article_id]
        if story not in best or (n, best[story]) > (statements_per_article[best[story]], article_id):
            best[story] = article_id
    chosen = []
    for source, k in quota.items():
        pool = sorted((a for a in best.values() if source_of(a) == source),
                      key=lambda a: (-statements_per_article[a], a))
        chosen += pool[:k]
    return sorted(chosen)


def source_of(article_id: str) -> str:
    """'fnc' or 'reuters' (the id prefix)."""
    return article_id.split("-", 1)[0]


def split_by_story(
    article_ids: Sequence[str], stories: dict[str, str], sizes: dict[str, int], seed: int
) -> dict[str, str]:
    """Article id -> split; whole stories are dealt to the splits in ``sizes`` (article counts, per source).

    Stories are shuffled with ``seed`` within each source and dealt to ``test``, then ``dev`` until each has
    its share of that source's articles; every other story goes to ``train``.
    """
    rng = np.random.default_rng(seed)
    split: dict[str, str] = {}
    for source in sorted({source_of(a) for a in article_ids}):
        members: dict[str, list[str]] = {}
        for a in sorted(a for a in article_ids if source_of(a) == source):
            members.setdefault(stories[a], []).append(a)
        order = sorted(members)
        rng.shuffle(order)
        share = {name: round(n * sum(1 for a in article_ids if source_of(a) == source) / len(article_ids))
                 for name, n in sizes.items()}
        filled = dict.fromkeys(share, 0)
        for story in order:
            name = next((s for s in share if filled[s] < share[s]), "train")
            for a in members[story]:
                split[a] = name
            if name in filled:
                filled[name] += len(members[story])
    return split


# ---------------------------------------------------------------------------------------------------
# Assembly: annotators' label files -> positions.jsonl
# ---------------------------------------------------------------------------------------------------

REALNEWS = Path("data/realnews")
SHARED = Path("../shared/realnews")
STANCE_LABELS = ("support", "oppose", "conditional")
NONE = "none"
ALL_LABELS = (*STANCE_LABELS, NONE)


def load_statements(path: Path) -> dict[str, dict[str, Any]]:
    """Statement id ("fnc-105:S3") -> the builder's statement as it was shown to the annotators."""
    return {row["sid"]: row for _, row in read_jsonl_objects(path)}


def assemble_positions(
    parts: list[Path], statements: dict[str, dict[str, Any]], articles: dict[str, dict[str, Any]]
) -> list[Example]:
    """One example per position (and one ``none`` row per statement without one), ids and offsets verified.

    Every statement of an article that appears in a part file must be labelled in that part (complete
    articles); an article that is only partly labelled is an error. Added statements (sid ``ART:A1``) must
    be verbatim in their article; a condition must be verbatim in its statement.
    """
    rows: list[tuple[int, int, Example]] = []
    for part in parts:
        labelled = _read_part(part, statements)
        _check_complete(part, labelled, statements)
        for sid, (lineno, row) in labelled.items():
            statement = statements.get(sid) or _added_statement(part, lineno, row, articles)
            rows += _rows_of(part, lineno, row, statement, articles, annotator=part.stem)
    rows.sort(key=lambda r: (r[2].article_id, r[0], r[1]))
    counters: Counter = Counter()
    examples = []
    for _, _, ex in rows:
        counters[ex.article_id] += 1
        ex.id = f"{ex.article_id}-{counters[ex.article_id]:03d}"
        examples.append(ex)
    return examples


def _read_part(part: Path, statements: dict[str, dict]) -> dict[str, tuple[int, dict]]:
    labelled: dict[str, tuple[int, dict]] = {}
    for lineno, row in read_jsonl_objects(part):
        sid = row.get("sid")
        if not isinstance(sid, str) or (sid not in statements and ":A" not in sid):
            raise InputError(f"{part}:{lineno}: unknown statement id {sid!r}; expected an id of statements.jsonl "
                             "or ARTICLE:A<n> for an added statement.")
        if sid in labelled:
            raise InputError(f"{part}:{lineno}: statement {sid} is labelled twice (first on line {labelled[sid][0]}).")
        labelled[sid] = (lineno, row)
    return labelled


def _check_complete(part: Path, labelled: dict[str, tuple[int, dict]], statements: dict[str, dict]) -> None:
    started = {statements[s]["article_id"] for s in labelled if s in statements}
    missing = [s for s, st in statements.items() if st["article_id"] in started and s not in labelled]
    if missing:
        raise InputError(f"{part}: articles are annotated completely, but {len(missing)} statement(s) of started "
                         f"articles have no line, e.g. {missing[:3]}. Label them or drop the article's lines.")


def _added_statement(part: Path, lineno: int, row: dict, articles: dict[str, dict]) -> dict[str, Any]:
    article_id, text = row.get("article_id"), row.get("text", "")
    article = articles.get(article_id)
    start = article["text"].find(text) if article and text.strip() else -1
    if start < 0:
        raise InputError(f"{part}:{lineno}: added statement 'text' must be a verbatim substring of article "
                         f"{article_id!r}; copy it character for character.")
    return {"sid": row["sid"], "article_id": article_id, "start": start, "end": start + len(text), "text": text,
            "kind": row.get("kind"), "cue": row.get("cue"), "speaker": "", "speaker_affiliation": "",
            "builder_targets": [], "added": True}


def _rows_of(part, lineno, row, statement, articles, annotator) -> list[tuple[int, int, Example]]:
    positions = row.get("positions")
    where = f"{part}:{lineno}"
    if not isinstance(positions, list):
        raise InputError(f"{where}: 'positions' must be a list (empty for a statement without a position).")
    base = {"article_id": statement["article_id"], "text": statement["text"], "start": statement["start"],
            "end": statement["end"], "kind": _kind(statement.get("kind")), "cue": statement.get("cue"),
            "domain": f"news-{source_of(statement['article_id'])}"}
    meta = {"statement_id": statement["sid"], "annotator": annotator, "source": source_of(statement["article_id"])}
    if statement.get("added"):
        meta["added"] = True
    if not positions:
        target = (statement.get("builder_targets") or [""])[0]
        row_ = {**base, "id": "", "speaker": statement["speaker"], "speaker_affiliation":
                statement["speaker_affiliation"], "target": target, "label": NONE,
                **meta, "none_reason": row.get("none_reason", "")}
        return [(statement["start"], 0, example_from_dict(row_, labels=ALL_LABELS, where=where))]
    out = []
    for k, p in enumerate(positions):
        condition = _condition(p, statement, where)
        extra = {"anonymous": bool(p.get("anonymous", False)), "relayed_by": p.get("relayed_by", "") or ""}
        row_ = {**base, "id": "", "speaker": p.get("speaker"), "speaker_affiliation": p.get("speaker_affiliation", ""),
                "target": p.get("target"), "label": p.get("label"), "note": p.get("note") or None,
                **meta, **extra, **condition}
        out.append((statement["start"], k, example_from_dict(row_, labels=STANCE_LABELS, require_label=True,
                                                             where=where)))
    return out


def _kind(kind: str | None) -> str | None:
    return kind if kind in ("direct", "indirect", "mixed", "according-to") else None


def _condition(position: dict, statement: dict, where: str) -> dict[str, int]:
    condition = position.get("condition") or ""
    if position.get("label") != "conditional":
        return {}
    offset = statement["text"].find(condition) if condition else -1
    if offset < 0:
        raise InputError(f"{where}: a conditional needs 'condition', the words of the statement that state the "
                         f"condition, verbatim; found {condition!r}.")
    start = statement["start"] + offset
    return {"condition_start": start, "condition_end": start + len(condition)}


# ---------------------------------------------------------------------------------------------------
# Checks, splits and the processed files
# ---------------------------------------------------------------------------------------------------


def read_positions(path: Path = REALNEWS / "positions.jsonl") -> list[Example]:
    """The assembled real-news positions (labels: the three stances and ``none``)."""
    return read_examples(path, labels=ALL_LABELS, require_label=True)


def load_article_texts(path: Path = REALNEWS / "articles.jsonl") -> dict[str, dict[str, Any]]:
    """Article id -> ``{"id", "source", "title", "date", "text"}`` of the labelled real articles."""
    return {row["id"]: row for _, row in read_jsonl_objects(path)}


def check_positions(
    examples: list[Example], articles: dict[str, dict], splits: dict[str, str], stories: dict[str, str],
    held: set[str],
) -> list[str]:
    """Problems found (empty when all is well): offsets, conditions, splits, story leakage, held-out articles."""
    problems = []
    for ex in examples:
        text = articles.get(ex.article_id, {}).get("text")
        if text is None:
            problems.append(f"{ex.id}: article {ex.article_id} is not in articles.jsonl")
            continue
        if text[ex.start : ex.end] != ex.text:
            problems.append(f"{ex.id}: article[start:end] != text")
        if ex.label == "conditional":
            cs, ce = ex.meta.get("condition_start"), ex.meta.get("condition_end")
            if cs is None or not (ex.start <= cs < ce <= ex.end):
                problems.append(f"{ex.id}: a conditional needs condition_start/end inside the statement")
    for article_id in articles:
        if article_id in held:
            problems.append(f"{article_id}: listed in held_for_dev.txt, must not be in the data")
        if article_id not in splits:
            problems.append(f"{article_id}: has no split")
    by_story: dict[str, set[str]] = {}
    for article_id, split in splits.items():
        by_story.setdefault(stories[article_id], set()).add(split)
    problems += [f"story {s}: in several splits {sorted(v)}" for s, v in by_story.items() if len(v) > 1]
    return problems


def split_files(examples: list[Example], splits: dict[str, str]) -> dict[str, list[Example]]:
    """``realnews_{split}`` (the three stance labels) and ``realnews_{split}_none`` (no-position rows)."""
    out: dict[str, list[Example]] = {}
    for name in ("train", "dev", "test"):
        rows = [ex for ex in examples if splits[ex.article_id] == name]
        out[f"realnews_{name}"] = [ex for ex in rows if ex.label != NONE]
        out[f"realnews_{name}_none"] = [ex for ex in rows if ex.label == NONE]
    return out


def label_table(examples: list[Example], splits: dict[str, str]) -> list[dict[str, Any]]:
    """Counts per split and source: articles, statements, positions per label, none rows."""
    table = []
    for name in ("train", "dev", "test", "all"):
        rows = [ex for ex in examples if name == "all" or splits[ex.article_id] == name]
        for source in ("fnc", "reuters", "all"):
            part = [ex for ex in rows if source == "all" or source_of(ex.article_id) == source]
            counts = Counter(ex.label for ex in part)
            table.append({
                "split": name, "source": source,
                "articles": len({ex.article_id for ex in part}),
                "statements": len({ex.meta.get("statement_id") for ex in part}),
                **{label: counts[label] for label in ALL_LABELS},
                "positions": sum(counts[label] for label in STANCE_LABELS),
            })
    return table


def read_splits(path: Path = REALNEWS / "splits.json") -> tuple[dict[str, str], dict[str, str]]:
    """(article id -> split, article id -> story id) of the labelled real articles."""
    data = json.loads(read_text(path))
    articles = data["articles"]
    return {a: v["split"] for a, v in articles.items()}, {a: v["story"] for a, v in articles.items()}


def read_held(shared: Path = SHARED) -> set[str]:
    """Ids in the shared ``held_for_dev.txt`` (kept out of every training set)."""
    path = shared / "held_for_dev.txt"
    if not path.exists():
        return set()
    return {line.split()[0] for line in read_text(path).splitlines() if line.strip() and not line.startswith("#")}


def _cmd_assemble(args: argparse.Namespace) -> int:
    statements = load_statements(REALNEWS / "statements.jsonl")
    articles = load_article_texts()
    parts = [Path(p) for p in args.parts] if args.parts else sorted((REALNEWS / "parts").glob("first_*.jsonl"))
    examples = assemble_positions(parts, statements, articles)
    adjudication = REALNEWS / "adjudication.jsonl"
    if adjudication.exists():
        examples = apply_adjudication(examples, [row for _, row in read_jsonl_objects(adjudication)])
    write_examples(REALNEWS / "positions.jsonl", examples)
    counts = Counter(ex.label for ex in examples)
    print(f"wrote {REALNEWS / 'positions.jsonl'}: {len(examples)} rows from {len(parts)} part files, {dict(counts)}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    splits, stories = read_splits()
    problems = check_positions(read_positions(), load_article_texts(), splits, stories, read_held(Path(args.shared)))
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    splits, _ = read_splits()
    out = Path(args.out)
    for name, rows in split_files(read_positions(), splits).items():
        write_examples(out / f"{name}.jsonl", rows)
        print(f"wrote {out / name}.jsonl ({len(rows)} rows)")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    splits, _ = read_splits()
    table = label_table(read_positions(), splits)
    columns = list(table[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in table:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    return 0


# ---------------------------------------------------------------------------------------------------
# Agreement of the blind second pass, and adjudication
# ---------------------------------------------------------------------------------------------------


def pair_passes(first: list[Example], second: list[Example]) -> list[dict[str, Any]]:
    """Pair the two passes' rows statement by statement (statements both passes labelled).

    Within a statement, positions are matched greedily by the token overlap of their targets (then
    speakers); a position the other pass does not have is paired with ``none``, and a statement both
    passes left without a position is one ``(none, none)`` pair.
    """
    by_statement = {name: _group(rows) for name, rows in (("first", first), ("second", second))}
    pairs = []
    for sid in sorted(set(by_statement["first"]) & set(by_statement["second"])):
        a = [ex for ex in by_statement["first"][sid] if ex.label != NONE]
        b = [ex for ex in by_statement["second"][sid] if ex.label != NONE]
        if not a and not b:
            pairs.append({"statement_id": sid, "first": None, "second": None})
            continue
        for x, y in _greedy_match(a, b):
            pairs.append({"statement_id": sid, "first": x, "second": y})
    return pairs


def _group(rows: list[Example]) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {}
    for ex in rows:
        if not ex.meta.get("added"):
            out.setdefault(ex.meta["statement_id"], []).append(ex)
    return out


def _greedy_match(a: list[Example], b: list[Example]) -> list[tuple[Example | None, Example | None]]:
    scored = sorted(((_similarity(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)), reverse=True)
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in scored:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((a[i], b[j]))
    pairs += [(x, None) for i, x in enumerate(a) if i not in used_a]
    pairs += [(None, y) for j, y in enumerate(b) if j not in used_b]
    return pairs


def _similarity(x: Example, y: Example) -> tuple[float, float]:
    return _jaccard(x.target, y.target), _jaccard(x.speaker, y.speaker)


def _jaccard(a: str, b: str) -> float:
    ta, tb = set(a.lower().split()), set(b.lower().split())
    return len(ta & tb) / len(ta | tb) if ta | tb else 1.0


def pair_labels(pairs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The two passes' labels of every pair (``none`` where a pass has no position)."""
    first = [p["first"].label if p["first"] else NONE for p in pairs]
    second = [p["second"].label if p["second"] else NONE for p in pairs]
    return first, second


def agreement(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Cohen's kappa over the four labels, and one-vs-rest kappa per label."""
    from sklearn.metrics import cohen_kappa_score

    first, second = pair_labels(pairs)
    out: dict[str, Any] = {"pairs": len(pairs), "observed": float(np.mean(np.array(first) == np.array(second))),
                           "kappa": float(cohen_kappa_score(first, second, labels=list(ALL_LABELS)))}
    out["per_label"] = {
        label: float(cohen_kappa_score([x == label for x in first], [y == label for y in second]))
        for label in ALL_LABELS
    }
    out["counts"] = {"first": dict(Counter(first)), "second": dict(Counter(second))}
    out["positions_paired"] = sum(1 for p in pairs if p["first"] or p["second"])
    return out


def disagreements(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pairs whose labels differ, as rows for adjudication."""
    rows = []
    for p in pairs:
        a, b = p["first"], p["second"]
        if (a.label if a else NONE) == (b.label if b else NONE):
            continue
        rows.append({"statement_id": p["statement_id"], "text": (a or b).text,
                     "first": _brief(a), "second": _brief(b)})
    return rows


def _brief(ex: Example | None) -> dict[str, Any] | None:
    if ex is None:
        return None
    out = {"speaker": ex.speaker, "speaker_affiliation": ex.speaker_affiliation, "target": ex.target,
           "label": ex.label, "note": ex.note or ""}
    if ex.label == "conditional":
        out["condition"] = ex.text[ex.meta["condition_start"] - ex.start : ex.meta["condition_end"] - ex.start]
    return out


def apply_adjudication(examples: list[Example], decisions: list[dict[str, Any]]) -> list[Example]:
    """Apply adjudicated labels to the first pass: relabel, drop or add positions; ids are renumbered.

    Each decision row is a disagreement row (``disagreements``) with ``decision`` (a label) and, for
    ``conditional``, ``condition`` (verbatim in the statement).
    """
    out = list(examples)
    for row in decisions:
        first, second, decision = row.get("first"), row.get("second"), row["decision"]
        if decision not in ALL_LABELS:
            raise InputError(f"adjudication of {row['statement_id']}: unknown decision {decision!r}.")
        if first is not None:
            out = _relabel(out, row["statement_id"], first["target"], decision, row.get("condition", ""))
        elif decision != NONE:
            out = _add_position(out, row["statement_id"], second, decision, row.get("condition", ""))
    return _renumber(out)


def _relabel(rows, sid, target, decision, condition):
    out = []
    for ex in rows:
        if ex.meta.get("statement_id") == sid and ex.label != NONE and ex.target == target:
            if decision == NONE:
                if not any(o.meta.get("statement_id") == sid and o.label != NONE and o is not ex for o in rows):
                    out.append(replace(ex, label=NONE, meta=_without_condition(ex.meta)))
                continue
            ex = replace(ex, label=decision, meta=_with_condition(ex, decision, condition))
        out.append(ex)
    return out


def _add_position(rows, sid, second, decision, condition):
    template = next(ex for ex in rows if ex.meta.get("statement_id") == sid)
    added = replace(template, speaker=second["speaker"], speaker_affiliation=second["speaker_affiliation"],
                    target=second["target"], label=decision, note=second.get("note") or None,
                    meta={**_without_condition(template.meta), "adjudicated": True})
    added = replace(added, meta=_with_condition(added, decision, condition))
    rows = [ex for ex in rows if not (ex.meta.get("statement_id") == sid and ex.label == NONE)]
    return rows + [added]


def _without_condition(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in ("condition_start", "condition_end", "none_reason")}


def _with_condition(ex: Example, decision: str, condition: str) -> dict:
    meta = {**_without_condition(ex.meta), "adjudicated": True}
    if decision == "conditional":
        offset = ex.text.find(condition) if condition else -1
        if offset < 0:
            raise InputError(f"adjudication of {ex.meta.get('statement_id')}: a conditional decision needs "
                             f"'condition' verbatim in the statement, found {condition!r}.")
        meta.update(condition_start=ex.start + offset, condition_end=ex.start + offset + len(condition))
    return meta


def _renumber(rows: list[Example]) -> list[Example]:
    rows = sorted(rows, key=lambda ex: (ex.article_id, ex.start, ex.id))
    counters: Counter = Counter()
    out = []
    for ex in rows:
        counters[ex.article_id] += 1
        out.append(replace(ex, id=f"{ex.article_id}-{counters[ex.article_id]:03d}"))
    return out


def _cmd_agreement(args: argparse.Namespace) -> int:
    statements = load_statements(REALNEWS / "statements.jsonl")
    articles = load_article_texts()
    first = assemble_positions(sorted((REALNEWS / "parts").glob("first_*.jsonl")), statements, articles)
    second = assemble_positions(sorted((REALNEWS / "parts").glob("second_pass*.jsonl")), statements, articles)
    pairs = pair_passes(first, second)
    result = agreement(pairs)
    atomic_write_json(REALNEWS / "agreement.json", result)
    atomic_write_jsonl(REALNEWS / "disagreements.jsonl", disagreements(pairs))
    print(json.dumps(result, indent=2))
    return 0


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.realnews", description=description(__doc__))
    sub = parser.add_subparsers(dest="command", required=True)
    assemble = sub.add_parser("assemble", help="part files (+ adjudication) -> data/realnews/positions.jsonl")
    assemble.add_argument("--parts", nargs="+", help="part files (default: data/realnews/parts/first_*.jsonl)")
    check = sub.add_parser("check", help="offsets, conditions, story leakage, held-out articles")
    check.add_argument("--shared", default=str(SHARED), help="the shared real-news folder (for held_for_dev.txt)")
    prepare = sub.add_parser("prepare", help="positions -> data/processed/realnews_{train,dev,test}[_none].jsonl")
    prepare.add_argument("--out", default="data/processed")
    sub.add_parser("stats", help="counts per split and source, for the data card")
    sub.add_parser("agreement", help="Cohen's kappa of the blind second pass against the first")
    args = parser.parse_args(argv)
    run = {"assemble": _cmd_assemble, "check": _cmd_check, "prepare": _cmd_prepare, "stats": _cmd_stats,
               "agreement": _cmd_agreement}[args.command]
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
