"""Label your own news: candidates out to an annotation tool, labels back in with checks and agreement,
and the next batch chosen where the model is least sure.

One module per step of the loop::

    tasks.py     candidates + articles -> tasks (statement, context, editable speaker/target)
    formats.py   tasks -> Label Studio / doccano / Prodigy files; their exports -> annotations
    merge.py     annotations -> validated examples, majority merge, Cohen's / Fleiss' kappa, disagreements
    select.py    the next batch by uncertainty (entropy), margin or random, capped per article
    simulate.py  the active-learning experiment with a simulated annotator
    cli.py       python -m stancelab.annotate export | import | select | config | simulate

>>> from stancelab.annotate import read_export, merge_annotations
>>> result = merge_annotations(read_export("export.json"))  # doctest: +SKIP
"""

from stancelab.annotate.formats import FORMATS, label_studio_config, read_export, write_tasks
from stancelab.annotate.merge import cohen_kappa, fleiss_kappa, merge_annotations
from stancelab.annotate.select import STRATEGIES, select_batch
from stancelab.annotate.tasks import LABELS, make_tasks

__all__ = [
    "FORMATS", "LABELS", "STRATEGIES", "cohen_kappa", "fleiss_kappa", "label_studio_config", "make_tasks",
    "merge_annotations", "read_export", "select_batch", "write_tasks",
]
