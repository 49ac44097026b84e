"""Whole news archives on an existing engine: ``python -m stancelab.analyze``.

    python -m stancelab.analyze --input <folder of .txt | .jsonl | .parquet | saved Dataset> --model <run> \\
        --output <dir> [--engine local|ray] [--workers N] [--batch-size B] [--limit N] [--precision auto]
    python -m stancelab.analyze report <dir>

The modules follow the run: ``inputs`` (read the archive, skip bad articles with a reason) ->
``shards`` (deterministic shards by article id, atomic Parquet files, the manifest) -> ``engines``
(local, or Ray Data actor pools) -> ``run`` (``analyze()``, resumable) -> ``report`` (report.md and
figures). docs/archive.md has the usage, the output schema and how to read it in pandas, DuckDB or Spark.

>>> from stancelab.analyze import analyze, load_positions
>>> analyze("../shared/realnews/reuters.jsonl", "runs/default", "out/reuters", limit=30)  # doctest: +SKIP
>>> load_positions("out/reuters").groupby("issue").size()  # doctest: +SKIP
"""

from stancelab.analyze.inputs import read_archive
from stancelab.analyze.report import actor_issue_matrix, label_counts, load_positions, over_time, write_report
from stancelab.analyze.run import NothingProduced, analyze

__all__ = [
    "analyze",
    "read_archive",
    "load_positions",
    "label_counts",
    "actor_issue_matrix",
    "over_time",
    "write_report",
    "NothingProduced",
]
