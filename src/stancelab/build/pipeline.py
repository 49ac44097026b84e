"""Build candidate (speaker, target, text) examples from raw news: the first stage of the pipeline.

    python -m stancelab.build --input data/raw --output data/processed/candidates.jsonl \\
        [--targets targets.yaml] [--num-proc 2] [--shard 0/4] [--quiet]

Input is a ``.txt`` file, a folder of ``.txt`` files (article_id = file stem) or a ``.jsonl`` file of
``{"id", "text", ...}`` (article_id = ``id``). Output is one ``Example`` per line (``stancelab.data.schema``),
unlabelled, plus ``<output>.manifest.json`` with counts, skipped articles and warnings with reasons,
input hashes, builder and spaCy versions and the command arguments. Offsets (``start``, ``end``,
``speaker_start``, ``content_start``, ...) are character offsets into the article text with its HTML
entities decoded (``&amp;`` -> ``&``, ``&#8220;`` -> ``“``): the input text itself for every article
without an ``html_entities`` warning in the manifest.

``--num-proc N`` parses in N worker processes forked after spaCy is loaded (they share it), articles
in order; the workers die with the builder, also when it is killed. Fewer than ``MIN_ARTICLES_PER_PROC``
articles per process, or more processes than CPUs, do not pay: the builder then says so and uses fewer.
``--shard i/n`` builds the i-th of n contiguous slices (as ``datasets.Dataset.shard(contiguous=True)``);
example ids depend only on the article, so the outputs of all shards, concatenated in shard order,
equal the output of one unsharded run.

An input that yields no example (no article, every article skipped, no statement found) exits with
status 3 and leaves an earlier output where it was; a second build to the same output while one runs
is refused.
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import gc
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import threadpoolctl

from stancelab.build.attribution.extractor import Statement, analyse, load_nlp, spacy_model_info
from stancelab.build.targets import load_targets, statement_targets
from stancelab.cli import command, description
from stancelab.cli import progress as progress_bar
from stancelab.data.io import (
    InputError,
    NothingProduced,
    atomic_write_json,
    atomic_write_text,
    exclusive_output,
    read_jsonl_objects,
    read_text,
    sha256_file,
)
from stancelab.data.schema import Example

BUILDER_VERSION = "0.1.0"
# Longer documents are almost always dumps (whole pages, concatenated feeds), not articles.
MAX_CHARS = 200_000
# Below this many articles per process, starting workers costs more than it saves (bench/bench_build_numproc.py).
MIN_ARTICLES_PER_PROC = 20
OFFSETS = (
    "character offsets into the article text with HTML entities decoded (html.unescape of each &name; / "
    "&#N; entity); the text as read for every article without an html_entities warning"
)


def build_examples(text: str, article_id: str, targets: dict[str, list[str]] | None = None) -> list[Example]:
    """All candidate examples of one article, ids ``{article_id}-{n:04d}`` in document order.

    >>> build_examples("Russia opposed the strikes, Sergey Lavrov said.", "a1")[0].target  # doctest: +SKIP
    'the strikes'
    """
    return article_examples(text, article_id, targets)[0]


def article_examples(
    text: str, article_id: str, targets: dict[str, list[str]] | None = None
) -> tuple[list[Example], list[str]]:
    """Examples and warnings of one article; one statement gives one example per target.

    A statement repeated word for word by the same speaker (a feed pasted twice, a run-on text) gives its
    examples once; the repeats are counted in a ``repeated_statements`` warning.
    """
    analysis = analyse(text)
    examples, seen, repeats = [], set(), 0
    for statement, span in analysis.statements:
        key = (statement.speaker, statement.content)
        if key in seen:
            repeats += 1
            continue
        seen.add(key)
        for target in statement_targets(span, statement.sentence, statement.content, targets):
            examples.append(_example(statement, target, f"{article_id}-{len(examples):04d}", article_id))
    warnings = list(analysis.warnings)
    if repeats:
        warnings.append(f"repeated_statements: {repeats} statement(s) repeating an earlier one word for word dropped")
    return examples, warnings


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
        files = sorted(f for f in path.glob("*.txt") if f.is_file())
        if not files:
            others = sorted(f.name for f in path.iterdir())
            found = f"{len(others)} other entries ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})"
            raise NothingProduced(
                f"--input {path}: expected .txt files in the folder (one article each), found "
                f"{found if others else 'an empty folder'}. Point to a folder of .txt articles, or to a .jsonl "
                'file of {"id", "text"} rows.'
            )
        return [_txt_article(f) for f in files], {str(f): sha256_file(f) for f in files}
    if path.suffix == ".txt":
        return [_txt_article(path)], {str(path): sha256_file(path)}
    if path.suffix == ".jsonl":
        return _jsonl_articles(path), {str(path): sha256_file(path)}
    raise InputError(
        f"--input {path}: expected a .txt file, a folder of .txt files or a .jsonl file, found a "
        f"'{path.suffix}' file. Convert it to .jsonl rows {{\"id\": ..., \"text\": ...}}."
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
    if not read_text(path).strip():
        raise NothingProduced(
            f'--input {path}: expected one {{"id", "text"}} article per line, found an empty file. Point to '
            "a file with articles."
        )
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
# Processing, in one or several processes
# ---------------------------------------------------------------------------------------------------


def process_article(row: dict[str, Any], targets: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """One article row -> its examples (as JSON lines), warnings and skip reason.

    An article whose processing raises is recorded as skipped with the error, so one bad article never
    stops or loses the rest of the batch; the error text goes to the manifest and to stderr.
    """
    out = {"article_id": row["article_id"], "examples": [], "warnings": [], "skip": row["skip"]}
    if row["skip"]:
        return out
    try:
        examples, warnings = article_examples(row["text"], row["article_id"], targets)
    except (ValueError, RuntimeError, IndexError, KeyError, AttributeError) as err:  # a bug or a spaCy limit
        return {**out, "skip": f"error: {type(err).__name__}: {err}"}
    return {**out, "examples": [json.dumps(ex.to_dict(), ensure_ascii=False) for ex in examples], "warnings": warnings}


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


def shard_rows(rows: list, shard: tuple[int, int] | None) -> list:
    """The ``index``-th of ``count`` contiguous slices, sized as ``datasets.Dataset.shard(contiguous=True)``."""
    if shard is None:
        return rows
    index, count = shard
    div, mod = divmod(len(rows), count)
    start = div * index + min(index, mod)
    return rows[start : start + div + (1 if index < mod else 0)]


def usable_processes(num_proc: int, n_articles: int) -> tuple[int, str]:
    """The processes worth starting for ``n_articles``, and a note when that is fewer than asked."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    useful = max(1, min(num_proc, cpus, n_articles // MIN_ARTICLES_PER_PROC))
    if useful == num_proc:
        return num_proc, ""
    why = (
        f"this machine has {cpus} CPU(s)"
        if useful == cpus and num_proc > cpus
        else f"{n_articles} article(s) do not pay for more (from {MIN_ARTICLES_PER_PROC} per process)"
    )
    return useful, f"note: --num-proc {num_proc}: using {useful} process(es); {why}."


def run_rows(
    rows: list[dict[str, str]],
    targets=None,
    num_proc: int = 1,
    shard: tuple[int, int] | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Process article rows (of one shard) in ``num_proc`` processes; the processed rows in article order."""
    rows = shard_rows(rows, shard)
    load_nlp()  # before any fork: the workers share the loaded pipeline instead of loading their own
    work = functools.partial(process_article, targets=targets)
    bar = functools.partial(progress_bar, total=len(rows), unit="article", show=progress)
    if num_proc <= 1:
        return [work(row) for row in bar(rows)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    chunk = max(1, min(8, len(rows) // (num_proc * 8)))  # small chunks: article lengths vary a lot
    gc.freeze()  # the loaded pipeline's objects move out of the collector's reach: forked pages stay shared
    try:
        with context.Pool(num_proc, initializer=_worker_init, initargs=(os.getpid(),)) as pool:
            return list(bar(pool.imap(work, rows, chunksize=chunk)))
    finally:
        gc.unfreeze()


def _worker_init(parent: int) -> None:
    """Make a worker die with the builder, also when the builder is killed with SIGKILL.

    Linux: the kernel sends the worker SIGKILL when its parent dies (``PR_SET_PDEATHSIG``). Elsewhere a
    daemon thread checks once a second that the parent is still the one that started the worker.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the builder, which ends the pool
    # One thread per worker: N workers each running BLAS/OpenMP pools as wide as the machine oversubscribe
    # the cores (the parse's matrix products are small; the processes are the parallelism).
    threadpoolctl.threadpool_limits(1)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the builder died before the death signal was set up
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def build(
    input_path: str,
    output: str,
    targets_path: str | None = None,
    num_proc: int = 1,
    shard: str | None = None,
    command: list[str] | None = None,
    *,
    progress: bool = False,
    quiet: bool = False,
) -> dict[str, Any]:
    """Build examples from ``input_path`` into ``output`` (JSONL) and write the manifest; return it.

    Raises ``InputError`` for bad arguments or input, and ``NothingProduced`` when the input yields no
    example; either way before anything is written, so an earlier output stays as it was.
    ``progress`` shows a bar over the articles on stderr; ``quiet`` drops the per-article warning lines
    (they are in the manifest) and notes, keeping the summary line.
    """
    if num_proc < 1:
        raise InputError(f"--num-proc: expected a positive number of processes, found {num_proc}. Use 1 or more.")
    shard_spec = parse_shard(shard)
    _check_output(Path(input_path), Path(output))
    targets = load_targets(targets_path) if targets_path else None
    rows, hashes = read_articles(input_path)
    with exclusive_output(output):
        n_articles = len(shard_rows(rows, shard_spec))
        if n_articles == 0:
            raise NothingProduced(
                f"--shard {shard}: expected articles in this shard, found none ({len(rows)} article(s) in "
                f"{shard_spec[1]} shards). Use fewer shards."
            )
        used, note = usable_processes(num_proc, n_articles)
        if note and not quiet:
            print(note, file=sys.stderr)
        processed = run_rows(rows, targets, used, shard_spec, progress)
        lines = [line for row in processed for line in row["examples"]]
        args = {"input": str(input_path), "output": str(output), "targets": targets_path, "num_proc": num_proc,
                "num_proc_used": used, "shard": shard, "command": command}
        manifest = _manifest(processed, lines, hashes, args)
        _report(processed, manifest, quiet)
        if not lines:
            raise NothingProduced(_nothing_message(input_path, output, manifest))
        atomic_write_text(output, "".join(line + "\n" for line in lines))
        atomic_write_json(f"{output}.manifest.json", manifest)
    return manifest


def _check_output(input_path: Path, output: Path) -> None:
    if output.is_dir():
        raise InputError(
            f"--output {output}: expected a file path for the examples JSONL, found a folder. Name a file, "
            f"e.g. {output / 'examples.jsonl'}."
        )
    if input_path.exists() and output.exists() and input_path.resolve() == output.resolve():
        raise InputError(
            f"--output {output}: expected a path other than --input, found the input itself. Writing there "
            "would replace the articles with the examples; choose another output path."
        )


def _nothing_message(input_path, output, manifest: dict[str, Any]) -> str:
    reasons = ", ".join(f"{k} {v}" for k, v in manifest["skipped_per_reason"].items())
    skipped = f"{manifest['skipped']} skipped ({reasons})" if manifest["skipped"] else "none skipped"
    kept = f" {output} was left as it was." if Path(output).exists() else ""
    return (
        f"--input {input_path}: expected articles with attributed statements, found none in "
        f"{manifest['articles']} article(s): {skipped}, {manifest['articles_processed']} processed with no "
        f"statement found. Nothing was written.{kept} Fix: check the warnings above; the builder needs "
        "running news text with reported speech (\"..., X said\")."
    )


def _manifest(processed, lines, hashes, args) -> dict[str, Any]:
    rows = [json.loads(line) for line in lines]
    statements = {(r["article_id"], r["content_start"], r["content_end"]): r["kind"] for r in rows}
    skipped = [{"article_id": r["article_id"], "reason": r["skip"]} for r in processed if r["skip"]]
    warnings = [{"article_id": r["article_id"], "warning": w} for r in processed for w in r["warnings"]]
    return {
        "builder_version": BUILDER_VERSION,
        "spacy_model": spacy_model_info(),
        "args": args,
        "offsets": OFFSETS,
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


def _report(processed, manifest, quiet: bool = False) -> None:
    for row in processed:
        if quiet:
            break
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
    parser = argparse.ArgumentParser(prog="python -m stancelab.build", description=description(__doc__))
    parser.add_argument("--input", required=True, help=".txt file, folder of .txt files, or .jsonl of {id, text}")
    parser.add_argument("--output", required=True, help="examples JSONL; the manifest goes to <output>.manifest.json")
    parser.add_argument("--targets", help="YAML {target name: [alias, ...]}")
    parser.add_argument(
        "--num-proc", type=int, default=1, help=f"worker processes (pay from {MIN_ARTICLES_PER_PROC} articles each)"
    )
    parser.add_argument("--shard", help="i/n: build only shard i of n (contiguous, from 0)")
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no per-article warnings (the manifest lists them)"
    )
    args = parser.parse_args(argv)
    build(
        args.input,
        args.output,
        args.targets,
        args.num_proc,
        args.shard,
        command=list(sys.argv if argv is None else argv),
        progress=not args.quiet and sys.stderr.isatty(),
        quiet=args.quiet,
    )
    return 0
