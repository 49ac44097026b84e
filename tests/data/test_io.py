import pytest

from stancelab.data.io import InputError, atomic_write_text, read_jsonl_objects, read_text


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "out" / "a.txt"
    atomic_write_text(path, "first")
    atomic_write_text(path, "second")
    assert path.read_text() == "second"
    assert [p.name for p in path.parent.iterdir()] == ["a.txt"]


def test_non_utf8_file_names_offset_and_fix(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin.txt: expected UTF-8 text, found byte 0xe9 at offset 3.*iconv"):
        read_text(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.txt: file not found"):
        read_text(tmp_path / "nope.txt")


def test_malformed_json_line_names_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2: expected one JSON object per line, found malformed JSON"):
        read_jsonl_objects(path)


def test_json_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"list.jsonl:1: expected a JSON object .* found list"):
        read_jsonl_objects(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty.jsonl: expected at least one JSON line, found an empty file"):
        read_jsonl_objects(path)
