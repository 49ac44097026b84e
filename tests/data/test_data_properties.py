"""Property tests of the readers: whatever bytes a file holds, a reader returns exactly what is there or
raises InputError, never another exception; whatever rows are written with atomic_write_jsonl read back."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hypothesis_profiles import scaled  # loads the profile (HYPOTHESIS_PROFILE) before the tests are defined
from stancelab.config import DataConfig
from stancelab.data.io import InputError, atomic_write_jsonl, read_jsonl_objects, read_text
from stancelab.data.readers import read_split
from stancelab.data.schema import Example, example_from_dict, read_examples, write_examples

# Characters that trip line-based readers: every line break str.splitlines() knows, BOM, NUL, quotes.
TRICKY = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufeff\x00\"'“”,\t{}[]:\\"
texts = st.text(st.characters(codec="utf-8") | st.sampled_from(TRICKY), max_size=200)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=12
)
json_rows = st.dictionaries(texts, json_values, max_size=6)


_SCRATCH = tempfile.TemporaryDirectory(prefix="stancelab-props-")  # removed when the test process ends


def _file(data: bytes, name: str = "f.txt") -> Path:
    """``data`` in a scratch file; each example overwrites the last one's (pytest's tmp_path is shared by
    all examples of a test anyway), so thousands of examples leave one small folder, removed at exit."""
    path = Path(_SCRATCH.name) / name
    path.write_bytes(data)
    return path


# --- read_text --------------------------------------------------------------------------------------


@settings(max_examples=scaled(100))
@given(st.text(st.characters(codec="utf-8") | st.sampled_from(TRICKY)))
def test_read_text_returns_any_utf8_text_exactly(text):
    assert read_text(_file(text.encode("utf-8"))) == text


@settings(max_examples=scaled(100))
@given(st.binary(max_size=300))
@example(b"caf\xe9")
@example(b"\xef\xbb\xbfbom")
@example(b"\xed\xa0\x80")  # an encoded surrogate: not UTF-8
def test_read_text_of_any_bytes_is_exact_or_input_error(data):
    path = _file(data)
    try:
        expected = data.decode("utf-8")
    except UnicodeDecodeError as err:
        with pytest.raises(InputError, match=rf"expected UTF-8 text, found byte 0x.. at offset {err.start}\b"):
            read_text(path)
    else:
        assert read_text(path) == expected


def test_read_text_of_a_folder_is_input_error(tmp_path):
    with pytest.raises(InputError, match=r"expected a file, found a folder"):
        read_text(tmp_path)
    with pytest.raises(InputError, match=r"expected a file, found a folder"):
        read_jsonl_objects(tmp_path)


# --- read_jsonl_objects -----------------------------------------------------------------------------


@settings(max_examples=scaled(100))
@given(st.lists(json_rows, min_size=1, max_size=5))
@example([{"text": "line\u2028separator"}, {"text": "next\x85line"}])
@example([{"t": "\u2029"}])
def test_jsonl_round_trip_of_any_rows(rows):
    path = atomic_write_jsonl(_file(b"", "rows.jsonl"), rows)
    back = read_jsonl_objects(path)
    assert [obj for _, obj in back] == rows
    assert [lineno for lineno, _ in back] == list(range(1, len(rows) + 1))


def _jsonl_bytes():
    """Mostly JSONL-shaped bytes: good lines, broken lines, blank lines, stray bytes, deep nesting."""
    good = json_rows.map(lambda row: json.dumps(row, ensure_ascii=False).encode("utf-8"))
    shaped = st.sampled_from([b"", b"   ", b"[1, 2]", b"null", b'"x"', b"{", b'{"a": }', b"NaN", b"\xff\xfe"])
    deep = st.integers(1, 50_000).map(lambda n: b"[" * n + b"]" * n)
    deep_obj = st.integers(1, 50_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)
    surrogate = st.sampled_from(
        [b'{"a": "\\ud800"}', b'{"\\udfff": 1}', b'{"a": ["\\ud83d"]}', b'{"ok": "\\ud83d\\ude00"}']
    )
    odd_numbers = st.sampled_from([b'{"n": ' + b"7" * 5000 + b"}", b'{"n": NaN, "m": -Infinity}', b'{"n": 1e999}'])
    line = good | shaped | deep | deep_obj | surrogate | odd_numbers | st.binary(max_size=40)
    sep = st.sampled_from([b"\n", b"\r\n", b"\r", "\u2028".encode()])
    return st.lists(st.tuples(line, sep), max_size=6).map(lambda parts: b"".join(a + b for a, b in parts))


@settings(max_examples=scaled(150))
@given(_jsonl_bytes())
@example(b"[" * 100_000 + b"]" * 100_000)
@example(b'{"a": "\\ud800"}\n')
@example(b'{"n": ' + b"7" * 5000 + b"}")
def test_read_jsonl_of_any_bytes_is_objects_or_input_error(data):
    path = _file(data, "any.jsonl")
    try:
        rows = read_jsonl_objects(path)
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    assert rows and all(isinstance(obj, dict) for _, obj in rows)
    numbers = [lineno for lineno, _ in rows]
    assert numbers == sorted(set(numbers))
    # what was read can be written back and read again unchanged (no lone surrogates slip through)
    again = read_jsonl_objects(atomic_write_jsonl(_file(b"", "again.jsonl"), [obj for _, obj in rows]))
    assert json.dumps([obj for _, obj in again]) == json.dumps([obj for _, obj in rows])  # NaN != NaN


def test_jsonl_line_numbers_count_newlines_only(tmp_path):
    path = tmp_path / "sep.jsonl"
    path.write_text('{"a": "x\u2028y"}\n\n{"b": 1}\r\n', encoding="utf-8")
    assert read_jsonl_objects(path) == [(1, {"a": "x\u2028y"}), (3, {"b": 1})]


# --- read_examples (the schema) ---------------------------------------------------------------------

LABELS = ("support", "oppose", "conditional")
example_dicts = (
    st.fixed_dictionaries(
        {
            "id": texts,
            "article_id": texts,
            "speaker": texts,
            "speaker_affiliation": texts,
            "target": texts,
            "text": texts,
        },
        optional={
            "label": st.sampled_from(LABELS) | texts | st.none(),
            "start": st.integers(-2, 400) | st.none() | st.booleans(),
            "end": st.integers(-2, 400) | st.none(),
            "kind": st.sampled_from(["direct", "indirect"]) | json_values,
            "note": texts | st.integers(),
            "meta": json_values,
            "extra": json_values,
            "speaker_start": st.integers(-1, 50) | st.floats(0, 5),
        },
    )
    | json_rows
)


@settings(max_examples=scaled(100))
@given(st.lists(example_dicts, min_size=1, max_size=4))
def test_read_examples_of_any_rows_is_examples_or_input_error(rows):
    path = atomic_write_jsonl(_file(b"", "examples.jsonl"), rows)
    try:
        examples = read_examples(path, labels=LABELS)
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    assert len(examples) == len(rows) and all(isinstance(ex, Example) for ex in examples)
    for ex in examples:
        if ex.start is not None:
            assert ex.end - ex.start == len(ex.text)
    # write_examples -> read_examples gives the same examples back
    again = read_examples(write_examples(_file(b"", "again.jsonl"), examples), labels=LABELS)
    assert again == examples


@settings(max_examples=scaled(100))
@given(example_dicts)
def test_example_from_dict_is_example_or_input_error(row):
    try:
        ex = example_from_dict(row, labels=LABELS, where="row")
    except InputError as err:
        assert str(err).startswith("row: ")
        return
    assert example_from_dict(ex.to_dict(), labels=LABELS) == ex


# --- data/readers.py: csv, semeval, generic jsonl ----------------------------------------------------

CONFIG = DataConfig(  # the real data section, so every setting the readers use has its default
    labels=["FAVOR", "AGAINST", "NONE"],
    columns={"text": "tweet", "label": "stance", "target": "topic"},
    default_speaker="author",
    default_target="the topic",
)

cells = st.text(st.characters(codec="utf-8") | st.sampled_from(TRICKY + "\t"), max_size=30) | st.sampled_from(
    ["FAVOR", "AGAINST", "NONE"]
)


def _table(delimiter: str):
    """Delimited text built from arbitrary cells, sometimes with a short or long row or a huge cell."""
    header = st.sampled_from([["tweet", "stance", "topic"], ["ID", "Target", "Tweet", "Stance"], ["a", "b"]])
    body = st.lists(st.lists(cells, min_size=0, max_size=5), max_size=4)
    huge = st.sampled_from(["", "x" * 140_000])

    def render(parts):
        head, rows, big = parts
        lines = [delimiter.join(head)] + [delimiter.join(r) for r in rows]
        if big:
            lines.append(delimiter.join([f'"{big}"', "FAVOR", "t"]))
        return "\n".join(lines)

    return st.tuples(header, body, huge).map(render)


@settings(max_examples=scaled(100))
@given(st.sampled_from(["semeval2016", "csv"]), st.data())
@example("csv", None)
def test_csv_and_semeval_readers_give_examples_or_input_error(fmt, data):
    if data is None:  # a row shorter than the header: its missing cells must not become the text "None"
        text = "tweet,stance,topic\nhello there\n"
    else:
        text = data.draw(_table("\t" if fmt == "semeval2016" else ","))
    path = _file(text.encode("utf-8"), "table.tsv" if fmt == "semeval2016" else "table.csv")
    config = dataclasses.replace(CONFIG, format=fmt)
    try:
        examples = read_split(str(path), config)
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    assert examples and all(ex.label in CONFIG.labels and ex.text.strip() for ex in examples)
    assert all(ex.text in text for ex in examples if "\r" not in text and '"' not in text)
    assert all(ex.text != "None" or "None" in text for ex in examples)


generic_rows = st.fixed_dictionaries(
    {"tweet": json_values, "stance": st.sampled_from(CONFIG.labels) | json_values},
    optional={"topic": json_values, "x": json_values},
)


@settings(max_examples=scaled(100))
@given(st.lists(generic_rows, min_size=1, max_size=4))
@example([{"tweet": None, "stance": "FAVOR", "topic": "t"}])
@example([{"tweet": {"nested": 1}, "stance": "FAVOR", "topic": "t"}])
@example([{"tweet": " 12 ", "stance": "FAVOR", "topic": None}])
def test_generic_jsonl_reader_gives_examples_or_input_error(rows):
    path = atomic_write_jsonl(_file(b"", "table.jsonl"), rows)
    config = dataclasses.replace(CONFIG, format="jsonl")
    try:
        examples = read_split(str(path), config)
    except InputError as err:
        assert str(err).startswith(str(path))
        return
    assert len(examples) == len(rows)
    for ex, row in zip(examples, rows):
        assert isinstance(row["tweet"], (str, int, float)) and not isinstance(row["tweet"], bool)
        assert ex.text == str(row["tweet"]).strip()
