"""stancelab.analyze.shards: deterministic shards, atomic Parquet files with metadata, the manifest."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from stancelab.analyze.inputs import Article
from stancelab.analyze.shards import (
    check_plan,
    commit_shard,
    finished_shards,
    plan_shards,
    positions_table,
    record,
    shard_from_json,
    shard_of,
    shard_to_json,
    table_bytes,
    write_manifest,
)
from stancelab.data.io import InputError

LABELS = ["support", "oppose", "conditional"]


def articles(n: int) -> list[Article]:
    return [Article(article_id=f"a{i:02d}", text=f"text {i}", date="1987-02-26" if i % 2 else None) for i in range(n)]


def position(article_id: str, **extra) -> dict:
    row = {"article_id": article_id, "speaker": "Ana Ruiz", "actor": "Spain", "issue": "the deal", "target": "the deal",
           "label": "support", "confidence": 0.9, "p_position": 1.0, "condition": None, "relayed_by": "",
           "kind": "direct", "cue": "said", "text": "Ruiz said the deal was good.", "start": 0, "end": 28,
           "condition_start": float("nan"), "condition_end": float("nan"), "speaker_affiliation": "Spain",
           "p_support": 0.9, "p_oppose": 0.05, "p_conditional": 0.05}
    return {**row, **extra}


def meta_for(shard, positions: int = 0) -> dict:
    return {"name": shard.name, "index": shard.index, "articles_sha256": shard.sha256, "articles": len(shard.articles),
            "positions": positions, "skipped": [], "warnings": [], "seconds": 0.1}


def test_shard_depends_only_on_the_id():
    assert [shard_of("reuters-1", 4), shard_of("reuters-1", 4)] == [3, 3]
    forward = plan_shards(articles(10), shard_size=3)
    backward = plan_shards(articles(10)[::-1], shard_size=3)
    ids = [[a.article_id for a in s.articles] for s in forward]
    assert ids == [[a.article_id for a in s.articles] for s in backward]
    assert sorted(a.article_id for s in forward for a in s.articles) == [f"a{i:02d}" for i in range(10)]
    assert {s.count for s in forward} == {4} and all(s.articles == sorted(s.articles, key=lambda a: a.article_id)
                                                     for s in forward)
    assert forward[0].name == f"shard-{forward[0].index:05d}-of-00004.parquet"
    with pytest.raises(InputError, match=r"--shard-size: expected a positive number of articles per shard, found 0"):
        plan_shards(articles(3), shard_size=0)


def test_shard_json_round_trip_keeps_the_hash():
    shard = plan_shards(articles(4), shard_size=4)[0]
    again = shard_from_json(shard_to_json(shard))
    assert again.sha256 == shard.sha256 and again.articles == shard.articles
    again.articles[0].text = "changed"
    assert again.sha256 != shard.sha256


def test_positions_table_has_the_fixed_schema_and_nulls(tmp_path):
    shard = plan_shards(articles(2), shard_size=2)[0]
    frame = pd.DataFrame([position("a01", condition_start=5.0, condition_end=9.0, new_column="dropped"),
                          position("a00")])
    table = positions_table(frame, shard, LABELS, meta_for(shard, 2))
    commit_shard(tmp_path, shard.name, table_bytes(table))
    back = pq.read_table(tmp_path / shard.name)
    assert back.schema.names[:4] == ["article_id", "date", "source", "title"]
    assert back.schema.names[-3:] == ["p_support", "p_oppose", "p_conditional"]
    assert "new_column" not in back.schema.names
    assert str(back.schema.field("date").type) == "date32[day]"
    assert str(back.schema.field("condition_start").type) == "int64"
    rows = back.to_pylist()
    assert [(r["article_id"], str(r["date"]), r["condition_start"]) for r in rows] == [("a01", "1987-02-26", 5),
                                                                                      ("a00", "None", None)]
    assert json.loads(back.schema.metadata[b"stancelab"])["positions"] == 2


def test_commit_is_atomic_and_a_rerun_finds_finished_shards(tmp_path):
    shards = plan_shards(articles(6), shard_size=3)
    first = shards[0]
    data = table_bytes(positions_table(pd.DataFrame([]), first, LABELS, meta_for(first)))
    commit_shard(tmp_path, first.name, data)
    (tmp_path / f".{shards[1].name}.abc.tmp").write_bytes(data[:10])  # a half-written file of a killed run
    records = finished_shards(tmp_path, shards)
    assert list(records) == [first.name] and records[first.name] == record(meta_for(first), data)
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # the temp file is gone
    assert oct((tmp_path / first.name).stat().st_mode & 0o777) != "0o600"


def test_a_shard_written_for_other_articles_is_refused(tmp_path):
    shard = plan_shards(articles(3), shard_size=3)[0]
    stale = meta_for(shard) | {"articles_sha256": "0" * 64}
    commit_shard(tmp_path, shard.name, table_bytes(positions_table(pd.DataFrame([]), shard, LABELS, stale)))
    with pytest.raises(InputError, match=r"written for other articles than this input's shard 0\. The input or"):
        finished_shards(tmp_path, [shard])


def test_manifest_totals_and_plan_check(tmp_path):
    shards = plan_shards(articles(4), shard_size=2)
    metas = [meta_for(shards[0], 3) | {"skipped": [{"article_id": "a03", "reason": "empty: no text"}]}]
    plan = {"input": {"sha256": "x"}, "limit": None, "model": {"path": "m"}, "precision": "float32", "targets": None,
            "shard_size": 2}
    manifest = write_manifest(tmp_path, plan, {m["name"]: record(m, b"") for m in metas}, shards)
    assert {k: manifest[k] for k in ("shards_total", "shards_done", "complete", "articles_done", "articles_processed",
                                     "positions", "skipped", "skipped_per_reason")} == {
        "shards_total": len(shards), "shards_done": 1, "complete": False, "articles_done": len(shards[0].articles),
        "articles_processed": len(shards[0].articles) - 1, "positions": 3, "skipped": 1,
        "skipped_per_reason": {"empty": 1}}
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    check_plan(tmp_path, dict(plan, engine="ray"))  # the engine may change between runs
    with pytest.raises(InputError, match=r"holds a run with other settings \(limit: None then, 5 now\)\. A rerun"):
        check_plan(tmp_path, dict(plan, limit=5))
