"""Data on disk: the example schema, safe file I/O, readers of public formats, the labelled corpus.

- ``io``: atomic writes, UTF-8 reads with a fix in the message, JSONL with line numbers, ``InputError``
- ``schema``: ``Example``, the one record every stage reads and writes
- ``readers``: train/dev/test splits in the project's schema, SemEval-2016 or generic CSV/JSONL
- ``corpus``: the hand-labelled corpus (``python -m stancelab.corpus``)
"""
