"""Inference: predict() for examples and the python -m stancelab.predict command.

The command labels a JSONL file of examples (``--input``) or finds and labels the positions of one
article (``--article``). ``add_precision_arguments`` and ``quiet_model_loading`` serve
``python -m stancelab.evaluate`` too.

Bad input ends in ``error: ...`` and exit status 2 before anything is written; an article with no position
to write ends in exit status 3 and leaves an earlier ``--output``/``--map`` as it was; a second command
writing the same output while the first runs is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from stancelab.build.targets import load_targets
from stancelab.cli import command, description
from stancelab.data.io import InputError, NothingProduced, atomic_write_jsonl, atomic_write_text, exclusive_output
from stancelab.predict.article import format_article_table, read_article, run_articles
from stancelab.predict.inference import DEFAULT_BATCH_SIZE, predict, read_prediction_inputs
from stancelab.predict.loading import PRECISIONS
from stancelab.viz import plot_stance_map

# What --output may end in, per source; --map is drawn by matplotlib in one of these formats.
INPUT_OUTPUTS = (".jsonl",)
ARTICLE_OUTPUTS = (".csv", ".jsonl")
MAP_SUFFIXES = (".png", ".svg", ".pdf")


@command
def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check_combinations(parser, args)
    _check_output(args.output, INPUT_OUTPUTS if args.input else ARTICLE_OUTPUTS, "--output")
    _check_output(args.map, MAP_SUFFIXES, "--map")
    quiet_model_loading()
    progress = False if args.quiet else None
    with contextlib.ExitStack() as outputs:  # held until the outputs are written: a second writer is refused
        for path in (args.output, args.map):
            if path:
                outputs.enter_context(exclusive_output(path))
        if args.article:
            return _main_article(args, progress)
        return _main_input(args, progress)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stancelab.predict", description=description(__doc__))
    parser.add_argument("--model", required=True, help="run directory or model directory")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--input",
        help="JSONL of examples to label: speaker, target and text on every line (id, article_id and "
        "speaker_affiliation are optional); needs --output",
    )
    source.add_argument("--article", help="an article file (.txt or .md): find its positions and label them")
    parser.add_argument(
        "--output",
        help="with --input: JSONL, each input row with 'label' (the prediction) and 'probs' (an input label "
        "is kept as 'gold_label'); with --article: .csv or .jsonl of the positions",
    )
    parser.add_argument("--map", help="with --article: draw the stance map (actors x issues) to this .png (.svg, .pdf)")
    parser.add_argument("--include-none", action="store_true",
                        help="with --article: keep one 'none' row for each statement that takes no position")
    parser.add_argument("--targets", help="with --article: YAML of {target: [aliases]} to look for")
    parser.add_argument("--batch-size", type=_at_least(1), default=DEFAULT_BATCH_SIZE,
                        help=f"examples per forward pass (default {DEFAULT_BATCH_SIZE})")
    parser.add_argument("--threads", type=_at_least(1), default=None, help="torch CPU threads (default: torch's)")
    add_precision_arguments(parser)
    parser.add_argument("--max-length", type=_at_least(8), default=None,
                        help="token limit, at least 8 (default: the model's)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar (none is shown off a terminal either)")
    return parser


def _at_least(minimum: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer of at least {minimum}, found {value!r}")
        return number

    parse.__name__ = "integer"
    return parse


def _check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.input and not args.output:
        parser.error("--input needs --output")
    if args.input:
        for flag, value in (("--map", args.map), ("--include-none", args.include_none), ("--targets", args.targets)):
            if value:
                parser.error(f"{flag} works with --article only, not with --input")


def _check_output(path: str | None, suffixes: tuple[str, ...], flag: str) -> None:
    if not path:
        return
    if Path(path).is_dir():
        raise InputError(f"{flag} {path}: expected a file to write, found a folder. Give a file name inside it.")
    if Path(path).suffix.lower() not in suffixes:
        raise InputError(
            f"{flag} {path}: expected a file ending in {' or '.join(suffixes)}, found "
            f"'{Path(path).suffix or 'no suffix'}'. Fix: name the output e.g. out{suffixes[0]}."
        )


def _main_input(args: argparse.Namespace, progress: bool | None) -> int:
    examples = read_prediction_inputs(args.input)
    results = predict(
        examples,
        args.model,
        batch_size=args.batch_size,
        num_threads=args.threads,
        precision=args.precision,
        max_length=args.max_length,
        progress=progress,
    )
    _warn_about_gold_labels(examples, results, args.input)
    rows = [_output_row(ex.to_dict(), r) for ex, r in zip(examples, results)]
    atomic_write_jsonl(args.output, rows)
    print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


def _warn_about_gold_labels(examples: list, results: list[dict], path: str) -> None:
    """Input labels the model cannot predict (data labelled with another label set): say so, keep going."""
    model_labels = set(results[0]["probs"]) if results else set()
    foreign = sorted({ex.label for ex in examples if ex.label is not None} - model_labels)
    if foreign:
        print(
            f"warning: {path}: labels {', '.join(map(repr, foreign))} are not labels of the model "
            f"({', '.join(results[0]['probs'])}); they are kept as gold_label, which 'label' never equals on "
            "those rows.",
            file=sys.stderr,
        )


def _output_row(row: dict, result: dict) -> dict:
    """The input row with ``label`` and ``probs`` as ``predict()`` returns them; an input label is the gold."""
    gold = row.pop("label", None)
    return {**row, **({"gold_label": gold} if gold is not None else {}), "label": result["label"],
            "probs": result["probs"]}


def quiet_model_loading() -> None:
    """For the command lines: no per-load weight progress bar or load report from transformers (the
    model is a finished run; its problems are reported by stancelab's own checks)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def add_precision_arguments(parser: argparse.ArgumentParser) -> None:
    """``--precision`` and its int8 shorthand ``--quantize`` (shared with ``stancelab.evaluate``)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="weights for inference: float32 (as trained), bfloat16 (fast on CPUs with AMX/AVX512-BF16), int8",
    )
    group.add_argument(
        "--quantize", dest="precision", action="store_const", const="int8", help="same as --precision int8"
    )


def _main_article(args: argparse.Namespace, progress: bool | None) -> int:
    path = Path(args.article)
    text = read_article(path)
    targets = load_targets(args.targets) if args.targets else None
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = run_articles(
        [(path.stem, text)],
        args.model,
        targets=targets,
        include_none=args.include_none,
        batch_size=args.batch_size,
        precision=args.precision,
        max_length=args.max_length,
        progress=progress,
    )
    for note in run.warnings:  # as `python -m stancelab.build` prints them
        print(f"warning: {note}", file=sys.stderr)
    if run.empty:  # before anything is written: earlier outputs stay as they were
        found, fix = run.empty
        raise NothingProduced(f"{path}: expected at least one attributed position, found {found}. {fix}")
    table = run.table
    print(format_article_table(table))
    if args.output:
        if args.output.lower().endswith(".csv"):
            atomic_write_text(args.output, table.to_csv(index=False))
        else:
            atomic_write_jsonl(args.output, table.to_dict(orient="records"))
        print(f"wrote {len(table)} rows to {args.output}")
    if args.map:
        plot_stance_map(table, Path(args.map), title=f"stance map: {path.name}")
        print(f"wrote {args.map}")
    return 0
