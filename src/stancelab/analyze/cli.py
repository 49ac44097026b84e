"""The command line: ``python -m stancelab.analyze --input ... --model ... --output ...`` and ``... report DIR``.

Exit status: 0 done; 1 nothing useful produced (every article skipped, or no position found); 2 bad input
or options; 130 interrupted (rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stancelab.analyze.engines import ENGINES
from stancelab.analyze.report import write_report
from stancelab.analyze.run import NothingProduced, analyze
from stancelab.analyze.shards import DEFAULT_SHARD_SIZE
from stancelab.build.targets import load_targets
from stancelab.data.io import InputError
from stancelab.predict.cli import quiet_model_loading
from stancelab.predict.inference import DEFAULT_BATCH_SIZE
from stancelab.predict.loading import PRECISIONS


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stancelab.analyze",
        description="Positions of a whole news archive as Parquet shards, resumable; then a report. "
        "`python -m stancelab.analyze report DIR` redraws the report from the shards.",
    )
    parser.add_argument("--input", required=True, help="folder of .txt, .jsonl, .parquet, or a saved datasets.Dataset")
    parser.add_argument("--model", required=True, help="run directory or model directory")
    parser.add_argument("--output", required=True, help="output folder: positions/, manifest.json, report.md")
    parser.add_argument("--engine", choices=ENGINES, default="local", help="local (one process) or ray (Ray Data)")
    parser.add_argument("--workers", type=int, default=1, help="Ray actors, one CPU each (--engine ray)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="statements per forward pass")
    parser.add_argument("--shard-size", type=int, default=DEFAULT_SHARD_SIZE, help="articles per Parquet shard")
    parser.add_argument("--limit", type=int, help="only the first N articles of the input (a dry run on a sample)")
    parser.add_argument("--precision", choices=("auto", *PRECISIONS), default="auto",
                        help="auto: bfloat16 on CPUs with AMX/AVX512-BF16, else float32")
    parser.add_argument("--targets", help="YAML {target name: [alias, ...]}: the issues to look for")
    parser.add_argument("--threads", type=int, help="torch threads of the local engine (Ray actors use one each)")
    parser.add_argument("--ray-address", help="a running Ray cluster (default: RAY_ADDRESS, else a local instance)")
    parser.add_argument("--no-report", action="store_true", help="write the shards and manifest only")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def report_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stancelab.analyze report",
                                     description="Redraw <dir>/report.md and its figures from the Parquet shards.")
    parser.add_argument("dir", help="the --output folder of an archive run")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["report"]:
            return _report(report_parser().parse_args(argv[1:]))
        return _run(run_parser().parse_args(argv), argv)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except NothingProduced as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the finished shards are kept; rerun the same command to resume.", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace, argv: list[str]) -> int:

    quiet_model_loading()
    manifest = analyze(
        args.input, args.model, args.output, engine=args.engine, workers=args.workers, batch_size=args.batch_size,
        limit=args.limit, precision=args.precision, targets=load_targets(args.targets) if args.targets else None,
        shard_size=args.shard_size, threads=args.threads, ray_address=args.ray_address, quiet=args.quiet,
        report=not args.no_report, command=["python", "-m", "stancelab.analyze", *argv],
    )
    reasons = ", ".join(f"{n} {r}" for r, n in manifest["skipped_per_reason"].items())
    print(
        f"{manifest['articles_done']} articles, {manifest['articles_processed']} processed, "
        f"{manifest['positions']} positions, {manifest['skipped']} skipped{f' ({reasons})' if reasons else ''}; "
        f"{manifest['shards_done']} shards in {Path(args.output) / 'positions'}",
        file=sys.stderr,
    )
    if not args.no_report:
        print(f"report: {Path(args.output) / 'report.md'}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:

    print(f"wrote {write_report(args.dir)}", file=sys.stderr)
    return 0
