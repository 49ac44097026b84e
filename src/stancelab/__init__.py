"""stancelab: turn news into stance data and stance models.

>>> from stancelab import predict
>>> predict([{"speaker": "Sergey Lavrov", "target": "U.S. airstrikes in Syria",
...           "text": "Lavrov said Russia opposed ongoing U.S. airstrikes in Syria."}], model="runs/default")
... # doctest: +SKIP

The subpackages follow the pipeline (README.md, "Layout"): ``data`` -> ``build`` -> ``models`` ->
``predict`` -> ``evaluate`` -> ``train`` -> ``experiments`` / ``review``.
"""

import os

# Nothing in stancelab downloads at run time: models come from the installed package or a local folder.
# Users with hub access can opt back in with HF_HUB_OFFLINE=0.
for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from stancelab.predict.article import predict_article, predict_articles  # noqa: E402
from stancelab.predict.inference import predict  # noqa: E402
from stancelab.predict.loading import load_model  # noqa: E402

__version__ = "0.1.0"
__all__ = ["predict", "predict_article", "predict_articles", "load_model", "__version__"]
