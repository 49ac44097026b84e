import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stancelab import predict
from stancelab.data.io import InputError
from stancelab.predict.article import ARTICLE_COLUMNS, predict_article
from stancelab.predict.cli import main
from stancelab.predict.loading import _has_vnni, _load_cached

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
    assert len(written) == 9 and all(w["label"] in LABELS and set(w["probs"]) == set(LABELS) for w in written)


SEED = Path(__file__).parents[2] / "data" / "raw" / "000_ed3b50a90a3882e0.txt"


def test_predict_article_on_the_seed_article(trained_run):
    table = predict_article(SEED, model=trained_run)
    assert list(table.columns[: len(ARTICLE_COLUMNS)]) == ARTICLE_COLUMNS
    article = SEED.read_text(encoding="utf-8")
    assert len(table) >= 5
    assert all(article[r.start : r.end] == r.text for r in table.itertuples())
    assert "Sergey Lavrov" in set(table["speaker"])
    assert set(table["label"]) <= set(LABELS)
    assert np.allclose(table[[f"p_{lb}" for lb in LABELS]].sum(axis=1), 1.0, atol=1e-5)


def test_predict_article_accepts_text_and_warns_on_empty(trained_run):
    from stancelab.predict.article import ArticleWarning

    table = predict_article('"We oppose the levy," Trade Minister Ana Ruiz said.', model=trained_run)
    assert table.loc[0, "speaker"] == "Ana Ruiz"
    with pytest.warns(ArticleWarning, match="found an empty article"):
        empty = predict_article("   ", model=trained_run)
    assert empty.empty and list(empty.columns[: len(ARTICLE_COLUMNS)]) == ARTICLE_COLUMNS


def test_article_cli_prints_table_writes_csv_and_map(trained_run, tmp_path, capsys):
    out, png = tmp_path / "seed.csv", tmp_path / "map.png"
    assert main(["--model", str(trained_run), "--article", str(SEED), "--output", str(out), "--map", str(png)]) == 0
    printed = capsys.readouterr().out
    assert "Sergey Lavrov" in printed and "speaker" in printed
    assert out.read_text().splitlines()[0].startswith("article_id,speaker,actor,issue,target,label,confidence")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_logits_match_one_padded_batch_of_the_plain_model(trained_run):
    """Length-sorted batches with numpy padding give the logits of one tokenizer-padded forward pass."""
    import torch

    from stancelab.data.schema import coerce_examples
    from stancelab.models.inputs import format_pair
    from stancelab.predict.inference import predict_logits
    from stancelab.predict.loading import load_model

    loaded = load_model(trained_run)
    examples = coerce_examples(example_rows())
    pairs = [format_pair(ex, loaded.spec) for ex in examples]
    batch = loaded.tokenizer(
        [a for a, _ in pairs], [b for _, b in pairs], padding=True, truncation="only_second", max_length=48,
        return_tensors="pt",
    )  # fmt: skip
    with torch.inference_mode():
        expected = loaded.model(**batch).logits.numpy()
    assert np.allclose(predict_logits(examples, loaded, batch_size=4), expected, atol=1e-5)


def test_quantized_model_is_int8_cached_separately_and_close_to_float(trained_run):
    from torch.ao.nn.quantized.dynamic import Linear as DynamicQuantizedLinear

    from stancelab.predict.loading import load_model

    plain, int8 = load_model(trained_run), load_model(trained_run, quantize=True)
    assert int8 is load_model(trained_run / "model", quantize=True) and int8 is not plain
    assert int8.quantized and not plain.quantized
    layer = int8.model.bert.encoder.layer[0]
    assert isinstance(layer.intermediate.dense, DynamicQuantizedLinear)
    assert isinstance(layer.attention.output.dense, DynamicQuantizedLinear)
    assert type(layer.attention.self.query) is torch_linear()  # attention projections stay float32
    assert isinstance(plain.model.bert.encoder.layer[0].intermediate.dense, torch_linear())
    rows = example_rows()
    for a, b in zip(predict(rows, model=plain), predict(rows, model=trained_run, quantize=True)):
        assert np.allclose(list(a["probs"].values()), list(b["probs"].values()), atol=0.02)
    assert predict(rows[:1], model=plain, quantize=True) == predict(rows[:1], model=int8)


def test_bfloat16_model_is_cached_separately_and_gives_the_float_labels(trained_run):
    import torch

    from stancelab.predict.loading import load_model

    plain, bf16 = load_model(trained_run), load_model(trained_run, precision="bfloat16")
    assert bf16 is load_model(trained_run / "model", precision="bfloat16") and bf16 is not plain
    assert bf16.precision == "bfloat16" and not bf16.quantized
    assert next(bf16.model.parameters()).dtype == torch.bfloat16
    assert next(plain.model.parameters()).dtype == torch.float32  # the float copy is untouched
    rows = example_rows()
    fast = predict(rows, model=plain, precision="bfloat16")
    for a, b in zip(predict(rows, model=plain), fast):
        assert np.allclose(list(a["probs"].values()), list(b["probs"].values()), atol=0.03)
        assert isinstance(b["probs"]["support"], float)
    assert predict(rows, model=bf16) == fast  # a loaded model keeps its precision unless told otherwise


def test_unknown_precision_names_the_choices(trained_run):
    with pytest.raises(InputError, match=r"precision must be one of float32, bfloat16, int8, found 'fp8'"):
        predict(example_rows(), model=trained_run, precision="fp8")
    with pytest.raises(InputError, match=r"quantize=True asks for int8"):
        predict(example_rows(), model=trained_run, precision="bfloat16", quantize=True)


def test_cli_precision(trained_run, tmp_path):

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in example_rows()), encoding="utf-8")
    args = ["--model", str(trained_run), "--input", str(src), "--output", str(out)]
    assert main([*args, "--precision", "bfloat16"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(example_rows())
    with pytest.raises(SystemExit):
        main([*args, "--precision", "fp8"])


def torch_linear():
    import torch

    return torch.nn.Linear


def test_cli_quantize_and_max_length(trained_run, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", example_rows())
    out = tmp_path / "out.jsonl"
    args = ["--model", str(trained_run), "--input", str(src), "--output", str(out), "--quantize", "--max-length", "64"]
    assert main(args) == 0
    assert [json.loads(line)["label"] in LABELS for line in out.read_text().splitlines()] == [True] * 9


def test_missing_text_and_empty_text(trained_run):
    with pytest.raises(InputError, match=r"^example 0: missing field 'text'\."):
        predict([{"speaker": "a", "target": "t"}], model=trained_run)
    with pytest.raises(
        InputError, match=r"^example 1: field 'text' is empty\. Give the statement text or drop the example\.$"
    ):
        predict(
            [{"speaker": "a", "target": "t", "text": "x"}, {"speaker": "a", "target": "t", "text": "  "}], trained_run
        )


LONG_TEXT = " ".join(["Ruiz said the trade deal was good for farmers."] * 8)  # 80 tokens: over 48, under 128


def test_over_long_text_is_truncated_with_a_warning_that_says_how_to_raise_the_limit(trained_run):
    import re
    import warnings

    rows = [{"speaker": "Ana Ruiz", "target": "the trade deal", "text": t} for t in (LONG_TEXT, "Ruiz said no.")]
    message = (
        "1 of 2 examples are longer than max_length=48 tokens and were truncated: the model does not see the end "
        "of their text. Fix: pass shorter texts, or raise the limit with predict(..., max_length=N) or "
        "--max-length N (at most 128, the encoder's limit)."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        truncated = predict(rows, model=trained_run)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = predict(rows, model=trained_run, max_length=128)
    assert truncated[1]["probs"] == pytest.approx(full[1]["probs"])  # the short example is untouched


def test_bad_max_length_batch_size_and_crowded_first_segment(trained_run):
    row = {"speaker": "Ana Ruiz", "target": "the trade deal", "text": "Ruiz said no."}
    with pytest.raises(
        InputError, match=r"^max_length must be at most 128 \(the encoder's max_position_embeddings\), "
    ):
        predict([row], model=trained_run, max_length=1000)
    with pytest.raises(InputError, match=r"^batch_size must be a positive integer, found 0\.$"):
        predict([row], model=trained_run, batch_size=0)
    crowded = {**row, "target": " ".join(["the trade deal"] * 20)}
    with pytest.raises(InputError, match=r"^example 1: speaker and target take 63 tokens \(template '\{speaker\} \| "):
        predict([row, crowded], model=trained_run)


def test_incomplete_model_directory_names_the_missing_files(trained_run, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(trained_run / "model", broken)
    (broken / "model.safetensors").rename(broken / "pytorch_model.bin")
    with pytest.raises(InputError, match=r"broken: incomplete model directory, missing model\.safetensors\. It has "):
        predict([{"speaker": "a", "target": "t", "text": "x"}], model=broken)
    (broken / "config.json").unlink()
    with pytest.raises(InputError, match=r"missing config\.json, model\.safetensors\. .* Fix: pass a run whose"):
        predict([{"speaker": "a", "target": "t", "text": "x"}], model=broken)
    (broken / "stancelab.json").unlink()
    with pytest.raises(InputError, match=r"broken: expected a stancelab model directory"):
        predict([{"speaker": "a", "target": "t", "text": "x"}], model=broken)


@pytest.mark.skipif(not _has_vnni(), reason="8-bit activations are used only on CPUs with VNNI")
def test_full_range_int8_linear_is_closer_to_float_than_torchs_7_bit_one():
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicQuantizedLinear
    from torch.ao.quantization import per_channel_dynamic_qconfig

    from stancelab.predict.loading import _full_range_int8_linear

    torch.manual_seed(0)
    layer, x = torch.nn.Linear(64, 32), torch.randn(16, 64)
    layer.qconfig = per_channel_dynamic_qconfig
    errors = [
        (cls.from_float(layer)(x) - layer(x)).abs().max().item()
        for cls in (_full_range_int8_linear(), DynamicQuantizedLinear)
    ]
    assert errors[0] < errors[1]


def test_bench_flop_formula_matches_torchs_counter_with_eager_attention(trained_run):
    """bench/bench_predict.py reports GFLOP/s from a formula; torch counts the same with eager attention."""
    import importlib.util

    from stancelab.predict.loading import load_model

    spec = importlib.util.spec_from_file_location("bench_predict", Path(__file__).parents[2] / "bench/bench_predict.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    loaded = load_model(trained_run)
    loaded.model.set_attn_implementation("eager")  # sdpa on CPU is not counted by FlopCounterMode
    try:
        counted = bench.counted_flops(loaded, batch=2, length=16)
    finally:
        loaded.model.set_attn_implementation("sdpa")
    assert counted == 2 * bench.flops_per_sequence(loaded.model.config, 16, len(LABELS))
