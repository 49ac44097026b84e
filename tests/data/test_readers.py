from pathlib import Path

import pytest

from stancelab.config import ConfigError, load_config
from stancelab.data.io import InputError
from stancelab.data.readers import official_score, read_split
from stancelab.evaluate.metrics import classification_metrics

FIXTURES = Path(__file__).parents[1] / "fixtures" / "benchmarks"
CONFIGS = Path(__file__).parents[2] / "configs"


def test_semeval_reader_maps_columns_and_labels():
    config = load_config(CONFIGS / "semeval2016.yaml")
    examples = read_split(str(FIXTURES / "semeval_train.txt"), config.data)
    assert len(examples) == 6
    first = examples[0]
    assert (first.id, first.target, first.label, first.speaker) == (
        "train0",
        "Climate Change is a Real Concern",
        "FAVOR",
        "the author",
    )


def test_semeval_unknown_label_is_named(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("ID\tTarget\tTweet\tStance\n1\tAtheism\tsome tweet\tUNKNOWN\n", encoding="utf-8")
    config = load_config(CONFIGS / "semeval2016.yaml")
    with pytest.raises(InputError, match=r"bad.txt:2: unknown label 'UNKNOWN'; expected one of FAVOR, AGAINST, NONE"):
        read_split(str(bad), config.data)


def test_generic_csv_with_column_mapping():
    config = load_config(CONFIGS / "generic_csv.yaml")
    examples = read_split(str(FIXTURES / "generic.csv"), config.data)
    assert [(e.id, e.target, e.label) for e in examples][:2] == [
        ("1", "nuclear power", "pro"),
        ("2", "nuclear power", "con"),
    ]


def test_missing_column_names_the_mapping(tmp_path):
    config = load_config(CONFIGS / "generic_csv.yaml", ["data.columns={text: body, label: stance}"])
    with pytest.raises(InputError, match=r"generic.csv:2: expected column 'body' \(data.columns.text\)"):
        read_split(str(FIXTURES / "generic.csv"), config.data)


def test_semeval_official_favg_ignores_none():
    gold = ["FAVOR", "AGAINST", "NONE", "NONE"]
    pred = ["FAVOR", "NONE", "NONE", "AGAINST"]
    m = classification_metrics(gold, pred, ["FAVOR", "AGAINST", "NONE"])
    assert official_score(m, "semeval_favg") == pytest.approx((1.0 + 0.0) / 2)
    assert official_score(m, "macro_f1") == m["macro_f1"]


def test_unknown_format_rejected():
    with pytest.raises(ConfigError, match=r"'data.format' must be one of stancelab, semeval2016, csv, jsonl"):
        load_config(None, ["data.format=xml"])


def test_semeval_config_trains_end_to_end(tmp_path, tiny_encoder):
    from stancelab.train.run import train

    overrides = [f"data.{s}={FIXTURES / f'semeval_{s}.txt'}" for s in ("train", "dev", "test")] + [
        f"model.name_or_path={tiny_encoder}",
        f"train.output_dir={tmp_path}",
        "train.max_steps=2",
        "eval.baselines=[majority]",
    ]
    metrics = train(load_config(CONFIGS / "semeval2016.yaml", overrides), tmp_path / "semeval")
    assert metrics["test"]["official_metric"] == "semeval_favg"
    per_class = metrics["test"]["per_class"]
    favg = (per_class["FAVOR"]["f1"] + per_class["AGAINST"]["f1"]) / 2
    assert metrics["test"]["official_score"] == pytest.approx(favg)


# --- encodings: the official SemEval-2016 training file is Windows-1252 ---------------------------------------

CP1252_ROW = "ID\tTarget\tTweet\tStance\n1\tAtheism\t\u2018God\u2019 is a \u201cmyth\u201d \u2013 end\tAGAINST\n"


def test_semeval_file_in_windows_1252_is_read_as_shipped_with_auto(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(CP1252_ROW.encode("cp1252"))  # curly quotes as bytes 0x91-0x94, the dash as 0x96
    config = load_config(CONFIGS / "semeval2016.yaml")
    assert config.data.encoding == "auto"
    with pytest.warns(UserWarning, match=r"not valid UTF-8; read as Windows-1252 \(cp1252\)"):
        (example,) = read_split(str(path), config.data)
    assert example.text == "\u2018God\u2019 is a \u201cmyth\u201d \u2013 end"


def test_auto_reads_utf8_without_a_warning(tmp_path, recwarn):
    path = tmp_path / "test.txt"
    path.write_text(CP1252_ROW, encoding="utf-8")
    (example,) = read_split(str(path), load_config(CONFIGS / "semeval2016.yaml").data)
    assert example.text.startswith("\u2018God\u2019") and not [w for w in recwarn if "cp1252" in str(w.message)]


def test_strict_utf8_names_the_byte_and_the_setting(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(CP1252_ROW.encode("cp1252"))
    config = load_config(CONFIGS / "semeval2016.yaml", ["data.encoding=utf-8"])
    with pytest.raises(InputError, match=r"expected UTF-8 text, found byte 0x91 .* set data.encoding"):
        read_split(str(path), config.data)
    config = load_config(CONFIGS / "semeval2016.yaml", ["data.encoding=cp1252"])
    assert read_split(str(path), config.data)[0].text.endswith("\u2013 end")


def test_unknown_encoding_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'data.encoding' must be a text encoding Python knows or 'auto'"):
        load_config(CONFIGS / "semeval2016.yaml", ["data.encoding=klingon"])
