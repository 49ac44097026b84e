"""stancelab.analyze on Ray Data: the same shards as the local engine; a clear error without Ray installed."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

from stancelab.analyze import analyze, load_positions
from stancelab.data.io import InputError

from conftest import ROWS

TEXTS = [" ".join(row[3] for row in ROWS[i : i + 3]) for i in range(0, 9, 3)]


def write_wire(path):
    rows = [{"id": f"w{i}", "text": TEXTS[i % 3], "date": f"{i + 1}-MAR-1987 10:00:00.00"} for i in range(4)]
    rows.append({"id": "w-empty", "text": ""})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_without_ray_the_error_names_the_extra(tmp_path, trained_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(InputError, match=r'--engine ray: Ray is not installed\. Fix: pip install -e "\.\[scale\]"'):
        analyze(write_wire(tmp_path / "w.jsonl"), trained_run, tmp_path / "out", engine="ray", quiet=True)


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_with_two_workers_writes_the_same_positions_as_local(tmp_path, trained_run, local_ray):
    wire = write_wire(tmp_path / "w.jsonl")
    common = dict(shard_size=2, quiet=True, precision="float32", report=False)
    on_ray = analyze(wire, trained_run, tmp_path / "ray", engine="ray", workers=2, **common)
    local = analyze(wire, trained_run, tmp_path / "local", **common)
    for key in ("articles_done", "articles_processed", "positions", "skipped_per_reason", "shards_done"):
        assert on_ray[key] == local[key]
    assert on_ray["complete"] and on_ray["shards_done"] == on_ray["shards_total"] >= 2
    assert on_ray["skipped_per_reason"] == {"empty": 1}
    key = ["article_id", "start", "end", "target", "speaker"]
    pd.testing.assert_frame_equal(load_positions(tmp_path / "ray").sort_values(key, ignore_index=True),
                                  load_positions(tmp_path / "local").sort_values(key, ignore_index=True))
    # a rerun on Ray finds every shard done and starts no worker
    assert analyze(wire, trained_run, tmp_path / "ray", engine="ray", workers=2, **common)["positions"] == \
        on_ray["positions"]
