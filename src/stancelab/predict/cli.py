"""Inference: ``predict()`` for examples and the ``python -m stancelab.predict`` command.

The command labels a JSONL file of examples (``--input``) or finds and labels the positions of one
article (``--article``). ``add_precision_arguments`` and ``quiet_model_loading`` serve
``python -m stancelab.evaluate`` too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stancelab.build.targets import load_targets
from stancelab.cli import command
from stancelab.data.io import atomic_write_jsonl, atomic_write_text
from stancelab.data.schema import read_examples
from stancelab.predict.article import format_article_table, predict_article
from stancelab.predict.inference import DEFAULT_BATCH_SIZE, predict
from stancelab.predict.loading import PRECISIONS
from stancelab.viz import plot_stance_map


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.predict", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="run directory or model directory")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="JSONL of examples with speaker, target, text")
    source.add_argument("--article", help="a .txt article: find its positions and label them")
    parser.add_argument("--output", help="JSONL (or, with --article, .csv) to write")
    parser.add_argument("--map", help="with --article: draw the stance map (actors x issues) to this PNG")
    parser.add_argument("--include-none", action="store_true",
                        help="with --article: keep one 'none' row for each statement that takes no position")
    parser.add_argument("--targets", help="with --article: YAML of {target: [aliases]} to look for")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    add_precision_arguments(parser)
    parser.add_argument("--max-length", type=int, default=None, help="token limit (default: the model's)")
    args = parser.parse_args(argv)
    if args.input and not args.output:
        parser.error("--input needs --output")
    quiet_model_loading()
    if args.article:
        return _main_article(args)
    examples = read_examples(args.input, labels=None)
    results = predict(
        examples,
        args.model,
        batch_size=args.batch_size,
        num_threads=args.threads,
        precision=args.precision,
        max_length=args.max_length,
    )
    rows = [{**ex.to_dict(), "predicted": r["label"], "probs": r["probs"]} for ex, r in zip(examples, results)]
    atomic_write_jsonl(args.output, rows)
    print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


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


def _main_article(args: argparse.Namespace) -> int:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    targets = load_targets(args.targets) if args.targets else None
    table = predict_article(
        args.article,
        args.model,
        targets=targets,
        include_none=args.include_none,
        batch_size=args.batch_size,
        precision=args.precision,
        max_length=args.max_length,
    )
    print(format_article_table(table))
    if args.output:
        if args.output.endswith(".csv"):
            atomic_write_text(args.output, table.to_csv(index=False))
        else:
            atomic_write_jsonl(args.output, table.to_dict(orient="records"))
        print(f"wrote {len(table)} rows to {args.output}")
    if args.map:
        plot_stance_map(table, Path(args.map), title=f"stance map: {Path(args.article).name}")
        print(f"wrote {args.map}")
    return 0
