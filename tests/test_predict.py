import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stancelab import predict
from stancelab.io import InputError
from stancelab.predict import ARTICLE_COLUMNS, _load_cached, main, predict_article

from conftest import LABELS, example_rows, write_jsonl


def test_predict_returns_label_and_all_probabilities(trained_run):
    results = predict(
        [{"speaker": "Ana Ruiz", "target": "the trade deal", "text": "Ruiz said the deal was good."}], model=trained_run
    )
    assert len(results) == 1
    assert results[0]["label"] in LABELS
    assert set(results[0]["probs"]) == set(LABELS)
    assert sum(results[0]["probs"].values()) == pytest.approx(1.0, abs=1e-5)


def test_saved_model_reproduces_training_time_probabilities(trained_run):
    rows = [json.loads(line) for line in (trained_run / "predictions_test.jsonl").read_text().splitlines()]
    _load_cached.cache_clear()  # force a fresh load from disk
    again = predict(rows, model=trained_run / "model")
    for row, result in zip(rows, again):
        assert result["probs"] == pytest.approx(row["probs"], abs=1e-5)


def test_order_is_kept_whatever_the_batching(trained_run):
    rows = example_rows()
    one = predict(rows, model=trained_run, batch_size=1)
    many = predict(rows, model=trained_run, batch_size=64)
    for a, b in zip(one, many):
        assert np.allclose(list(a["probs"].values()), list(b["probs"].values()), atol=1e-5)


def test_dataframe_input(trained_run):
    frame = pd.DataFrame(example_rows())
    assert [r["label"] for r in predict(frame, model=trained_run)] == [
        r["label"] for r in predict(example_rows(), model=trained_run)
    ]


def test_missing_field_and_bad_model_dir(trained_run, tmp_path):
    with pytest.raises(InputError, match=r"example 0: missing field 'speaker'"):
        predict([{"target": "t", "text": "x"}], model=trained_run)
    with pytest.raises(InputError, match=r"expected a stancelab model directory"):
        predict([{"speaker": "a", "target": "t", "text": "x"}], model=tmp_path)


def test_cli_writes_predictions(trained_run, tmp_path, capsys):
    rows = [{k: r[k] for k in ("id", "speaker", "target", "text")} for r in example_rows()]
    src = write_jsonl(tmp_path / "in.jsonl", [{**r, "article_id": "a", "speaker_affiliation": ""} for r in rows])
    out = tmp_path / "out.jsonl"
    assert main(["--model", str(trained_run), "--input", str(src), "--output", str(out)]) == 0
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(written) == 9 and all(w["predicted"] in LABELS for w in written)


SEED = Path(__file__).parents[1] / "data" / "raw" / "000_ed3b50a90a3882e0.txt"


def test_predict_article_on_the_seed_article(trained_run):
    table = predict_article(SEED, model=trained_run)
    assert list(table.columns[:10]) == ARTICLE_COLUMNS
    article = SEED.read_text(encoding="utf-8")
    assert len(table) >= 5
    assert all(article[r.start : r.end] == r.text for r in table.itertuples())
    assert "Sergey Lavrov" in set(table["speaker"])
    assert set(table["label"]) <= set(LABELS)
    assert np.allclose(table[[f"p_{lb}" for lb in LABELS]].sum(axis=1), 1.0, atol=1e-5)


def test_predict_article_accepts_text_and_rejects_empty(trained_run):
    table = predict_article('"We oppose the levy," Trade Minister Ana Ruiz said.', model=trained_run)
    assert table.loc[0, "speaker"] == "Ana Ruiz"
    with pytest.raises(InputError, match="the article text is empty"):
        predict_article("   ", model=trained_run)


def test_article_cli_prints_table_writes_csv_and_map(trained_run, tmp_path, capsys):
    out, png = tmp_path / "seed.csv", tmp_path / "map.png"
    assert main(["--model", str(trained_run), "--article", str(SEED), "--output", str(out), "--map", str(png)]) == 0
    printed = capsys.readouterr().out
    assert "Sergey Lavrov" in printed and "speaker" in printed
    assert out.read_text().splitlines()[0].startswith("speaker,speaker_affiliation,target,label,confidence")
    assert png.read_bytes()[:4] == b"\x89PNG"
