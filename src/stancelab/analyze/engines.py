"""Where the shards run: ``local`` (this process, the default) or ``ray`` (Ray Data, a laptop or a cluster).

Both engines hand every shard to the same ``ShardWorker``, which loads the spaCy pipeline and the model
once and turns a shard into Parquet bytes and metadata; the driver (``stancelab.analyze.run``) writes
each file. The shard is the unit of work and of resumption, so the positions are the same whichever
engine or worker count produced them.

With Ray, the shards are the rows of a ``ray.data`` Dataset and ``map_batches`` runs ``ShardWorker`` in a
fixed actor pool (``ray.data.ActorPoolStrategy(size=workers)``, one CPU per actor; checked against Ray
2.60). ``ray.init(address=...)`` (``--ray-address`` or ``RAY_ADDRESS``) joins a running cluster; without
one, a local Ray instance with ``workers`` CPUs is started and shut down at the end. On a cluster the
model folder must exist at the same path on every node; the output is written by the driver only.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from stancelab.analyze.shards import Shard, positions_table, shard_from_json, shard_to_json, table_bytes
from stancelab.build.attribution.extractor import load_nlp
from stancelab.data.io import InputError
from stancelab.predict.article import predict_articles
from stancelab.predict.cli import quiet_model_loading
from stancelab.predict.inference import DEFAULT_BATCH_SIZE
from stancelab.predict.loading import load_model

ENGINES = ("local", "ray")
# Errors a single article can raise inside the builder or the classifier (a bug, a spaCy limit, a
# tokenizer limit); the article is skipped with its error, the shard goes on (as in stancelab.build).
ARTICLE_ERRORS = (ValueError, RuntimeError, IndexError, KeyError, AttributeError, TypeError)
WARM_UP = "Ana Ruiz said the trade deal was good. Karl Berg rejected the tariff plan, his office said."
OnShard = Callable[[str, bytes, dict[str, Any]], None]


class ShardWorker:
    """Loads the builder's spaCy pipeline and the model once; ``process(shard)`` -> (Parquet bytes, metadata).

    It is also the callable class of Ray Data's ``map_batches``: ``__call__`` takes a batch of shards.

    >>> data, meta = ShardWorker("runs/default").process(shard)  # doctest: +SKIP
    """

    def __init__(self, model: str, precision: str = "float32", targets: dict[str, list[str]] | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE, threads: int | None = None):

        quiet_model_loading()
        if threads:
            import torch

            torch.set_num_threads(threads)
        self.model_ = load_model(model, precision=precision)
        self.targets = targets
        self.batch_size = batch_size
        load_nlp()
        # Once per worker, not inside the first shard: spaCy, the model and the phrase encoder behind issues.
        self._predict([("warm-up", WARM_UP)])

    def process(self, shard: Shard) -> tuple[bytes, dict[str, Any]]:
        start = time.perf_counter()
        skipped = [{"article_id": a.article_id, "reason": a.skip} for a in shard.articles if a.skip]
        todo = [(a.article_id, a.text) for a in shard.articles if not a.skip]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame, errors = self._positions(todo)
        meta = {
            "name": shard.name,
            "index": shard.index,
            "articles_sha256": shard.sha256,
            "articles": len(shard.articles),
            "positions": len(frame),
            "skipped": skipped + errors,
            # numbers out, so "3 of 18 examples are truncated" is one warning across shards, not thousands
            "warnings": sorted({re.sub(r"\d+", "N", str(w.message)) for w in caught})[:20],
            "seconds": round(time.perf_counter() - start, 3),
        }
        table = positions_table(frame, shard, self.model_.labels, meta)
        return table_bytes(table), meta

    def _positions(self, todo: list[tuple[str, str]]) -> tuple[Any, list[dict[str, str]]]:
        """All positions of the shard in one call (issues are clustered across it); when an article
        raises, each article is tried alone to find the bad ones, and the rest are run together again."""
        try:
            return self._predict(todo), []
        except ARTICLE_ERRORS:
            pass
        good, errors = [], []
        for article_id, text in todo:
            try:
                self._predict([(article_id, text)])
                good.append((article_id, text))
            except ARTICLE_ERRORS as err:
                errors.append({"article_id": article_id, "reason": f"error: {type(err).__name__}: {err}"})
        return self._predict(good), errors

    def _predict(self, articles: list[tuple[str, str]]) -> Any:
        return predict_articles(articles, self.model_, targets=self.targets, batch_size=self.batch_size)

    def __call__(self, batch: Any) -> Any:
        """Ray Data: a ``pyarrow.Table`` of shards (column ``shard``) -> one row per shard: name, data, meta."""
        import pyarrow as pa

        results = [self.process(shard_from_json(text)) for text in batch.column("shard").to_pylist()]
        return pa.table({
            "name": pa.array([meta["name"] for _, meta in results], pa.string()),
            "data": pa.array([data for data, _ in results], pa.binary()),
            "meta": pa.array([json.dumps(meta, ensure_ascii=False) for _, meta in results], pa.string()),
        })


def run_local(shards: Iterable[Shard], worker_args: dict[str, Any], on_shard: OnShard) -> None:
    """One process: the worker is built once and the shards run one after another."""
    worker = ShardWorker(**worker_args)
    for shard in shards:
        data, meta = worker.process(shard)
        on_shard(shard.name, data, meta)


def run_ray(shards: list[Shard], worker_args: dict[str, Any], on_shard: OnShard, workers: int = 1,
            address: str | None = None, quiet: bool = False) -> None:
    """Ray Data: shards as rows, ``map_batches(ShardWorker)`` in an actor pool of ``workers`` actors.

    Results stream back to the driver as each shard finishes, so a kill loses at most the shards in flight.
    """
    ray = import_ray()
    started = _init_ray(ray, workers, address)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the driver's own bar counts articles
        context.print_on_execution_start = not quiet
        dataset = ray.data.from_items([{"shard": shard_to_json(s)} for s in shards], override_num_blocks=len(shards))
        results = dataset.map_batches(
            ShardWorker,
            fn_constructor_kwargs=worker_args,
            batch_size=1,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        for row in results.iter_rows():
            on_shard(row["name"], row["data"], json.loads(row["meta"]))
    finally:
        if started:
            ray.shutdown()


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(
            "--engine ray: Ray is not installed. Fix: pip install -e \".[scale]\" (or pip install \"ray[data]\"), "
            "or use --engine local."
        ) from None
    return ray


def _init_ray(ray: Any, workers: int, address: str | None) -> bool:
    """Join ``address`` / ``RAY_ADDRESS`` when given, else start a local instance; True if we started one."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    local = {} if address else {"num_cpus": workers}
    ray.init(address=address, include_dashboard=False, log_to_driver=False, **local)
    return True


def check_engine(engine: str, workers: int) -> None:
    if engine not in ENGINES:
        raise InputError(f"--engine: expected one of {', '.join(ENGINES)}, found {engine!r}.")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"--workers: expected a positive number of workers, found {workers!r}.")
    if engine == "local" and workers > 1:
        raise InputError(
            f"--workers {workers} with --engine local: the local engine runs in one process. Fix: use "
            f"--engine ray --workers {workers} (a local Ray instance when RAY_ADDRESS is not set), or --workers 1."
        )


def fastest_precision() -> str:
    """bfloat16 where the CPU multiplies it natively (AMX or AVX512-BF16), float32 elsewhere.

    On the 2-core AMX machine bf16 ran 3.2x faster than float32 with 99.8% identical labels and macro-F1
    within 0.2 points on 512 real-news statements (docs/inference.md).
    """
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    native = any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)
    return "bfloat16" if native else "float32"
