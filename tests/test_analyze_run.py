"""stancelab.analyze end to end on the tiny run: counts, resumption after SIGKILL, exit codes and messages."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from stancelab.analyze import NothingProduced, analyze, load_positions
from stancelab.analyze.cli import main
from stancelab.data.io import InputError

from conftest import ROWS

ROOT = Path(__file__).resolve().parents[1]
# Three sentences per article from the fixture rows: each has attributed statements the builder finds.
TEXTS = [" ".join(row[3] for row in ROWS[i : i + 3]) for i in range(0, 9, 3)]


def write_archive(folder: Path, n_good: int = 6) -> Path:
    """``n_good`` good .txt articles and one of each bad kind (empty, not UTF-8, HTML soup)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n_good):
        (folder / f"art{i}.txt").write_text(TEXTS[i % 3], encoding="utf-8")
    (folder / "bad_empty.txt").write_text("\n", encoding="utf-8")
    (folder / "bad_latin1.txt").write_bytes("Ruiz a dit: très bien.".encode("latin-1"))
    (folder / "bad_soup.txt").write_text("<div>" * 20 + TEXTS[0] + "</div>" * 20, encoding="utf-8")
    return folder


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """mtime and SHA-256 of every shard file: a shard that is not redone keeps both."""
    return {p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted((folder / "positions").iterdir())}


def test_an_archive_run_counts_everything_and_a_rerun_redoes_nothing(tmp_path, trained_run):
    archive = write_archive(tmp_path / "news")
    out = tmp_path / "out"
    manifest = analyze(archive, trained_run, out, shard_size=3, quiet=True, precision="float32")
    frame = load_positions(out)
    assert {k: manifest[k] for k in ("articles_done", "articles_processed", "skipped", "skipped_per_reason",
                                     "complete", "shards_done")} == {
        "articles_done": 9, "articles_processed": 6, "skipped": 3, "complete": True, "shards_done": 3,
        "skipped_per_reason": {"empty": 1, "html": 1, "not_utf8": 1}}
    assert [s["article_id"] for s in manifest["skipped_articles"]] == ["bad_empty", "bad_latin1", "bad_soup"]
    assert manifest["positions"] == len(frame) == sum(s["positions"] for s in manifest["shards"].values())
    assert sorted(frame["article_id"].unique()) == [f"art{i}" for i in range(6)]
    # the same text gives the same positions whichever shard it landed in
    per_article = frame.groupby("article_id").size()
    assert per_article["art0"] == per_article["art3"] and per_article["art1"] == per_article["art4"]
    assert not frame.duplicated(["article_id", "start", "end", "target", "speaker"]).any()
    assert (out / "report.md").is_file() and (out / "actor_issue.png").is_file()
    before = fingerprint(out)
    again = analyze(archive, trained_run, out, shard_size=3, quiet=True, precision="float32")
    assert fingerprint(out) == before and again["positions"] == manifest["positions"]


def test_a_rerun_with_other_settings_is_refused(tmp_path, trained_run):
    archive = write_archive(tmp_path / "news", n_good=2)
    out = tmp_path / "out"
    analyze(archive, trained_run, out, shard_size=5, quiet=True, precision="float32", report=False)
    with pytest.raises(InputError, match=r"holds a run with other settings \(shard_size: 5 then, 2 now\)"):
        analyze(archive, trained_run, out, shard_size=2, quiet=True, precision="float32")


def test_nothing_useful_is_an_error_with_the_reasons(tmp_path, trained_run, capsys):
    archive = tmp_path / "bad"
    archive.mkdir()
    (archive / "a.txt").write_text(" ", encoding="utf-8")
    (archive / "b.txt").write_bytes(b"\xff\xfe")
    expected = r"no article could be processed: all 2 were skipped \(1 empty, 1 not_utf8"
    with pytest.raises(NothingProduced, match=expected):
        analyze(archive, trained_run, tmp_path / "out", quiet=True)
    (archive / "c.txt").write_text("The weather was fine all week.", encoding="utf-8")
    args = ["--input", str(archive), "--model", str(trained_run), "--output", str(tmp_path / "out2"), "--quiet"]
    assert main(args) == 1
    assert "1 articles were processed but no position was found in any of them" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [(["--workers", "2"], r"--workers 2 with --engine local: the local engine runs in one process\. Fix: use "
                          r"--engine ray --workers 2"),
     (["--batch-size", "0"], r"--batch-size: expected a positive number of statements per forward pass, found 0"),
     (["--limit", "0"], r"--limit: expected a positive number of articles, found 0"),
     (["--shard-size", "0"], r"--shard-size: expected a positive number of articles per shard, found 0")],
)
def test_bad_options_exit_2_with_the_fix(tmp_path, trained_run, capsys, extra, message):
    archive = write_archive(tmp_path / "news", n_good=1)
    args = ["--input", str(archive), "--model", str(trained_run), "--output", str(tmp_path / "out"), *extra]
    assert main(args) == 2
    assert re.search(message, capsys.readouterr().err)


def test_missing_model_is_named(tmp_path, capsys):
    archive = write_archive(tmp_path / "news", n_good=1)
    assert main(["--input", str(archive), "--model", str(tmp_path / "nope"), "--output", str(tmp_path / "o")]) == 2
    assert "expected a stancelab model directory" in capsys.readouterr().err


def test_limit_and_jsonl_with_dates_reach_the_parquet(tmp_path, trained_run):
    path = tmp_path / "wire.jsonl"
    rows = [{"id": f"w{i}", "text": TEXTS[i % 3], "date": f"{i + 1}-MAR-1987 10:00:00.00", "source": "Reuters"}
            for i in range(4)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    manifest = analyze(path, trained_run, tmp_path / "out", limit=2, quiet=True, report=False)
    frame = load_positions(tmp_path / "out")
    assert manifest["articles_done"] == 2 and sorted(frame["article_id"].unique()) == ["w0", "w1"]
    assert sorted(frame["date"].astype(str).unique()) == ["1987-03-01", "1987-03-02"]
    assert set(frame["source"]) == {"Reuters"}


# The run below is killed with SIGKILL half-way through writing the second shard's temporary file, after
# the first shard's file is in place but before the manifest knows about it (its update is held back).
KILLER = """
import os, signal, sys
from stancelab.analyze import run

real_commit, real_manifest = run.commit_shard, run.write_manifest
def commit_or_die(positions_dir, name, data):
    if any(positions_dir.glob("shard-*.parquet")):  # the second shard: leave half a temp file, then die
        (positions_dir / f".{name}.killed.tmp").write_bytes(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return real_commit(positions_dir, name, data)
def first_manifest_only(out, plan, records, shards):
    return real_manifest(out, plan, {}, shards)
run.commit_shard, run.write_manifest = commit_or_die, first_manifest_only
from stancelab.analyze.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_at_any_point_then_rerun_finishes_without_redoing_or_duplicating(tmp_path, trained_run):
    archive = write_archive(tmp_path / "news")
    out = tmp_path / "out"
    args = ["--input", str(archive), "--model", str(trained_run), "--output", str(out), "--shard-size", "3",
            "--precision", "float32", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    killed_run = subprocess.run([sys.executable, "-c", KILLER, *args], env=env, capture_output=True, text=True)
    assert killed_run.returncode == -9, killed_run.stderr
    (done,) = (out / "positions").glob("shard-*.parquet")
    assert [p.name for p in (out / "positions").iterdir() if p.name.endswith(".tmp")]  # half-written file left
    assert json.loads((out / "manifest.json").read_text())["shards_done"] == 0
    killed = fingerprint(out)
    rerun = subprocess.run([sys.executable, "-m", "stancelab.analyze", *args], env=env, capture_output=True,
                           text=True)
    assert rerun.returncode == 0, rerun.stderr
    after = fingerprint(out)
    assert sorted(after) == sorted(p.name for p in (out / "positions").glob("shard-*.parquet")) and len(after) == 3
    assert after[done.name] == killed[done.name]  # the finished shard was not redone
    clean = tmp_path / "clean"
    analyze(archive, trained_run, clean, shard_size=3, quiet=True, precision="float32", report=False)
    key = ["article_id", "start", "end", "target", "speaker"]
    resumed, reference = (load_positions(d).sort_values(key, ignore_index=True) for d in (out, clean))
    pd.testing.assert_frame_equal(resumed, reference)  # no duplicate, lost or half-written rows
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["complete"], manifest["positions"], manifest["skipped"]) == (True, len(reference), 3)
