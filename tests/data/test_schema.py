import pandas as pd
import pytest

from stancelab.data.io import InputError
from stancelab.data.schema import Example, coerce_examples, read_examples, write_examples

from conftest import example_rows, write_jsonl


def test_round_trip_keeps_optional_and_unknown_fields(tmp_path):
    rows = example_rows()
    rows[0]["kind"] = "direct"
    rows[0]["annotator"] = "B"
    examples = read_examples(write_jsonl(tmp_path / "in.jsonl", rows))
    write_examples(tmp_path / "out.jsonl", examples)
    again = read_examples(tmp_path / "out.jsonl")
    assert again == examples
    assert again[0].kind == "direct" and again[0].meta == {"annotator": "B"}


def test_missing_field_names_file_line_and_field(tmp_path):
    rows = example_rows()
    del rows[1]["target"]
    with pytest.raises(InputError, match=r"in.jsonl:2: missing field 'target'\. Every example needs id, article_id"):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows))


def test_unknown_label_lists_expected_labels_and_fix(tmp_path):
    rows = example_rows()
    rows[2]["label"] = "favour"
    with pytest.raises(
        InputError,
        match=r"in.jsonl:3: unknown label 'favour'; expected one of support, oppose, "
        r"conditional\. Fix the label, or set data.labels",
    ):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows))


def test_custom_label_set(tmp_path):
    rows = example_rows()
    for row in rows:
        row["label"] = "FAVOR"
    examples = read_examples(write_jsonl(tmp_path / "in.jsonl", rows), labels=("FAVOR", "AGAINST"))
    assert {ex.label for ex in examples} == {"FAVOR"}


def test_required_label_missing(tmp_path):
    rows = example_rows()
    del rows[0]["label"]
    with pytest.raises(InputError, match=r"in.jsonl:1: missing field 'label'; labelled data needs one of support"):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows), require_label=True)


def test_offsets_must_span_the_text(tmp_path):
    rows = example_rows()
    rows[0]["end"] = rows[0]["end"] + 3
    with pytest.raises(InputError, match=r"in.jsonl:1: 'end - start' must equal len\(text\)"):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows))


def test_wrong_type_and_empty_text(tmp_path):
    rows = example_rows()
    rows[0]["speaker"] = 7
    with pytest.raises(InputError, match=r"in.jsonl:1: field 'speaker' must be a string, found int 7"):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows))
    rows = example_rows()
    rows[0]["text"] = "  "
    with pytest.raises(InputError, match=r"field 'text' is empty"):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows))


def test_duplicate_ids_rejected(tmp_path):
    rows = example_rows()
    rows[1]["id"] = rows[0]["id"]
    with pytest.raises(InputError, match=r"duplicate example id 'a-0'"):
        read_examples(write_jsonl(tmp_path / "in.jsonl", rows))


def test_coerce_accepts_dicts_dataframe_and_dataset():
    from datasets import Dataset

    minimal = [{"speaker": "A", "target": "t", "text": "A backed t."}]
    from_dicts = coerce_examples(minimal)
    assert isinstance(from_dicts[0], Example) and from_dicts[0].id == "0"
    assert coerce_examples(pd.DataFrame(minimal))[0].text == "A backed t."
    assert coerce_examples(Dataset.from_list(minimal))[0].target == "t"


def test_coerce_names_missing_field():
    with pytest.raises(InputError, match=r"example 0: missing field 'target'"):
        coerce_examples([{"speaker": "A", "text": "x"}])
