"""Find attributed statements in news text: who said what, with which cue, in which words.

The extractor works in four steps, one module each:

1. ``article_paragraphs`` splits the article into paragraphs and drops boilerplate (bylines, datelines,
   captions, "Related:" lines, bullets, headlines); ``find_quotes`` finds quotation blocks at character
   level, including quotes that run on into the next paragraph.
2. spaCy parses the kept paragraphs (tagger, parser and NER only); the few verbs the rules check get
   their lemma from spaCy's English lemmatizer tables (``lexicon.verb_lemmas``), not from a pipeline pass.
3. Cue words (``said``, ``told``, ``according to``, ``X's remarks that``) give *anchors*: a speaker
   mention and, for reported speech, the reported clause. Quotes are then attached to the nearest anchor
   of their sentence, or continue the previous statement of the paragraph.
4. ``SpeakerResolver`` turns each mention into the full name as first mentioned ("Lavrov" -> "Sergey
   Lavrov", "he" -> the last person speaker) and an affiliation ("Russian Foreign Minister" -> "Russia").

Modules: ``paragraphs`` and ``quotes`` (step 1), ``extractor`` (steps 2 and 3, and the public
``extract_statements`` / ``analyse``), ``anchors`` (the anchor rules), ``speakers`` and ``affiliation``
(step 4), ``lexicon`` (the word lists, kept as data in ``stancelab/resources/attribution.json``).

>>> from stancelab.build.attribution.extractor import extract_statements
>>> [s.speaker for s in extract_statements('"We will not sign," Trade Minister Ana Ruiz said.')]  # doctest: +SKIP
['Ana Ruiz']
"""
