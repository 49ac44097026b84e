"""The active-learning experiment on small data (stancelab.annotate.simulate)."""

from __future__ import annotations

import json

import pytest

from stancelab.annotate.simulate import SimulationConfig, labels_to_reach, run_simulation, savings
from stancelab.data.io import InputError

from conftest import example_rows, write_jsonl


def test_savings_read_off_the_mean_curves():
    means = {
        "random": {"labels": [20, 40, 60, 80], "mean": [0.30, 0.40, 0.50, 0.60]},
        "uncertainty": {"labels": [20, 40, 60, 80], "mean": [0.30, 0.50, 0.60, 0.65]},
    }
    assert labels_to_reach(means["uncertainty"], 0.60) == 60
    assert savings(means, (60, 80)) == [
        {"random_labels": 60, "random_f1": 0.5, "uncertainty_labels": 40, "uncertainty_saved": 20},
        {"random_labels": 80, "random_f1": 0.6, "uncertainty_labels": 60, "uncertainty_saved": 20},
    ]


def test_the_test_split_and_real_news_are_refused():
    with pytest.raises(InputError, match=r"^simulate: dev='data/processed/test.jsonl' looks like a test split"):
        run_simulation(SimulationConfig(dev="data/processed/test.jsonl"))
    with pytest.raises(InputError, match=r"^simulate: pool='../shared/realnews/dev_stance.jsonl' looks like"):
        run_simulation(SimulationConfig(pool="../shared/realnews/dev_stance.jsonl"))


def test_unknown_setting_is_named():
    with pytest.raises(InputError, match=r"^simulate: unknown setting 'rounds'; valid: pool, dev, strategies"):
        SimulationConfig.from_overrides({"rounds": "3"})
    assert SimulationConfig.from_overrides({"budget": "40", "seeds": "1,2"}).seeds == (1, 2)


def test_small_simulation_writes_table_plot_and_results(tmp_path):
    pool = write_jsonl(tmp_path / "pool.jsonl", example_rows("p") + example_rows("q") + example_rows("r"))
    dev = write_jsonl(tmp_path / "dev.jsonl", example_rows("d"))
    config = SimulationConfig(pool=str(pool), dev=str(dev), seeds=(1, 2), initial=6, batch=6, budget=18,
                              out=str(tmp_path / "al"))
    result = run_simulation(config)
    assert result["mean"]["random"]["labels"] == [6, 12, 18]
    curves = result["curves"]["uncertainty"]
    assert [len(c) for c in curves.values()] == [3, 3]
    # every strategy starts from the same seeded random labels, so the first point is equal across strategies
    assert len({result["curves"][s]["1"][0]["macro_f1"] for s in ("uncertainty", "margin", "random")}) == 1
    saved = json.loads((tmp_path / "al" / "results.json").read_text(encoding="utf-8"))
    assert saved["pool_size"] == 27
    assert (tmp_path / "al" / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "al" / "results.md").read_text(encoding="utf-8").startswith("| strategy |")
