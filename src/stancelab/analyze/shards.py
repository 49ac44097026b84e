"""Shards of an archive run: which article goes where, one Parquet file per shard, and the manifest.

An article's shard is ``sha256(article_id) mod n_shards``, so it depends only on its id and the shard
count, never on the engine, the worker or the order of the input. Each shard is written to
``<out>/positions/shard-00003-of-00016.parquet`` through a temporary file and ``os.replace``: a file under
that name is always complete. Its Parquet metadata (key ``stancelab``) records the shard's articles hash,
counts and skipped articles, so a rerun knows from the files alone what is done, and the manifest
(``<out>/manifest.json``) is rebuilt from them after every shard: a kill between the two loses nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancelab.analyze.inputs import Article
from stancelab.data.io import InputError, atomic_write_json, sha256_file

MANIFEST_VERSION = 1
DEFAULT_SHARD_SIZE = 200  # articles per shard: issues are clustered within a shard (predict_articles)
META_KEY = b"stancelab"
# The positions table: the article's own fields, then predict_articles' columns (stancelab.predict), typed.
ARTICLE_FIELDS = {"article_id": "string", "date": "date32", "source": "string", "title": "string"}
POSITION_FIELDS = {
    "speaker": "string", "actor": "string", "issue": "string", "target": "string", "label": "string",
    "confidence": "float64", "p_position": "float64", "condition": "string", "relayed_by": "string",
    "kind": "string", "cue": "string", "text": "string", "start": "int64", "end": "int64",
    "condition_start": "int64", "condition_end": "int64", "speaker_affiliation": "string",
}


@dataclass
class Shard:
    """One shard's articles (sorted by id) and the hash that identifies them."""

    index: int
    count: int
    articles: list[Article] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"shard-{self.index:05d}-of-{self.count:05d}.parquet"

    @property
    def sha256(self) -> str:
        """Hash of the shard's ids, texts and metadata: a finished file is reused only for the same articles."""
        digest = hashlib.sha256()
        for article in self.articles:
            digest.update(json.dumps(article.to_dict(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
        return digest.hexdigest()


def shard_to_json(shard: Shard) -> str:
    """A shard as JSON text (how shards travel to Ray workers: plain data, no pickle of our objects)."""
    return json.dumps({"index": shard.index, "count": shard.count, "articles": [a.to_dict() for a in shard.articles]},
                      ensure_ascii=False)


def shard_from_json(text: str) -> Shard:
    data = json.loads(text)
    return Shard(index=data["index"], count=data["count"], articles=[Article(**a) for a in data["articles"]])


def shard_of(article_id: str, count: int) -> int:
    """The shard of an article: a hash of its id, so it never depends on input order or engine.

    >>> shard_of("reuters-1", 4)
    3
    """
    return int(hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:16], 16) % count


def plan_shards(articles: list[Article], shard_size: int = DEFAULT_SHARD_SIZE) -> list[Shard]:
    """Split the articles into ``ceil(n / shard_size)`` shards by id hash; empty shards are dropped."""
    if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size < 1:
        raise InputError(f"--shard-size: expected a positive number of articles per shard, found {shard_size!r}.")
    count = max(1, math.ceil(len(articles) / shard_size))
    shards = [Shard(index=i, count=count) for i in range(count)]
    for article in articles:
        shards[shard_of(article.article_id, count)].articles.append(article)
    for shard in shards:
        shard.articles.sort(key=lambda a: a.article_id)
    return [shard for shard in shards if shard.articles]


# ---------------------------------------------------------------------------------------------------
# Parquet files
# ---------------------------------------------------------------------------------------------------


def positions_schema(labels: list[str]) -> Any:
    """The Arrow schema of every shard: article fields, position fields, then ``p_<label>`` per label."""
    import pyarrow as pa

    types = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64(), "date32": pa.date32()}
    fields = {**ARTICLE_FIELDS, **POSITION_FIELDS, **{f"p_{label}": "float64" for label in labels}}
    return pa.schema([pa.field(name, types[kind]) for name, kind in fields.items()])


def positions_table(frame: Any, shard: Shard, labels: list[str], meta: dict[str, Any]) -> Any:
    """A ``predict_articles`` DataFrame as an Arrow table of the fixed schema, with the shard's metadata.

    Columns that predict_articles may add later are left out: the schema is the files' contract.
    """
    import pyarrow as pa

    schema = positions_schema(labels)
    by_id = {a.article_id: a for a in shard.articles}
    records = [_record(row, by_id[row["article_id"]], schema) for row in frame.to_dict(orient="records")]
    table = pa.Table.from_pylist(records, schema=schema)
    return table.replace_schema_metadata({META_KEY: json.dumps(meta, ensure_ascii=False).encode("utf-8")})


def _record(row: dict[str, Any], article: Article, schema: Any) -> dict[str, Any]:
    import datetime as dt

    record = {name: _clean(row.get(name), str(schema.field(name).type)) for name in schema.names}
    record.update(article_id=article.article_id, source=article.source, title=article.title)
    record["date"] = dt.date.fromisoformat(article.date) if article.date else None
    return record


def _clean(value: Any, kind: str) -> Any:
    """pandas' NaN/None as null; offsets that pandas made float (a column with missing values) as int."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if kind == "int64":
        return int(value)
    if kind == "double":
        return float(value)
    return value if kind != "string" else str(value)


def table_bytes(table: Any) -> bytes:
    """A table as Parquet bytes (what a Ray worker hands back to the driver, which writes the file)."""
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def commit_shard(positions_dir: Path, name: str, data: bytes) -> Path:
    """Write a shard's Parquet bytes under ``name`` atomically: temp file, fsync, ``os.replace``."""
    positions_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=positions_dir, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a shard is read by others (Spark, DuckDB)
        os.replace(tmp, positions_dir / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return positions_dir / name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def shard_meta(path: Path) -> dict[str, Any]:
    """The ``stancelab`` metadata of a written shard file."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    if META_KEY not in metadata:
        raise InputError(f"{path}: a Parquet file without stancelab shard metadata. Fix: remove it and rerun.")
    return json.loads(metadata[META_KEY])


def finished_shards(positions_dir: Path, shards: list[Shard]) -> dict[str, dict[str, Any]]:
    """``{file name: shard record}`` for the shards already written for the same articles.

    Stale temp files of a killed run are removed first (they are never a finished shard). A file under a
    shard's name but for other articles means the input changed under the output folder: that is
    refused rather than mixed.
    """
    for tmp in positions_dir.glob(".shard-*.tmp"):
        tmp.unlink()
    records = {}
    for shard in shards:
        path = positions_dir / shard.name
        if not path.exists():
            continue
        meta = shard_meta(path)
        if meta["articles_sha256"] != shard.sha256:
            raise InputError(
                f"{path}: written for other articles than this input's shard {shard.index}. The input or --limit "
                "changed since that run. Fix: use a new --output folder, or delete the old one."
            )
        records[shard.name] = {**meta, "file_sha256": sha256_file(path)}
    return records


def record(meta: dict[str, Any], data: bytes) -> dict[str, Any]:
    """A shard's manifest record: its metadata and the hash of the file written from ``data``."""
    return {**meta, "file_sha256": hashlib.sha256(data).hexdigest()}


# ---------------------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------------------


def write_manifest(out: Path, plan: dict[str, Any], records: dict[str, dict[str, Any]], shards: list[Shard]) -> dict:
    """Write ``<out>/manifest.json``: the plan, totals over the finished shards, and every skipped article."""
    done = [records[s.name] for s in shards if s.name in records]
    skipped = [entry for meta in done for entry in meta["skipped"]]
    manifest = {
        **plan,
        "shards_total": len(shards),
        "shards_done": len(done),
        "complete": len(done) == len(shards),
        "articles_done": sum(m["articles"] for m in done),
        "articles_processed": sum(m["articles"] - len(m["skipped"]) for m in done),
        "positions": sum(m["positions"] for m in done),
        "skipped": len(skipped),
        "skipped_per_reason": dict(sorted(Counter(s["reason"].split(":")[0] for s in skipped).items())),
        "skipped_articles": sorted(skipped, key=lambda s: s["article_id"]),
        "warnings": sorted({w for meta in done for w in meta["warnings"]}),
        "shards": {
            m["name"]: {k: m[k] for k in ("articles", "positions", "seconds", "file_sha256")} for m in done
        },
    }
    atomic_write_json(out / "manifest.json", manifest)
    return manifest


PLAN_KEYS = ("input", "limit", "model", "precision", "targets", "shard_size")


def check_plan(out: Path, plan: dict[str, Any]) -> None:
    """Refuse to resume into a folder made from another input, model, precision or shard plan."""
    path = out / "manifest.json"
    if not path.exists():
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    changed = [k for k in PLAN_KEYS if old.get(k) != plan.get(k)]
    if changed:
        details = "; ".join(f"{k}: {old.get(k)!r} then, {plan.get(k)!r} now" for k in changed)
        raise InputError(
            f"--output {out}: holds a run with other settings ({details}). A rerun resumes only the same command. "
            "Fix: use a new --output folder, or delete the old one."
        )
