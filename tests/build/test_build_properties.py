"""Property tests of the builder: articles made from news-like sentence templates plus noise (Unicode,
curly and straight quotes, HTML tags and entities, empty and long inputs) never crash the builder, every
offset it returns slices the article to the text it returns, and its output depends on the article only."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hypothesis_profiles import scaled  # loads the profile (HYPOTHESIS_PROFILE) before the tests are defined
from stancelab.build.pipeline import MAX_CHARS, article_examples, build_examples, process_article
from stancelab.data.schema import KINDS

pytestmark = pytest.mark.usefixtures("nlp")  # spaCy loaded once, in conftest

NAMES = ["Ana Ruiz", "Karl Berg", "Mia Chen", "Sergey Lavrov", "Lena Vogt", "José Núñez", "Zoë Ålund", "Li Wei"]
TITLES = ["", "Trade Minister ", "Foreign Minister ", "union leader ", "Dr ", "the company's chief executive "]
CLAUSES = [
    "the trade deal was good for farmers",
    "the tariff plan would hurt families",
    "she would back the merger only if jobs were protected",
    "the strike must end before the holidays",
    "Russia opposed the airstrikes in Syria",
    "the government will not accept the new rules",
]
QUOTES = [
    "We will not sign this agreement",
    "The levy is overdue and we welcome it",
    "This is an insult to every nurse in the country",
    "We are ready to work with everyone",
    "Nobody wins a trade war",
]
MARKS = [("“", "”"), ('"', '"'), ("«", "»"), ("„", "“"), ("“", '"'), ("", "”"), ("&ldquo;", "&rdquo;")]
TEMPLATES = [
    "{title}{name} said {clause}.",
    "{o}{quote},{c} {name} said.",
    "{o}{quote},{c} said {title}{name}.",
    "According to {title}{name}, {clause}.",
    "{name} told reporters that {clause}.",
    "{name} said: {o}{quote}.{c}",
    "{o}{quote},{c} he added.",
    "{name} rejected {clause}.",
    "{o}{quote}.{c}",
    "{name}'s remarks that {clause} drew criticism.",
]
NOISE = [
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    '<a href="x">',
    "</a>",
    "<br/>",
    "&amp;",
    "&nbsp;",
    "&quot;",
    "&#8220;",
    "&lt;",
    "\u200b",
    "\u00a0",
    "\t",
    "\r",
    '"',
    "“",
    "”",
    "'",
    "’",
    "…",
    "—",
    "🙂",
    "\u2028",
    "\x85",
    "\ufeff",
    "\x00",
]
PARAGRAPH_BREAKS = ["\n", "\n\n", " ", "\r\n", "\n \n"]

names = st.sampled_from(NAMES) | st.from_regex(r"[A-ZÀ-Ý][a-zà-ÿ]{1,8} [A-ZÀ-Ý][a-zà-ÿ]{1,10}", fullmatch=True)
noise = st.sampled_from(NOISE) | st.text(max_size=12)


@st.composite
def sentences(draw) -> str:
    o, c = draw(st.sampled_from(MARKS))
    sentence = draw(st.sampled_from(TEMPLATES)).format(
        title=draw(st.sampled_from(TITLES)),
        name=draw(names),
        clause=draw(st.sampled_from(CLAUSES)),
        quote=draw(st.sampled_from(QUOTES)),
        o=o,
        c=c,
    )
    if draw(st.booleans()):  # noise before, after or inside the sentence
        bit = draw(noise)
        at = draw(st.sampled_from([0, len(sentence), draw(st.integers(0, len(sentence)))]))
        sentence = sentence[:at] + bit + sentence[at:]
    if draw(st.integers(0, 9)) == 0:
        sentence = f"<p>{sentence}</p>"
    return sentence


@st.composite
def articles(draw, max_paragraphs: int = 5) -> str:
    """An article: paragraphs of 1-3 template sentences, sometimes noise alone, an empty or blank text."""
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.sampled_from(["", " ", "\n\n", "\u00a0", "<p></p>", "“", '"']))
    if kind == 1:
        return draw(st.text(max_size=200))
    paragraphs = []
    for _ in range(draw(st.integers(1, max_paragraphs))):
        if draw(st.integers(0, 7)) == 0:
            paragraphs.append(draw(noise))
        else:
            paragraphs.append(" ".join(draw(st.lists(sentences(), min_size=1, max_size=3))))
    breaks = draw(st.lists(st.sampled_from(PARAGRAPH_BREAKS), min_size=len(paragraphs), max_size=len(paragraphs)))
    return "".join(p + b for p, b in zip(paragraphs, breaks))


@st.composite
def long_articles(draw) -> str:
    """A long run-on sentence, or one paragraph repeated, a few thousand words."""
    clause = draw(st.sampled_from(CLAUSES))
    n = draw(st.integers(50, 400))
    if draw(st.booleans()):
        return f"{draw(names)} said " + ", and ".join([clause] * n) + "."
    return "\n\n".join([draw(sentences())] * (n // 4))


def offset_text(text: str) -> str:
    """The text the builder's offsets point into: the article with its HTML entities decoded (pipeline docs)."""
    try:
        from stancelab.build.attribution.paragraphs import decode_entities
    except ImportError:  # a builder that does not decode entities: its offsets point into the input
        return text
    return decode_entities(text)[0]


def check_examples(text: str, examples: list, article_id: str, warnings: list[str] | None = None) -> None:
    """The invariants of one article's examples."""
    base = offset_text(text)
    if warnings is not None:
        assert (base != text) == any(w.startswith("html_entities:") for w in warnings)
    assert [ex.id for ex in examples] == [f"{article_id}-{i:04d}" for i in range(len(examples))]
    for ex in examples:
        row = ex.to_dict()
        assert ex.article_id == article_id
        assert 0 <= ex.start < ex.end <= len(base) and base[ex.start : ex.end] == ex.text
        assert ex.text == ex.text.strip()
        content_start, content_end = row["content_start"], row["content_end"]
        assert base[content_start:content_end] == row["content"]
        assert ex.start <= content_start <= content_end <= ex.end, "the content lies inside the statement"
        if ex.speaker_start is not None:
            assert 0 <= ex.speaker_start < ex.speaker_end <= len(base)
            mention = base[ex.speaker_start : ex.speaker_end]
            assert mention.strip() == mention != ""
        assert isinstance(ex.speaker, str) and ex.speaker.strip()
        assert isinstance(ex.target, str) and ex.target.strip()
        assert ex.kind in KINDS
        json.dumps(row, ensure_ascii=False).encode("utf-8")  # the row can be written as UTF-8 JSONL


@pytest.mark.parametrize(
    "text",
    [
        "Ruiz said the deal was good<<p>Chen agreed.",
        "Ana Ruiz said the trade deal was good for farmers.00</p> <p>Aa Aa said the trade deal was good.",
    ],
)
def test_content_next_to_a_masked_tag_stays_inside_its_statement(text):
    # the parser's clause ran on over the blanked tag: 'the deal was good<<p>' past a statement ending at '<'
    for ex in build_examples(text, "a"):
        row = ex.to_dict()
        assert ex.start <= row["content_start"] <= row["content_end"] <= ex.end


def _rows_without_ids(examples: list) -> list[dict]:
    return [{k: v for k, v in ex.to_dict().items() if k not in ("id", "article_id")} for ex in examples]


def builder_property(max_examples: int, strategy=None) -> list[int]:
    """Run the builder property over generated articles; returns the number of examples of each article."""
    found: list[int] = []

    @settings(max_examples=max_examples)
    @given(strategy or articles(), st.sampled_from(["a", "000_ed3b50a90a3882e0", "ärtikel/ü 1", ""]))
    def check(text, other_id):
        examples, warnings = article_examples(text, "art")
        check_examples(text, examples, "art", warnings)
        # deterministic, and independent of the article id except for the id fields
        again, warnings_again = article_examples(text, other_id)
        check_examples(text, again, other_id)
        assert _rows_without_ids(again) == _rows_without_ids(examples) and warnings_again == warnings
        found.append(len(examples))

    check()
    return found


def test_builder_offsets_ids_and_determinism_on_generated_articles():
    found = builder_property(scaled(40))
    with_statements = sum(1 for n in found if n)
    assert with_statements >= len(found) // 4, f"only {with_statements} of {len(found)} articles gave a statement"


@settings(max_examples=scaled(8))
@given(long_articles())
def test_builder_on_long_inputs(text):
    examples, warnings = article_examples(text, "long")
    check_examples(text, examples, "long", warnings)


@pytest.mark.slow
def test_builder_property_thorough():
    """The builder property over 2,000 generated articles (`make test-slow`)."""
    found = builder_property(2000)
    assert sum(1 for n in found if n) >= len(found) // 4


@settings(max_examples=scaled(25))
@given(articles())
@example("")
@example("\x00")
@example("“")
def test_process_article_never_swallows_an_error(text):
    """``process_article`` turns exceptions into a skip reason; on articles within MAX_CHARS there must be none,
    and its rows are the examples ``build_examples`` returns."""
    assert len(text) <= MAX_CHARS
    result = process_article({"article_id": "art", "text": text, "skip": ""})
    assert result["skip"] == ""
    assert [json.loads(line) for line in result["examples"]] == [ex.to_dict() for ex in build_examples(text, "art")]
    assert all(isinstance(w, str) and re.match(r"^[a-z_]+: ", w) for w in result["warnings"])


def test_process_article_records_an_overlong_line_as_skipped_not_raised():
    text = "Ana Ruiz said " + "very " * 250_000 + "good."  # one paragraph over spaCy's 1,000,000 characters
    result = process_article({"article_id": "huge", "text": text, "skip": ""})
    assert result["examples"] == [] and result["skip"]


# --- the same statements with and without markup -----------------------------------------------------

plain_articles = st.lists(
    st.builds(
        lambda t, name, clause, quote: t.format(title="", name=name, clause=clause, quote=quote, o="“", c="”"),
        st.sampled_from(TEMPLATES[:7]),
        st.sampled_from(NAMES),
        st.sampled_from(CLAUSES),
        st.sampled_from(QUOTES),
    ),
    min_size=1,
    max_size=3,
)


def _statements(examples: list) -> list[tuple]:
    return [(ex.speaker, ex.kind, ex.target, ex.to_dict()["content"].strip()) for ex in examples]


@settings(max_examples=scaled(25))
@given(plain_articles, st.sampled_from([("<p>", "</p>"), ("<div>", "</div>"), ("<p>", ""), ("", "<br/>")]))
def test_paragraph_tags_around_an_article_do_not_change_its_statements(paragraphs, tags):
    plain = "\n\n".join(paragraphs)
    tagged = "\n\n".join(f"{tags[0]}{p}{tags[1]}" for p in paragraphs)
    assert _statements(build_examples(tagged, "t")) == _statements(build_examples(plain, "p"))


@settings(max_examples=scaled(25))
@given(plain_articles)
@example(["“We will not sign this agreement,” Ruiz said."])
def test_html_quote_entities_give_the_same_statements_as_the_marks(paragraphs):
    """Was: build_examples('&ldquo;We will not sign this agreement,&rdquo; Ruiz said.', 'a')[0].target ==
    'this agreement,&rdquo' (entities stayed in the text)."""
    plain = "\n\n".join(paragraphs)
    entities = plain.replace("“", "&ldquo;").replace("”", "&rdquo;")
    examples = build_examples(entities, "e")
    assert not any("&" in ex.target or "&" in ex.speaker for ex in examples)
    assert [(s, k, t) for s, k, t, _ in _statements(examples)] == [
        (s, k, t) for s, k, t, _ in _statements(build_examples(plain, "p"))
    ]
