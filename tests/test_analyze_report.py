"""stancelab.analyze.report: counts, net stance, stance over time, report.md and figures from the shards."""

from __future__ import annotations

import pandas as pd
import pytest

from stancelab.analyze.cli import main
from stancelab.analyze.inputs import Article
from stancelab.analyze.report import (
    ALL_ISSUES,
    actor_issue_matrix,
    label_counts,
    load_positions,
    markdown_table,
    over_time,
    write_report,
)
from stancelab.analyze.shards import Shard, commit_shard, positions_table, table_bytes

LABELS = ["support", "oppose", "conditional"]
# (article, date, actor, speaker, issue, label)
POSITIONS = [
    ("d1", "2015-01-05", "Spain", "Ana Ruiz", "the deal", "support"),
    ("d1", "2015-01-05", "Spain", "Ana Ruiz", "the deal", "support"),
    ("d1", "2015-01-05", "", "Karl Berg", "the deal", "oppose"),
    ("d2", "2015-03-02", "Spain", "Ana Ruiz", "the deal", "oppose"),
    ("d2", "2015-03-02", "Spain", "Ana Ruiz", "the levy", "conditional"),
    ("d3", None, "UNITE", "UNITE", "the strike", "oppose"),
]


def write_shards(out, positions=POSITIONS) -> None:
    """One shard per article, written the way the engines write them."""
    for n, article_id in enumerate(dict.fromkeys(p[0] for p in positions)):
        rows = [p for p in positions if p[0] == article_id]
        shard = Shard(index=n, count=3, articles=[Article(article_id, "text", date=rows[0][1], source="wire")])
        frame = pd.DataFrame([_row(*p) for p in rows])
        meta = {"name": shard.name, "articles_sha256": shard.sha256, "positions": len(rows)}
        commit_shard(out / "positions", shard.name, table_bytes(positions_table(frame, shard, LABELS, meta)))


def _row(article_id, date, actor, speaker, issue, label) -> dict:
    probs = {f"p_{lb}": 0.8 if lb == label else 0.1 for lb in LABELS}
    return {"article_id": article_id, "speaker": speaker, "actor": actor, "issue": issue, "target": issue,
            "label": label, "confidence": 0.8, "p_position": 1.0, "text": "...", "start": 0, "end": 3, **probs}


def test_label_counts_and_net_stance(tmp_path):
    write_shards(tmp_path)
    frame = load_positions(tmp_path)
    assert len(frame) == 6 and set(frame["holder"]) == {"Spain", "Karl Berg", "UNITE"}  # no actor -> the speaker
    by_issue = label_counts(frame, "issue")
    assert by_issue.loc["the deal"].to_dict() == {"support": 2, "oppose": 2, "conditional": 0, "positions": 4,
                                                  "net": 0.0}
    assert list(by_issue.index) == ["the deal", "the levy", "the strike"]  # most positions first, then net (0 > -1)
    spain = label_counts(frame, "holder").loc["Spain"]
    assert (spain["positions"], spain["net"]) == (4, round((2 - 1) / 4, 3))
    matrix = actor_issue_matrix(frame, top_actors=2, top_issues=1)
    assert matrix.index.tolist() == [("Spain", "the deal"), ("Karl Berg", "the deal")]
    assert matrix["net"].tolist() == [round(1 / 3, 3), -1.0]


def test_over_time_follows_a_pair_that_recurs(tmp_path):
    write_shards(tmp_path)
    series = over_time(load_positions(tmp_path))
    assert series.to_dict(orient="list") == {  # January 5 to March 2 spans 56 days: monthly periods
        "holder": ["Spain", "Spain"], "issue": ["the deal", "the deal"], "period": ["2015-01", "2015-03"],
        "positions": [2, 1], "net": [1.0, -1.0]}


def test_over_time_falls_back_to_all_issues_of_an_actor(tmp_path):
    positions = [("e1", "1987-02-26", "OPEC", "OPEC", "prices", "support"),
                 ("e2", "1987-03-02", "OPEC", "OPEC", "output", "oppose")]
    write_shards(tmp_path, positions)
    series = over_time(load_positions(tmp_path))
    assert series[["issue", "period", "net"]].values.tolist() == [[ALL_ISSUES, "1987-02-26", 1.0],
                                                                   [ALL_ISSUES, "1987-03-02", -1.0]]


def test_report_and_figures_are_redrawn_from_the_shards(tmp_path, capsys):
    write_shards(tmp_path)
    assert main(["report", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["actor_issue.png", "over_time.png", "positions", "report.md", "top.png"]
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "- positions: 6 from 3 articles" in text
    assert "| the deal | 2 | 2 | 0 | 4 | 0.000 |" in text
    assert "| Spain | the deal | 2015-03 | 1 | -1.000 |" in text
    assert f"wrote {tmp_path / 'report.md'}" in capsys.readouterr().err
    write_shards(tmp_path, [p for p in POSITIONS if p[0] == "d3"] * 1)  # keep only undated data in shard 0
    for extra in ("shard-00001-of-00003.parquet", "shard-00002-of-00003.parquet"):
        (tmp_path / "positions" / extra).unlink()
    write_report(tmp_path)
    assert not (tmp_path / "over_time.png").exists()  # a redraw drops a figure the data no longer has
    assert "The articles carry no dates" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_report_without_shards_says_what_to_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "found none. Fix: run `python -m stancelab.analyze --input" in capsys.readouterr().err


def test_markdown_table_escapes_pipes():
    table = pd.DataFrame({"n": [1], "net": [0.5]}, index=["a|b"])
    assert markdown_table(table, "issue") == "| issue | n | net |\n|---|---|---|\n| a\\|b | 1 | 0.500 |\n"


@pytest.mark.parametrize("column", ["holder", "issue"])
def test_matrix_rows_and_columns_come_from_the_top_lists(tmp_path, column):
    write_shards(tmp_path)
    matrix = actor_issue_matrix(load_positions(tmp_path), top_actors=1, top_issues=1)
    assert set(matrix.index.get_level_values(column)) == ({"Spain"} if column == "holder" else {"the deal"})
