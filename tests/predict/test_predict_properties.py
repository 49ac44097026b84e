"""Property tests of ``predict`` and ``predict_article`` with the tiny trained run of conftest: arbitrary
examples give one well-formed result each, in input order, the same every time; generated articles give
rows whose offsets slice the article to the row's text and conditions inside their statement."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hypothesis_profiles import scaled  # loads the profile (HYPOTHESIS_PROFILE) before the tests are defined
from stancelab import predict
from stancelab.data.io import InputError
from stancelab.data.schema import Example
from stancelab.predict.article import ARTICLE_COLUMNS, predict_article

from conftest import LABELS, ROWS

pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest

TRICKY = "\n\r\t\x00\x85\u2028\ufeff\u200b\u00a0\"'“”«»<>&|[]{}"
texts = st.text(st.characters(codec="utf-8") | st.sampled_from(TRICKY), max_size=60)
# the fixture words (in the tiny vocabulary) as well as arbitrary text, which the tokenizer maps to [UNK]
words = st.sampled_from(sorted({w for row in ROWS for field in row[:4] for w in field.split()}))
fixture_like = st.lists(words, min_size=1, max_size=30).map(" ".join)
fields = fixture_like | texts

rows = st.fixed_dictionaries(
    {"speaker": fields, "target": fields, "text": fields},
    optional={"speaker_affiliation": texts, "id": texts, "article_id": texts, "label": st.sampled_from(LABELS)},
)


def _predict(items, run, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # truncation of long texts is announced with a UserWarning
        return predict(items, model=run, **kwargs)


def _check_result(result) -> None:
    assert set(result) >= {"label", "probs"}
    assert result["label"] in LABELS and list(result["probs"]) == LABELS
    probs = list(result["probs"].values())
    assert all(isinstance(p, float) and math.isfinite(p) and 0.0 <= p <= 1.0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-5)
    assert result["label"] == max(result["probs"], key=result["probs"].get)


@settings(max_examples=scaled(20))
@given(st.lists(rows, min_size=1, max_size=6), st.sampled_from([1, 2, 64]))
@example([{"speaker": "Ana Ruiz", "target": "the levy", "text": "\x00"}], 1)
@example([{"speaker": "", "target": "", "text": "Ruiz said the trade deal was good."}], 64)
def test_predict_gives_one_result_per_example_in_order(trained_run, items, batch_size):
    if any(not item["text"].strip() for item in items):
        with pytest.raises(InputError, match=r"^example \d+: field 'text' is empty"):
            _predict(items, trained_run, batch_size=batch_size)
        return
    try:
        results = _predict(items, trained_run, batch_size=batch_size)
    except InputError as err:  # documented: speaker and target longer than max_length leaves room for
        assert re.match(r"^example \d+: speaker and target take \d+ tokens", str(err)), str(err)
        return
    assert len(results) == len(items)
    for result in results:
        _check_result(result)
    # deterministic, and in input order: the reversed input gives the reversed results, the first example
    # alone the result it got in the batch
    assert _predict(items, trained_run, batch_size=batch_size) == results
    backwards = _predict(items[::-1], trained_run, batch_size=batch_size)[::-1] + _predict(items[:1], trained_run)
    for result, other in zip(results + results[:1], backwards):
        assert np.allclose(list(other["probs"].values()), list(result["probs"].values()), atol=1e-5)
        top, second = sorted(result["probs"].values())[-1:-3:-1]
        assert other["label"] == result["label"] or top - second < 1e-4  # a tie may break either way


@settings(max_examples=scaled(8))
@given(st.lists(rows, min_size=1, max_size=4))
def test_predict_takes_dicts_examples_and_dataframes_alike(trained_run, items):
    items = [item for item in items if item["text"].strip()] or [{"speaker": "a", "target": "b", "text": "c"}]
    try:
        from_dicts = _predict(items, trained_run)
    except InputError:
        return  # speaker and target too long for the model (the case above checks the message)
    examples = [
        Example(id=str(i), article_id="", speaker=r["speaker"], speaker_affiliation=r.get("speaker_affiliation", ""),
                target=r["target"], text=r["text"])
        for i, r in enumerate(items)
    ]  # fmt: skip
    assert _predict(examples, trained_run) == from_dicts
    frame = pd.DataFrame([{k: r[k] for k in ("speaker", "target", "text")} for r in items])
    assert _predict(frame, trained_run) == from_dicts


# --- predict_article ----------------------------------------------------------------------------------

MARKS = [("“", "”"), ('"', '"'), ("«", "»"), ("", "”")]
TEMPLATES = [
    "{text}",
    "{o}{quote},{c} {speaker} said.",
    "{speaker} said {quote_lower}.",
    "According to {speaker}, {quote_lower}.",
    "{o}{quote}.{c}",
]
NOISE = ["<p>", "</p>", "<b>", "&amp;", "&nbsp;", "\u200b", "\u00a0", '"', "“", "…", "🙂", "\t", "\r"]


@st.composite
def statement_sentences(draw) -> str:
    speaker, _, target, text, _ = draw(st.sampled_from(ROWS))
    o, c = draw(st.sampled_from(MARKS))
    quote = f"We stand by {target}" if draw(st.booleans()) else f"We will back {target} only if jobs are protected"
    sentence = draw(st.sampled_from(TEMPLATES)).format(
        text=text, o=o, c=c, quote=quote, quote_lower=quote[0].lower() + quote[1:], speaker=speaker
    )
    if draw(st.integers(0, 3)) == 0:
        bit = draw(st.sampled_from(NOISE) | st.text(max_size=8))
        at = draw(st.integers(0, len(sentence)))
        sentence = sentence[:at] + bit + sentence[at:]
    return sentence


@st.composite
def articles(draw) -> str:
    count = draw(st.integers(1, 3))
    paragraphs = [" ".join(draw(st.lists(statement_sentences(), min_size=1, max_size=2))) for _ in range(count)]
    return draw(st.sampled_from(["\n\n", "\n", "\r\n"])).join(paragraphs) + draw(st.sampled_from(["", "\n", " "]))


def _article(text, run, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the builder's notes on the article (ArticleWarning) and truncation
        return predict_article(text, model=run, **kwargs)


def offset_text(text: str) -> str:
    """The text the builder's (and so the rows') offsets point into: the article, HTML entities decoded."""
    try:
        from stancelab.build.attribution.paragraphs import decode_entities
    except ImportError:  # a builder that does not decode entities: its offsets point into the input
        return text
    return decode_entities(text)[0]


def _looks_like_a_path(text: str) -> bool:
    return "\n" not in text and bool(re.search(r"\.[A-Za-z0-9]{1,6}$", text.strip()))


def test_predict_article_rows_point_at_their_text(trained_run):
    """Offsets and conditions on generated articles; the articles must give positions in a good share."""
    counts = []

    @settings(max_examples=scaled(12))
    @given(articles())
    @example('"We stand by the levy," Karl Berg said.')
    @example("Ana Ruiz said the trade deal was good for farmers &amp; workers.")
    def check(text):
        if _looks_like_a_path(text):
            return  # a one-line string ending in a file suffix may be read as a path (documented)
        table = _article(text, trained_run, article_id="art")
        base = offset_text(text)
        assert list(table.columns) == ARTICLE_COLUMNS + [f"p_{label}" for label in LABELS]
        for row in table.to_dict("records"):
            assert row["article_id"] == "art"
            assert base[row["start"] : row["end"]] == row["text"]
            assert row["label"] in LABELS
            assert sum(row[f"p_{label}"] for label in LABELS) == pytest.approx(1.0, abs=1e-5)
            if row["condition"]:
                cs, ce = int(row["condition_start"]), int(row["condition_end"])
                assert row["start"] <= cs < ce <= row["end"], "the condition lies inside its statement"
                assert base[cs:ce] == row["condition"]
            else:
                assert _missing(row["condition_start"]) and _missing(row["condition_end"])
        # deterministic, and independent of the article id except for its column
        again = _article(text, trained_run, article_id="other id")
        assert set(again["article_id"]) <= {"other id"}
        pd.testing.assert_frame_equal(table.drop(columns="article_id"), again.drop(columns="article_id"))
        counts.append(len(table))

    check()
    assert sum(1 for n in counts if n) >= len(counts) // 3, counts


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@settings(max_examples=scaled(4))
@given(articles())
def test_predict_article_reads_a_path_like_its_text(trained_run, tmp_path_factory, text):
    path = tmp_path_factory.getbasetemp() / "article-properties" / "piece.txt"  # one file, overwritten
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    from_path = _article(path, trained_run)
    from_str_path = _article(str(path), trained_run)
    assert set(from_path["article_id"]) <= {"piece"}
    pd.testing.assert_frame_equal(from_path, from_str_path)
    if not _looks_like_a_path(text):
        pd.testing.assert_frame_equal(from_path, _article(text, trained_run, article_id="piece"))
