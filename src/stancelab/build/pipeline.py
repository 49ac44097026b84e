"""Build candidate (speaker, target, text) examples from raw news: the first stage of the pipeline.

    python -m stancelab.build --input data/raw --output data/processed/candidates.jsonl \\
        [--targets targets.yaml] [--num-proc 4] [--shard 0/4]

Input is a ``.txt`` file, a folder of ``.txt`` files (article_id = file stem) or a ``.jsonl`` file of
``{"id", "text", ...}`` (article_id = ``id``). Output is one ``Example`` per line (``stancelab.data.schema``),
unlabelled, plus ``<output>.manifest.json`` with counts, skipped articles and warnings with reasons,
input hashes, builder and spaCy versions and the command arguments.

Articles are processed through ``datasets.Dataset.map`` (``--num-proc``) and split with
``Dataset.shard(contiguous=True)`` (``--shard i/n``); example ids depend only on the article, so the
outputs of all shards, concatenated in shard order, equal the output of one unsharded run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from stancelab.build.attribution.extractor import Statement, analyse, spacy_model_info
from stancelab.build.targets import load_targets, statement_targets
from stancelab.cli import command
from stancelab.data.io import InputError, atomic_write_json, atomic_write_text, read_jsonl_objects, sha256_file
from stancelab.data.schema import Example

BUILDER_VERSION = "0.1.0"
# Longer documents are almost always dumps (whole pages, concatenated feeds), not articles.
MAX_CHARS = 200_000


def build_examples(text: str, article_id: str, targets: dict[str, list[str]] | None = None) -> list[Example]:
    """All candidate examples of one article, ids ``{article_id}-{n:04d}`` in document order.

    >>> build_examples("Russia opposed the strikes, Sergey Lavrov said.", "a1")[0].target  # doctest: +SKIP
    'the strikes'
    """
    return article_examples(text, article_id, targets)[0]


def article_examples(
    text: str, article_id: str, targets: dict[str, list[str]] | None = None
) -> tuple[list[Example], list[str]]:
    """Examples and warnings of one article; one statement gives one example per target."""
    analysis = analyse(text)
    examples = []
    for statement, span in analysis.statements:
        for target in statement_targets(span, statement.sentence, statement.content, targets):
            examples.append(_example(statement, target, f"{article_id}-{len(examples):04d}", article_id))
    return examples, analysis.warnings


def _example(statement: Statement, target: str, example_id: str, article_id: str) -> Example:
    return Example(
        id=example_id,
        article_id=article_id,
        speaker=statement.speaker,
        speaker_affiliation=statement.speaker_affiliation,
        target=target,
        text=statement.sentence,
        start=statement.sentence_start,
        end=statement.sentence_end,
        kind=statement.kind,
        cue=statement.cue,
        speaker_start=statement.speaker_start,
        speaker_end=statement.speaker_end,
        meta={
            "content": statement.content,
            "content_start": statement.content_start,
            "content_end": statement.content_end,
        },
    )


# ---------------------------------------------------------------------------------------------------
# Reading inputs
# ---------------------------------------------------------------------------------------------------


def read_articles(path: str | os.PathLike) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Articles as ``{"article_id", "text", "skip"}`` rows, and ``{input file: sha256}``.

    Unreadable articles (not UTF-8, empty, too long) keep a row with ``skip`` set to the reason, so they
    are counted in the manifest instead of stopping the batch.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"--input {path}: expected a .txt file, a folder of .txt files or a .jsonl file, found nothing at "
            f"that path. Fix the path (relative paths are read from {Path.cwd()})."
        )
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise InputError(
                f"--input {path}: expected .txt files in the folder, found none. Point to a folder "
                'of .txt articles, or to a .jsonl file of {"id", "text"} rows.'
            )
        return [_txt_article(f) for f in files], {str(f): sha256_file(f) for f in files}
    if path.suffix == ".txt":
        return [_txt_article(path)], {str(path): sha256_file(path)}
    if path.suffix == ".jsonl":
        return _jsonl_articles(path), {str(path): sha256_file(path)}
    raise InputError(
        f"--input {path}: expected a .txt file, a folder of .txt files or a .jsonl file, found a "
        f'\'{path.suffix}\' file. Convert it to .jsonl rows {{"id": ..., "text": ...}}.'
    )


def _txt_article(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        reason = (
            f"not_utf8: byte 0x{data[err.start]:02x} at offset {err.start}; re-encode it, e.g. "
            f"`iconv -f latin1 -t utf-8 {path.name}`"
        )
        return {"article_id": path.stem, "text": "", "skip": reason}
    return {"article_id": path.stem, "text": text, "skip": _skip_reason(text)}


def _jsonl_articles(path: Path) -> list[dict[str, str]]:
    rows, seen = [], set()
    for lineno, obj in read_jsonl_objects(path):
        for name in ("id", "text"):
            if name not in obj:
                raise InputError(
                    f"{path}:{lineno}: expected fields 'id' and 'text', found {sorted(obj)}. Add '{name}' "
                    "(the article id and its full text) to every line."
                )
        if not isinstance(obj["text"], str):
            raise InputError(f"{path}:{lineno}: field 'text' must be a string, found {type(obj['text']).__name__}.")
        article_id = str(obj["id"])
        if article_id in seen:
            raise InputError(f"{path}:{lineno}: duplicate id {article_id!r}; article ids must be unique.")
        seen.add(article_id)
        rows.append({"article_id": article_id, "text": obj["text"], "skip": _skip_reason(obj["text"])})
    return rows


def _skip_reason(text: str) -> str:
    if not text.strip():
        return "empty: no text"
    if len(text) > MAX_CHARS:
        return f"too_long: {len(text)} characters > {MAX_CHARS}; split the document into articles"
    return ""


# ---------------------------------------------------------------------------------------------------
# Processing with datasets
# ---------------------------------------------------------------------------------------------------


def process_article(row: dict[str, Any], targets: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """``Dataset.map`` function: one article row -> its examples (as JSON), warnings and skip reason.

    An article whose processing raises is recorded as skipped with the error, so one bad article never
    stops or loses the rest of the batch; the error text goes to the manifest and to stderr.
    """
    if row["skip"]:
        return {"examples": [], "warnings": [], "skip": row["skip"]}
    try:
        examples, warnings = article_examples(row["text"], row["article_id"], targets)
    except (ValueError, RuntimeError, IndexError, KeyError, AttributeError) as err:  # a bug or a spaCy limit
        return {"examples": [], "warnings": [], "skip": f"error: {type(err).__name__}: {err}"}
    return {
        "examples": [json.dumps(ex.to_dict(), ensure_ascii=False) for ex in examples],
        "warnings": warnings,
        "skip": "",
    }


def parse_shard(value: str | None) -> tuple[int, int] | None:
    """``"1/4"`` -> ``(1, 4)``; shards are numbered from 0."""
    if value is None:
        return None
    try:
        index, count = (int(part) for part in value.split("/"))
    except ValueError:
        raise InputError(f"--shard: expected i/n with whole numbers, e.g. 0/4, found {value!r}.") from None
    if count < 1 or not 0 <= index < count:
        raise InputError(
            f"--shard: expected 0 <= i < n, found {value!r}. Shards run 0/{max(count, 1)} to "
            f"{max(count, 1) - 1}/{max(count, 1)}."
        )
    return index, count


def run_rows(rows: list[dict[str, str]], targets=None, num_proc: int = 1, shard: tuple[int, int] | None = None):
    """Process article rows through ``datasets`` and return the processed rows in article order."""
    import datasets

    datasets.disable_progress_bars()
    dataset = datasets.Dataset.from_list(
        rows,
        features=datasets.Features(
            {"article_id": datasets.Value("string"), "text": datasets.Value("string"), "skip": datasets.Value("string")}
        ),
    )
    if shard is not None:
        dataset = dataset.shard(num_shards=shard[1], index=shard[0], contiguous=True)
    num_proc = min(num_proc, len(dataset)) if num_proc > 1 else None
    processed = dataset.map(
        process_article,
        fn_kwargs={"targets": targets},
        num_proc=num_proc,
        remove_columns=["text"],
        features=datasets.Features(
            {
                "article_id": datasets.Value("string"),
                "skip": datasets.Value("string"),
                "examples": datasets.Sequence(datasets.Value("string")),
                "warnings": datasets.Sequence(datasets.Value("string")),
            }
        ),
        load_from_cache_file=False,
        # spaCy objects cannot be hashed for datasets' cache key; the run is defined by these instead
        new_fingerprint=_fingerprint(dataset._fingerprint, targets),
    )
    return processed.to_list()


def _fingerprint(data_fingerprint: str, targets) -> str:
    payload = json.dumps([BUILDER_VERSION, data_fingerprint, targets], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def build(
    input_path: str,
    output: str,
    targets_path: str | None = None,
    num_proc: int = 1,
    shard: str | None = None,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """Build examples from ``input_path`` into ``output`` (JSONL) and write the manifest; return it."""
    if num_proc < 1:
        raise InputError(f"--num-proc: expected a positive number of processes, found {num_proc}.")
    shard_spec = parse_shard(shard)
    targets = load_targets(targets_path) if targets_path else None
    rows, hashes = read_articles(input_path)
    processed = run_rows(rows, targets, num_proc, shard_spec)
    lines = [line for row in processed for line in row["examples"]]
    atomic_write_text(output, "".join(line + "\n" for line in lines))
    manifest = _manifest(
        processed,
        lines,
        hashes,
        {
            "input": str(input_path),
            "output": str(output),
            "targets": targets_path,
            "num_proc": num_proc,
            "shard": shard,
            "command": command,
        },
    )
    atomic_write_json(f"{output}.manifest.json", manifest)
    _report(processed, manifest)
    return manifest


def _manifest(processed, lines, hashes, args) -> dict[str, Any]:
    rows = [json.loads(line) for line in lines]
    statements = {(r["article_id"], r["content_start"], r["content_end"]): r["kind"] for r in rows}
    skipped = [{"article_id": r["article_id"], "reason": r["skip"]} for r in processed if r["skip"]]
    warnings = [{"article_id": r["article_id"], "warning": w} for r in processed for w in r["warnings"]]
    return {
        "builder_version": BUILDER_VERSION,
        "spacy_model": spacy_model_info(),
        "args": args,
        "inputs_sha256": hashes,
        "articles": len(processed),
        "articles_processed": len(processed) - len(skipped),
        "statements": len(statements),
        "examples": len(rows),
        "statements_per_kind": dict(sorted(Counter(statements.values()).items())),
        "examples_per_kind": dict(sorted(Counter(r["kind"] for r in rows).items())),
        "skipped": len(skipped),
        "skipped_per_reason": _count_reasons(s["reason"] for s in skipped),
        "skipped_articles": skipped,
        "warnings": len(warnings),
        "warnings_per_reason": _count_reasons(w["warning"] for w in warnings),
        "warning_list": warnings,
    }


def _count_reasons(messages) -> dict[str, int]:
    return dict(sorted(Counter(m.split(":")[0] for m in messages).items()))


def _report(processed, manifest) -> None:
    for row in processed:
        if row["skip"]:
            print(f"warning: skipped article {row['article_id']}: {row['skip']}", file=sys.stderr)
        for warning in row["warnings"]:
            print(f"warning: article {row['article_id']}: {warning}", file=sys.stderr)
    print(
        f"{manifest['articles']} articles, {manifest['statements']} statements, {manifest['examples']} examples, "
        f"{manifest['skipped']} skipped, {manifest['warnings']} warnings",
        file=sys.stderr,
    )


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help=".txt file, folder of .txt files, or .jsonl of {id, text}")
    parser.add_argument("--output", required=True, help="examples JSONL; the manifest goes to <output>.manifest.json")
    parser.add_argument("--targets", help="YAML {target name: [alias, ...]}")
    parser.add_argument("--num-proc", type=int, default=1, help="processes for datasets.Dataset.map")
    parser.add_argument("--shard", help="i/n: build only shard i of n (contiguous, from 0)")
    args = parser.parse_args(argv)
    build(
        args.input,
        args.output,
        args.targets,
        args.num_proc,
        args.shard,
        command=list(sys.argv if argv is None else argv),
    )
    return 0
