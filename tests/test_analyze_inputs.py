"""stancelab.analyze.inputs: every archive format, dates, and bad articles skipped with a counted reason."""

from __future__ import annotations

import json

import pytest

from stancelab.analyze.inputs import markup_share, parse_date, read_archive, skip_reason
from stancelab.build.pipeline import MAX_CHARS
from stancelab.data.io import InputError

GOOD = "Trade Minister Ana Ruiz said the trade deal was good for farmers."
SOUP = "<html><head><script>var x = 1;</script></head><body><div><p>" + GOOD + "</p></div></body></html>"


def reasons(articles) -> dict[str, str]:
    return {a.article_id: a.skip.split(":")[0] for a in articles}


def test_txt_folder_skips_each_kind_of_bad_article(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Le ministre a dit: très bien.".encode("latin-1"))
    (tmp_path / "soup.txt").write_text(SOUP, encoding="utf-8")
    (tmp_path / "huge.txt").write_text("word " * (MAX_CHARS // 5 + 1), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.txt").write_text(GOOD, encoding="utf-8")
    articles, digest = read_archive(tmp_path)
    assert reasons(articles) == {"empty": "empty", "good": "", "huge": "too_long", "latin1": "not_utf8",
                                 "soup": "html", "sub/nested": ""}
    assert digest["format"] == "txt" and digest["files"] == 6 and len(digest["sha256"]) == 64
    latin1 = next(a for a in articles if a.article_id == "latin1")
    assert latin1.skip == ("not_utf8: latin1.txt: byte 0xe8 at offset 21; re-encode it, e.g. "
                           "`iconv -f latin1 -t utf-8`")
    assert all(a.text == "" for a in articles if a.skip)  # skipped texts are not carried to the workers


def test_jsonl_bad_lines_are_skipped_not_fatal(tmp_path):
    path = tmp_path / "news.jsonl"
    lines = [
        json.dumps({"id": "r1", "text": GOOD, "date": "26-FEB-1987 15:01:01.79", "title": "T", "source": "Reuters"}),
        "{not json",
        json.dumps({"id": "r2"}),
        json.dumps({"id": "r1", "text": GOOD}),
        json.dumps(["a", "list"]),
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8") + b'{"id": "r3", "text": "caf\xe9"}\n\n'
    path.write_bytes(data)
    articles, digest = read_archive(path)
    assert [(a.article_id, a.skip.split(":")[0]) for a in articles] == [
        ("r1", ""), ("news.jsonl:2", "bad_row"), ("news.jsonl:3", "bad_row"), ("r1", "duplicate_id"),
        ("news.jsonl:5", "bad_row"), ("news.jsonl:6", "not_utf8"),
    ]
    first = articles[0]
    assert (first.date, first.title, first.source) == ("1987-02-26", "T", "Reuters")
    assert articles[2].skip == "bad_row: expected an 'id' and a string 'text', found 'text' of type NoneType"
    assert articles[3].skip == "duplicate_id: the same id as article 1 of the input"
    assert digest["format"] == "jsonl" and digest["files"] == 1


def test_limit_takes_the_first_articles_in_input_order(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps({"id": f"a{i}", "text": GOOD}) + "\n" for i in range(5)), encoding="utf-8")
    articles, _ = read_archive(path, limit=3)
    assert [a.article_id for a in articles] == ["a0", "a1", "a2"]
    with pytest.raises(InputError, match=r"--limit: expected a positive number of articles, found 0\."):
        read_archive(path, limit=0)


def test_parquet_and_saved_dataset_carry_date_source_title(tmp_path):
    import datasets
    import pandas as pd

    rows = [{"article_id": "p1", "text": GOOD, "date": "2015-10-01T08:00:00Z", "source": "AP", "title": "x"},
            {"article_id": "p2", "text": "", "date": None, "source": None, "title": None}]
    pd.DataFrame(rows).to_parquet(tmp_path / "news.parquet")
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    for path, kind in ((tmp_path / "news.parquet", "parquet"), (tmp_path / "ds", "datasets")):
        articles, digest = read_archive(path)
        assert digest["format"] == kind
        assert [(a.article_id, a.date, a.source, a.skip.split(":")[0]) for a in articles] == [
            ("p1", "2015-10-01", "AP", ""), ("p2", None, None, "empty")]


def test_bad_sources_are_input_errors(tmp_path):
    import datasets
    import pandas as pd

    with pytest.raises(InputError, match=r"--input .*nope: expected a folder of \.txt files, a \.jsonl, a \.parquet"):
        read_archive(tmp_path / "nope")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(InputError, match=r"expected \.txt files in the folder .* found neither"):
        read_archive(tmp_path / "empty_dir")
    (tmp_path / "x.csv").write_text("id,text\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"found a '\.csv' file\. Convert it to \.jsonl"):
        read_archive(tmp_path / "x.csv")
    pd.DataFrame([{"body": GOOD}]).to_parquet(tmp_path / "cols.parquet")
    with pytest.raises(InputError, match=r"expected columns 'id' \(or 'article_id'\) and 'text', found \['body'\]"):
        read_archive(tmp_path / "cols.parquet")
    split = datasets.Dataset.from_list([{"id": "a", "text": GOOD}])
    datasets.DatasetDict({"train": split}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(InputError, match=r"found a DatasetDict with splits \['train'\]\. Fix: point to one split"):
        read_archive(tmp_path / "dd")


@pytest.mark.parametrize(
    "value, expected",
    [("26-FEB-1987 15:01:01.79", "1987-02-26"), ("9-MAR-1987 11:38:02.63", "1987-03-09"), ("2015-10-01", "2015-10-01"),
     ("2015-10-01T08:30:00+02:00", "2015-10-01"), ("1 October 2015", "2015-10-01"), ("October 1, 2015", "2015-10-01"),
     ("2015-13-01", None), ("yesterday", None), ("", None), (None, None), (20151001, None)],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_markup_share_tells_soup_from_an_article_with_a_few_tags():
    assert skip_reason(SOUP).startswith("html: ")
    share, tags = markup_share(SOUP)
    assert tags == 11 and 0.5 < share < 0.7
    # a long article with a link and emphasis is an article
    article = (GOOD + " ") * 20 + 'See <a href="https://example.org">the report</a> and <b>the annex</b>.'
    assert skip_reason(article) == ""
    assert skip_reason("1 < 2 and 3 > 2, the minister said.") == ""
