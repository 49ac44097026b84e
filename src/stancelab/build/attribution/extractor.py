"""The extractor: parse the kept paragraphs, find anchors, attach quotes, resolve speakers.

>>> [s.speaker for s in extract_statements('"We will not sign," Trade Minister Ana Ruiz said.')]  # doctest: +SKIP
['Ana Ruiz']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from stancelab.build.attribution.anchors import (
    ANCHOR_RULES,
    PREVIOUS_SUBJECT,
    _Anchor,
    _clause_chars,
    _is_nameish,
    _root_subject,
    find_anchor,
)
from stancelab.build.attribution.lexicon import SPACY_MODEL
from stancelab.build.attribution.paragraphs import article_paragraphs, decode_entities, mask_html
from stancelab.build.attribution.quotes import Quote, find_quotes
from stancelab.build.attribution.speakers import AFFILIATION_RULES, SpeakerResolver
from stancelab.data.io import InputError

# The lemmatizer and attribute ruler cost about a third of the parse time; parts of speech are read from
# fine-grained tags (``tag_``) and the few verbs that need a lemma get it from ``lexicon.verb_lemmas``.
DISABLED_COMPONENTS = ("attribute_ruler", "lemmatizer")


# The entity recogniser has its own embedding layer and costs more than the tagger and parser together;
# it runs after the parse, in one batch, on the sentences where a speaker may be resolved (``_Extractor``).
DEFERRED_COMPONENT = "ner"


# A "sentence" longer than this is a run-on text (a feed without full stops, a pasted table), not prose:
# each of its statements then carries its own clause (content and cue) as text instead of the whole of it.
MAX_SENTENCE_CHARS = 1_000


@dataclass(frozen=True)
class Statement:
    """One attributed statement; all offsets are character offsets in the article (``Analysis.text``: the
    article with its HTML entities decoded, the input itself when it has none).

    ``content`` is the attributed content only (a quote without its marks, or the reported clause);
    ``sentence`` is the full sentence(s) carrying it, attributing clause included.
    """

    speaker: str
    speaker_affiliation: str
    cue: str
    kind: str  # direct / indirect / mixed / according-to
    content: str
    content_start: int
    content_end: int
    sentence: str
    sentence_start: int
    sentence_end: int
    speaker_start: int | None = None  # the mention as written ("he", "Lavrov"); None when inherited
    speaker_end: int | None = None
    rule: str = ""  # the anchor rule that attributed it (anchors.ANCHOR_RULES, or "previous-subject")
    affiliation_rule: str = ""  # the rule that found the affiliation (speakers.AFFILIATION_RULES), "" if none


# Every rule that can be switched off, anchor rules first, in the order they are tried.
RULES = tuple(name for name, _ in ANCHOR_RULES) + tuple(AFFILIATION_RULES)


@lru_cache(maxsize=1)
def load_nlp():
    """Load the spaCy pipeline once per process, without the components the extractor does not use."""
    import spacy

    return spacy.load(SPACY_MODEL, disable=list(DISABLED_COMPONENTS))


def spacy_model_info() -> dict[str, str]:
    """Name, version and active components of the pipeline, for provenance manifests."""
    nlp = load_nlp()
    return {
        "name": f"{nlp.meta['lang']}_{nlp.meta['name']}",
        "version": nlp.meta["version"],
        "components": ",".join(nlp.pipe_names),
    }


def extract_statements(
    text: str, article_id: str = "article", *, disabled: frozenset[str] = frozenset()
) -> list[Statement]:
    """Every attributed statement of ``text``, in document order.

    >>> s = extract_statements("Russia opposed the strikes, Foreign Minister Sergey Lavrov said.")[0]  # doctest: +SKIP
    >>> (s.speaker, s.speaker_affiliation, s.kind, s.content)  # doctest: +SKIP
    ('Sergey Lavrov', '', 'indirect', 'Russia opposed the strikes')
    """
    return [statement for statement, _ in analyse(text, disabled=disabled).statements]


@dataclass
class Analysis:
    """Statements with their parsed content spans (spaCy ``Span``s, for target finding) and warnings.

    ``text`` is the text the offsets point into: the article with its HTML entities decoded.
    """

    statements: list[tuple[Statement, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""


def analyse(text: str, *, disabled: frozenset[str] = frozenset()) -> Analysis:
    """Statements plus parse spans and per-article warnings (unbalanced quotes, HTML remnants).

    ``disabled`` names anchor and affiliation rules to switch off (``RULES`` lists them all).
    """
    unknown = sorted(set(disabled) - set(RULES))
    if unknown:
        raise InputError(f"unknown attribution rule {unknown[0]!r}; the rules are {', '.join(RULES)}.")
    text, n_entities = decode_entities(text)
    analysis = Analysis(text=text)
    if n_entities:
        analysis.warnings.append(f"html_entities: {n_entities} entity(ies) decoded; offsets refer to the decoded text")
    masked, n_tags = mask_html(text)
    if n_tags:
        analysis.warnings.append(f"html_remnants: {n_tags} tag(s) masked")
    paragraphs = article_paragraphs(masked)
    quotes, unbalanced = find_quotes(masked, paragraphs)
    if unbalanced:
        analysis.warnings.append(f"unbalanced_quotes: {unbalanced} quote mark(s) without a partner")
    nlp = load_nlp()
    docs = list(nlp.pipe((masked[start:end] for start, end in paragraphs), disable=[DEFERRED_COMPONENT]))
    sentences = [
        _Sentence(sent, start, p) for p, (doc, (start, _)) in enumerate(zip(docs, paragraphs)) for sent in doc.sents
    ]
    ner = nlp.get_pipe(DEFERRED_COMPONENT)
    extractor = _Extractor(text, sentences, quotes, ner, frozenset(disabled))
    extractor.masked = masked
    analysis.statements = extractor.run()
    if extractor.long_sentences:
        analysis.warnings.append(
            f"long_sentence: {len(extractor.long_sentences)} sentence(s) over {MAX_SENTENCE_CHARS} characters; "
            "their statements carry their own clause as text"
        )
    return analysis


@dataclass
class _Sentence:
    span: object  # spaCy Span of one sentence
    offset: int  # article offset of the paragraph's first character
    paragraph: int

    @property
    def start(self) -> int:
        return self.offset + self.span.start_char

    @property
    def end(self) -> int:
        return self.offset + self.span.end_char


class Found(NamedTuple):
    """A statement found before its speaker is resolved: content offsets, kind and the anchor."""

    start: int
    end: int
    kind: str
    anchor: _Anchor


def _cue_inside_another(item: Found, found: list[Found]) -> bool:
    """The item's cue lies in the content of another statement found."""
    return any(other is not item and other.start <= item.anchor.cue_start < other.end for other in found)


class _Extractor:
    """Walks the parsed sentences once and returns statements in document order."""

    def __init__(self, text: str, sentences: list[_Sentence], quotes: list[Quote], ner, disabled=frozenset()):
        self.text, self.sentences, self.quotes, self.ner = text, sentences, quotes, ner
        self.disabled = disabled
        self.resolver = SpeakerResolver(disabled)
        self.masked = text  # the text with HTML tags blanked (analyse sets it): sentence edges skip the tags
        self.long_sentences: set[int] = set()

    def run(self) -> list[tuple[Statement, object]]:
        anchors = [a for i, sent in enumerate(self.sentences) for a in self._anchors(i, sent)]
        self._recognise_entities(anchors)
        reported = self._reported(anchors)
        found = reported + self._quoted(anchors, reported)
        found.sort(key=lambda item: (item.start, item.end))
        return self._resolve(found)

    # --- anchors ---------------------------------------------------------------------------------

    def _anchors(self, index: int, sent: _Sentence) -> list[_Anchor]:
        anchors = []
        for tok in sent.span:
            if self._in_quote(sent.offset + tok.idx):
                continue  # attributions nested inside a quote belong to the quote
            anchor = find_anchor(tok, self.disabled)
            if anchor:
                anchor.sentence = index
                anchor.cue_start = sent.offset + tok.idx
                anchors.append(anchor)
        return anchors

    def _recognise_entities(self, anchors: list[_Anchor]) -> None:
        """Entities for the sentences whose speakers or subjects may be resolved, in one batch.

        Those are the sentences of named (not pronoun) speakers and of proper-noun subjects. The recogniser's
        context window is a few tokens, so a sentence on its own gets nearly the entities a whole-paragraph
        run would give.
        """
        from spacy.tokens import Span

        wanted: dict[tuple[int, int], object] = {}
        for anchor in anchors:
            tok = anchor.speaker
            if tok is not None and tok.tag_ != "PRP":
                span = self.sentences[anchor.sentence].span
                span = span if span.doc is tok.doc and span.start <= tok.i < span.end else tok.sent
                wanted.setdefault((id(span.doc), span.start), span)
        for sent in self.sentences:
            subject = _root_subject(sent.span)
            if subject is not None and subject.tag_ in ("NNP", "NNPS"):
                wanted.setdefault((id(sent.span.doc), sent.span.start), sent.span)
        spans = list(wanted.values())
        found: dict[int, tuple[object, list]] = {}  # one set_ents per paragraph doc: each call walks the doc
        for span, doc in zip(spans, self.ner.pipe(span.as_doc() for span in spans)):
            ents = found.setdefault(id(span.doc), (span.doc, []))[1]
            ents += [Span(span.doc, span.start + e.start, span.start + e.end, label=e.label_) for e in doc.ents]
        for doc, ents in found.values():
            doc.set_ents(ents, default="unmodified")

    def _in_quote(self, pos: int) -> bool:
        return any(q.start <= pos < q.end for q in self.quotes)

    # --- reported speech ------------------------------------------------------------------------

    def _reported(self, anchors: list[_Anchor]) -> list[Found]:
        """Indirect, mixed and according-to statements; marks quotes inside a clause as used."""
        found, self.used = [], set()
        for anchor in anchors:
            if anchor.content is None:
                continue
            offset = self.sentences[anchor.sentence].offset
            start, end = self._strip_masked(*_clause_chars(anchor.content, offset, self.text))
            if end <= start:
                continue
            end = self._extend_over_adjacent_quote(end)
            inside = [q for q in self.quotes if q.open >= start - 1 and q.close <= end + 1]
            covering = [q for q in self.quotes if q.open <= start and end <= q.close]
            if covering:
                anchor.content = None  # the clause is the quote itself: a direct quote, attached below
                continue
            kind = anchor.kind if anchor.kind == "according-to" or not inside else "mixed"
            self.used.update(inside)
            found.append(Found(start, end, kind, anchor))
        # "Lavrov said Russia opposed X": the nested "opposed" is part of Lavrov's statement, not Russia's
        return [item for item in found if not _cue_inside_another(item, found)]

    def _extend_over_adjacent_quote(self, end: int) -> int:
        """'said the stoppage would go on "until the bosses move."': the parser often hangs the closing quote
        on the main verb; a quote that starts right where the clause stops belongs to it."""
        for quote in self.quotes:
            if quote.open >= end and not self.text[end : quote.open].strip() and quote.close - quote.open > 2:
                return quote.close
        return end

    # --- direct quotes --------------------------------------------------------------------------

    def _quoted(self, anchors: list[_Anchor], reported: list[Found]) -> list[Found]:
        """Direct statements: each unused quote block with its anchor, or inherited from the one before.

        A quote with no cue in its sentence continues, in this order: the quote it runs on from (previous
        paragraph), the statement or the named subject of the sentence just before, the last statement
        of the same or the previous paragraph (the news convention for follow-on quote paragraphs).
        """
        found: list[Found] = []
        for quote in self.quotes:
            if quote in self.used or not self._is_statement_quote(quote):
                continue
            earlier = [item for item in reported + found if item.anchor.cue_start < quote.open]
            previous = max(
                earlier, key=lambda item: item.anchor.cue_start if item.kind != "direct" else item.start, default=None
            )
            anchor = self._quote_anchor(quote, anchors)
            if anchor is None and quote.continues and found:
                anchor = found[-1].anchor
            if anchor is None:
                anchor = self._previous_sentence_anchor(quote, anchors)
            if anchor is None and previous is not None and self._continues(previous, quote):
                anchor = previous.anchor
            if anchor is not None:
                found.append(Found(quote.start, quote.end, "direct", anchor))
        return found

    def _is_statement_quote(self, quote: Quote) -> bool:
        """Short quoted phrases inside running text ("a “historic” deal") are not statements."""
        words = len(self.text[quote.start : quote.end].split())
        before = self.text[: quote.open].rstrip()
        opens_sentence = not before or before[-1] in ".!?:,\n" or quote.continues
        return words >= 4 or (opens_sentence and words >= 2)

    def _quote_sentences(self, quote: Quote) -> list[int]:
        return [i for i, s in enumerate(self.sentences) if s.start < quote.close and s.end > quote.open]

    def _quote_anchor(self, quote: Quote, anchors: list[_Anchor]) -> _Anchor | None:
        """The nearest content-less anchor in the quote's sentences or the short sentence right after."""
        indices = self._quote_sentences(quote)
        if not indices:
            return None
        last = indices[-1]
        if last + 1 < len(self.sentences) and self._is_tag_sentence(last + 1, quote):
            indices.append(last + 1)
        candidates = [a for a in anchors if a.sentence in indices and a.content is None and a.speaker is not None]
        if not candidates:
            return None
        return min(candidates, key=lambda a: min(abs(a.cue_start - quote.close), abs(a.cue_start - quote.open)))

    def _is_tag_sentence(self, index: int, quote: Quote) -> bool:
        """spaCy often splits '“...,” he said.' after the quote; the tag is then a short next sentence."""
        sent = self.sentences[index]
        return (
            sent.paragraph == quote.paragraph
            and len(sent.span) <= 12
            and sent.start >= quote.close - 1
            and not any(q.open >= sent.start and q.open < sent.end for q in self.quotes)
        )

    def _continues(self, previous: Found, quote: Quote) -> bool:
        """A quote with no cue of its own continues the previous quote of its or the previous paragraph."""
        prev_anchor = previous.anchor
        prev_paragraph = self.sentences[prev_anchor.sentence].paragraph
        prev_quote_paragraph = next((q.paragraph for q in self.quotes if q.start == previous.start), prev_paragraph)
        return quote.paragraph - max(prev_paragraph, prev_quote_paragraph) <= 1

    def _previous_sentence_anchor(self, quote: Quote, anchors: list[_Anchor]) -> _Anchor | None:
        """'Ruiz was unmoved. “We will not sign.”': the speaker or named subject of the sentence before."""
        indices = self._quote_sentences(quote)
        if not indices or indices[0] == 0:
            return None
        index = indices[0] - 1
        before = self.sentences[index]
        if quote.paragraph - before.paragraph > 1 or before.end > quote.open:
            return None
        spoken = [a for a in anchors if a.sentence == index and a.speaker is not None]
        if spoken:
            return spoken[-1]
        subject = _root_subject(before.span)
        if subject is None or not _is_nameish(subject):
            return None
        return _Anchor(index, "", before.offset + subject.idx, subject, None, "direct", PREVIOUS_SUBJECT)

    # --- speakers and assembly -------------------------------------------------------------------

    def _resolve(self, found: list[Found]) -> list[tuple[Statement, object]]:
        """Speakers in document order; named subjects of the sentences between statements are seen too,
        so "he" after "Dr Anil Prasad struck a measured note." finds Prasad. An anchor shared by several
        quotes is resolved once."""
        out, cache, seen = [], {}, 0
        # the subject of "According to X, Y has proposed ..." is the reported content's, not a speaker
        reported_subjects = {a.sentence for _, _, kind, a in found if kind == "according-to"}
        for start, end, kind, anchor in found:
            for index in range(seen, anchor.sentence):
                sent = self.sentences[index]
                subject = None if index in reported_subjects else _root_subject(sent.span)
                if subject is not None and subject.tag_ in ("NNP", "NNPS"):
                    self.resolver.resolve(subject, sent.offset, self.text)
            seen = max(seen, anchor.sentence)
            sent = self.sentences[anchor.sentence]
            if id(anchor) not in cache and anchor.speaker is not None:
                cache[id(anchor)] = self.resolver.resolve(anchor.speaker, sent.offset, self.text)
            mention = cache.get(id(anchor))
            if mention is None:
                continue
            s_start, s_end = self._sentence_span(start, end, anchor, kind)
            out.append(
                (
                    Statement(
                        speaker=mention.name,
                        speaker_affiliation=mention.affiliation,
                        cue=anchor.cue,
                        kind=kind,
                        content=self.text[start:end],
                        content_start=start,
                        content_end=end,
                        sentence=self.text[s_start:s_end],
                        sentence_start=s_start,
                        sentence_end=s_end,
                        speaker_start=mention.start,
                        speaker_end=mention.end,
                        rule=anchor.rule,
                        affiliation_rule=mention.affiliation_rule,
                    ),
                    self._content_span(start, end),
                )
            )
        return out

    def _sentence_span(self, start: int, end: int, anchor: _Anchor, kind: str) -> tuple[int, int]:
        """The sentences covering the content, plus the attributing clause when it is in a neighbour."""
        lo, hi = start, end
        cue_sent = self.sentences[anchor.sentence]
        same_paragraph = cue_sent.paragraph == self._paragraph_of(start)
        if anchor.cue and same_paragraph and abs(anchor.sentence - self._sentence_at(start)) <= 1:
            lo, hi = min(lo, anchor.cue_start), max(hi, anchor.cue_start + 1)
        covering = [s for s in self.sentences if s.start < hi and s.end > lo]
        if not covering:
            return start, end
        s_start, s_end = covering[0].start, covering[-1].end
        if s_end - s_start > MAX_SENTENCE_CHARS and hi - lo < s_end - s_start:
            self.long_sentences.add(s_start)
            s_start, s_end = self._word_bounds(lo, hi)
        return self._strip_masked(s_start, s_end)

    def _strip_masked(self, start: int, end: int) -> tuple[int, int]:
        """``start:end`` without the blanks at its edges, masked HTML tags included (a clause the parser
        ran on over a blanked ``<p>`` ends before it)."""
        text = self.masked[start:end]
        return start + len(text) - len(text.lstrip()), end - (len(text) - len(text.rstrip()))

    def _word_bounds(self, lo: int, hi: int) -> tuple[int, int]:
        """``lo:hi`` widened to whole words, and to the end of the cue word when the cue comes last."""
        while lo > 0 and not self.masked[lo - 1].isspace():
            lo -= 1
        while hi < len(self.masked) and not self.masked[hi].isspace():
            hi += 1
        return lo, hi

    def _sentence_at(self, pos: int) -> int:
        return next((i for i, s in enumerate(self.sentences) if s.start <= pos < s.end), -10)

    def _paragraph_of(self, pos: int) -> int:
        index = self._sentence_at(pos)
        return self.sentences[index].paragraph if index >= 0 else -1

    def _content_span(self, start: int, end: int):
        """The parsed tokens of the content (for targets), cut to the sentence holding its start."""
        index = self._sentence_at(start)
        if index < 0:
            return None
        sent = self.sentences[index]
        doc = sent.span.doc
        return doc.char_span(start - sent.offset, min(end, sent.end) - sent.offset, alignment_mode="expand")
