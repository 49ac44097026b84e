"""Small helpers behind the review notebooks (``notebooks/*.ipynb``): tables, plots and HTML views.

The notebooks only call these and display the results, so everything they show is tested here.
Tables are pandas DataFrames; plots are returned as ``IPython.display.Image`` (PNG) so they look the
same in Jupyter, in a saved notebook and on GitHub.

>>> from stancelab import review
>>> runs = review.load_runs(["runs/default"])  # doctest: +SKIP
>>> review.metrics_frame(runs)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancelab.compare import comparison_rows, load_run, metrics_row
from stancelab.io import InputError, read_jsonl_objects, read_text
from stancelab.schema import Example
from stancelab.viz import label_colour, stance_map_figure, stance_matrix  # noqa: F401 (stance_map_figure: notebook API)

# ---------------------------------------------------------------------------------------------------
# Where the notebooks look
# ---------------------------------------------------------------------------------------------------


def default_root(cwd: str | os.PathLike | None = None) -> Path:
    """The project root as seen from a notebook: the parent of ``notebooks/``, else the working directory."""
    cwd = Path(cwd or Path.cwd())
    return cwd.parent if cwd.name == "notebooks" else cwd


def run_dirs(spec: str, root: str | os.PathLike) -> list[Path]:
    """``"runs/a, runs/b"`` -> run directories; relative paths are read from ``root``.

    >>> run_dirs("runs/default", "/repo")
    [PosixPath('/repo/runs/default')]
    """
    dirs = [Path(root) / part.strip() for part in spec.split(",") if part.strip()]
    if not dirs:
        raise InputError(f"STANCELAB_RUNS: expected comma-separated run directories, found {spec!r}.")
    return dirs


def figure_image(fig: Any, dpi: int = 110) -> Any:
    """A matplotlib Figure as a PNG ``IPython.display.Image``; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return png_image(buffer.getvalue())


def render(plot: Callable[..., Path], data: Any, **kwargs: Any) -> Any:
    """Call one of ``stancelab.viz.plot_*`` (which write PNG files) and return the PNG as an Image.

    >>> render(viz.plot_confusion, metrics["test"], title="test")  # doctest: +SKIP
    """
    with tempfile.TemporaryDirectory() as folder:
        path = plot(data, Path(folder) / "figure.png", **kwargs)
        return png_image(Path(path).read_bytes())


def image_file(path: str | os.PathLike) -> Any:
    """A PNG file (e.g. a run's ``confusion_test.png``) as an Image, made compact for a saved notebook."""
    return png_image(Path(path).read_bytes())


def png_image(data: bytes) -> Any:
    """PNG bytes as an ``IPython.display.Image``, reduced to a 256-colour palette.

    Plots use a handful of colours, so the palette looks the same and keeps saved notebooks about
    three times smaller.
    """
    from IPython.display import Image
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    palette = PILImage.open(io.BytesIO(data)).convert("RGB").quantize(colors=256, method=PILImage.Quantize.MEDIANCUT)
    palette.save(buffer, format="png", optimize=True)
    return Image(data=buffer.getvalue(), format="png")


def quiet_progress() -> None:
    """Turn off transformers' progress bars and tqdm's widget warning, which would clutter saved notebooks."""
    import warnings

    warnings.filterwarnings("ignore", message="IProgress not found")  # before tqdm.auto is first imported
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


# ---------------------------------------------------------------------------------------------------
# 01: the corpus
# ---------------------------------------------------------------------------------------------------

GROUPINGS = ("split", "domain", "kind")


def examples_frame(examples: list[Example], splits: dict[str, str] | None = None) -> Any:
    """One row per example (flat fields, plus ``split`` when ``splits`` maps article -> split)."""
    import pandas as pd

    frame = pd.DataFrame([ex.to_dict() for ex in examples])
    if splits is not None:
        frame["split"] = frame["article_id"].map(splits)
    return frame


def corpus_table(frame: Any, by: str, labels: list[str] | None = None) -> Any:
    """Examples per label for each value of ``by`` (split, domain, kind), with article and example totals.

    Splits come in train/dev/test order, other groupings alphabetically; the last row is ``all``.
    """
    import pandas as pd

    if by not in frame.columns:
        raise InputError(f"corpus_table: no column {by!r}; expected one of {', '.join(frame.columns)}.")
    labels = labels or _labels_in(frame["label"])
    counts = pd.crosstab(frame[by], frame["label"]).reindex(columns=labels, fill_value=0)
    counts.insert(0, "articles", frame.groupby(by)["article_id"].nunique())
    if by == "split":
        counts = counts.reindex([s for s in ("train", "dev", "test") if s in counts.index])
    counts["total"] = counts[labels].sum(axis=1)
    label_totals = [int((frame["label"] == lb).sum()) for lb in labels]
    counts.loc["all"] = [frame["article_id"].nunique(), *label_totals, len(frame)]
    counts.index.name, counts.columns.name = by, None
    return counts


def _labels_in(values: Any) -> list[str]:
    """Labels in the project's usual order (support, oppose, conditional), then any others sorted."""
    from stancelab.schema import DEFAULT_LABELS

    present = set(values)
    return [lb for lb in DEFAULT_LABELS if lb in present] + sorted(present - set(DEFAULT_LABELS))


def corpus_figure(frame: Any, groupings: tuple[str, ...] = GROUPINGS) -> Any:
    """Stacked horizontal bars of examples per label, one panel per grouping; returns the Figure."""
    import matplotlib.pyplot as plt

    labels = _labels_in(frame["label"])
    tables = [corpus_table(frame, by, labels).drop(index="all") for by in groupings]
    heights = [max(1.6, 0.32 * len(t) + 0.9) for t in tables]
    fig, axes = plt.subplots(len(tables), 1, figsize=(7.5, sum(heights)), height_ratios=heights, squeeze=False)
    for ax, by, table in zip(axes[:, 0], groupings, tables):
        left = [0] * len(table)
        for lb in labels:
            ax.barh(table.index, table[lb], left=left, color=label_colour(lb, labels), label=lb)
            left = [a + b for a, b in zip(left, table[lb])]
        ax.invert_yaxis()  # first row on top, as in the table
        ax.set(title=f"examples per label by {by}", xlabel="examples")
    axes[0, 0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


BROWSE_COLUMNS = ["id", "label", "speaker", "target", "kind", "domain", "text"]


def browse(
    frame: Any,
    n: int = 5,
    *,
    label: str | None = None,
    domain: str | None = None,
    kind: str | None = None,
    seed: int = 0,
) -> Any:
    """``n`` examples drawn at random (fixed ``seed``) among those matching every filter given.

    >>> browse(frame, 3, label="conditional", kind="direct")  # doctest: +SKIP
    """
    chosen = frame
    for column, value in (("label", label), ("domain", domain), ("kind", kind)):
        if value is not None:
            if value not in set(frame[column]):
                known = ", ".join(sorted(map(str, frame[column].dropna().unique())))
                raise InputError(f"browse: no example has {column}={value!r}; expected one of {known}.")
            chosen = chosen[chosen[column] == value]
    sample = chosen.sample(n=min(n, len(chosen)), random_state=seed) if n < len(chosen) else chosen
    return sample[[c for c in BROWSE_COLUMNS if c in frame.columns]].reset_index(drop=True)


# Colours of the highlighted parts; where parts nest, the later one in this order wins.
SPAN_STYLES = {
    "content": "background:#fff2a8",
    "speaker": "background:#bfdcf5;font-weight:bold",
    "cue": "background:#f7c6a3;font-style:italic",
}


@dataclass
class _Statement:
    """One builder statement: its sentence and the (part, start, end) spans inside it, and its targets."""

    start: int
    end: int
    speaker: str
    kind: str
    spans: list[tuple[str, int, int]]
    targets: list[str]


def highlight_statements(article: str, examples: list[Example]) -> str:
    """HTML of the builder's statements in ``article``: speaker, cue and statement content highlighted.

    One block per statement (examples sharing a statement are merged and their targets listed);
    the spans come from the example offsets: ``speaker_start/end``, ``meta["content_start/end"]`` and
    the cue found next to the speaker.
    """
    legend = " ".join(f'<span style="{style};padding:0 3px">{part}</span>' for part, style in SPAN_STYLES.items())
    blocks = [_statement_html(article, st) for st in _statements(article, examples)]
    return f'<div style="font-family:sans-serif;line-height:1.5">{legend}{"".join(blocks)}</div>'


def _statements(article: str, examples: list[Example]) -> list[_Statement]:
    statements: dict[tuple, _Statement] = {}
    for ex in examples:
        content = (ex.meta.get("content_start"), ex.meta.get("content_end"))
        key = (ex.start, ex.end, ex.speaker_start, *content)
        if key not in statements:
            spans = [("content", *content)] if None not in content else []
            if ex.speaker_start is not None:
                spans.append(("speaker", ex.speaker_start, ex.speaker_end))
            cue = find_cue(article, ex)
            spans += [("cue", *cue)] if cue else []
            statements[key] = _Statement(ex.start, ex.end, ex.speaker, ex.kind or "", spans, [])
        statements[key].targets.append(ex.target)
    return list(statements.values())


def find_cue(article: str, ex: Example) -> tuple[int, int] | None:
    """Offsets of ``ex.cue`` in the example's text: the occurrence outside the content nearest the speaker."""
    if not ex.cue or ex.start is None:
        return None
    content = (ex.meta.get("content_start", -1), ex.meta.get("content_end", -1))
    anchor = ex.speaker_start if ex.speaker_start is not None else ex.start
    found = [
        (ex.start + m.start(), ex.start + m.end())
        for m in re.finditer(rf"\b{re.escape(ex.cue)}\b", article[ex.start : ex.end], re.IGNORECASE)
    ]
    outside = [(s, e) for s, e in found if e <= content[0] or s >= content[1]] or found
    return min(outside, key=lambda span: abs(span[0] - anchor), default=None)


def _statement_html(article: str, st: _Statement) -> str:
    """The sentence cut into runs of characters that share the same top part, each run styled by it."""
    order = list(SPAN_STYLES)
    top = [None] * (st.end - st.start)
    for part, start, end in sorted(st.spans, key=lambda span: order.index(span[0])):
        for i in range(max(start, st.start), min(end, st.end)):
            top[i - st.start] = part
    pieces, i = [], 0
    while i < len(top):
        j = i
        while j < len(top) and top[j] == top[i]:
            j += 1
        text = html.escape(article[st.start + i : st.start + j])
        pieces.append(f'<span style="{SPAN_STYLES[top[i]]}">{text}</span>' if top[i] else text)
        i = j
    targets = "; ".join(html.escape(t) for t in st.targets)
    caption = f"<b>{html.escape(st.speaker)}</b> ({html.escape(st.kind)}) on: {targets}"
    return f'<p style="margin:10px 0 2px 0;color:#555">{caption}</p><p style="margin:0">{"".join(pieces)}</p>'


# ---------------------------------------------------------------------------------------------------
# 02: experiments
# ---------------------------------------------------------------------------------------------------


def load_runs(dirs: list[str | os.PathLike]) -> dict[str, Path]:
    """Run name -> run directory, checking each is a finished run (it has metrics.json).

    The name is the folder name, or the whole path when two runs share a folder name.
    """
    names = [Path(d).name for d in dirs]
    runs = {}
    for d, name in zip(dirs, names):
        load_run(d)  # a clear error for a folder that is not a finished run
        runs[str(d) if names.count(name) > 1 else name] = Path(d)
    return runs


def read_train_log(run_dir: str | os.PathLike) -> list[dict[str, float | None]]:
    """Rows of ``train_log.csv`` as numbers (None where the cell is empty), ready for plot_learning_curves."""
    path = Path(run_dir) / "train_log.csv"
    rows = csv.DictReader(io.StringIO(read_text(path)))
    return [{key: float(value) if value not in ("", None) else None for key, value in row.items()} for row in rows]


def system_name(run_dir: str | os.PathLike) -> str:
    """How a run's model was trained, from its ``config.yaml``: "fine-tuned" or "setfit"."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        return "fine-tuned"
    import yaml

    method = ((yaml.safe_load(read_text(path)) or {}).get("train") or {}).get("method", "finetune")
    return "fine-tuned" if method == "finetune" else str(method)


def metrics_frame(runs: dict[str, Path], split: str = "test", baselines: bool = True) -> Any:
    """One row per run and per baseline of each run: n, accuracy, macro-F1 with its 95% CI, ECE, F1 per label."""
    import pandas as pd

    rows = []
    for name, run_dir in runs.items():
        rows.append({**comparison_rows([str(run_dir)], split)[0], "run": name, "system": system_name(run_dir)})
        for system, result in (load_run(run_dir).get("baselines", {}) if baselines else {}).items():
            rows.append({"run": name, "system": system, **metrics_row(result[split])})
    frame = pd.DataFrame(rows).set_index(["run", "system"])
    return frame[[c for c in frame.columns if c != "ece"] + ["ece"]]


def lodo_frame(paths: list[str | os.PathLike]) -> Any:
    """One row per method of each leave-domain-out result (``experiments/*/lodo.json``): held-out domains,
    mean macro-F1 over them, the mean without test-split examples (what configs are chosen on), mean
    conditional F1 and the in-domain test macro-F1 where the experiment trained the in-domain model."""
    import pandas as pd

    rows = []
    for path in paths:
        results = json.loads(read_text(Path(path)))
        for method, entry in results["methods"].items():
            mean, reference = entry.get("mean") or {}, entry.get("in_domain") or {}
            rows.append(
                {
                    "experiment": Path(path).parent.name,
                    "method": method,
                    "domains": len(entry["folds"]),
                    "lodo_macro_f1": mean.get("macro_f1"),
                    "lodo_std": (entry.get("std") or {}).get("macro_f1"),
                    "lodo_without_test_split": (entry.get("selection_mean") or {}).get("macro_f1"),
                    "lodo_f1_conditional": mean.get("f1_conditional"),
                    "in_domain_test_macro_f1": (reference.get("test") or {}).get("macro_f1"),
                }
            )
    return pd.DataFrame(rows).set_index(["experiment", "method"]) if rows else pd.DataFrame()


def curve_frame(path: str | os.PathLike) -> Any:
    """Learning-curve table of ``experiments/curve/curve.json``: "mean ± std (seeds)" of dev macro-F1,
    one row per method, one column per training-set size."""
    import pandas as pd

    results = json.loads(read_text(Path(path)))
    table = {
        method: {
            f"n={size}": f"{cell['mean']['macro_f1']:.3f} ± {cell['std']['macro_f1']:.3f} ({cell['seeds']})"
            for size, cell in entry["summary"].items()
        }
        for method, entry in results["methods"].items()
    }
    sizes = [f"n={size}" for size in results["sizes"]]
    return pd.DataFrame.from_dict(table, orient="index").reindex(columns=sizes).fillna("-")


def ci_figure(frame: Any, title: str = "test macro-F1 with 95% bootstrap CI") -> Any:
    """Macro-F1 of every row of ``metrics_frame`` as a dot with its confidence interval; returns the Figure."""
    import matplotlib.pyplot as plt

    names = [" / ".join(index) for index in frame.index]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(frame) + 1.3))
    y = list(range(len(frame)))
    errors = [frame["macro_f1"] - frame["ci_low"], frame["ci_high"] - frame["macro_f1"]]
    ax.errorbar(frame["macro_f1"], y, xerr=errors, fmt="o", capsize=4, color="#333333")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="macro-F1", title=title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def slice_frame(runs: dict[str, Path], metric: str = "macro_f1") -> Any:
    """Test ``metric`` per slice value (kind, domain, speaker type, target seen/unseen), one column per run."""
    import pandas as pd

    columns = {}
    counts: dict[tuple[str, str], int] = {}
    for name, run_dir in runs.items():
        slices = load_run(run_dir).get("slices_test", {})
        cells = {(s, value): scores for s, groups in slices.items() for value, scores in groups.items()}
        columns[name] = {key: scores[metric] for key, scores in cells.items()}
        counts.update({key: scores["n"] for key, scores in cells.items()})
    frame = pd.DataFrame({"n": counts, **columns})
    frame.index.names = ["slice", "value"]
    return frame


ERROR_COLUMNS = ["label", "predicted", "confidence", "speaker", "target", "kind", "text", "note"]


def top_errors(run_dir: str | os.PathLike, split: str = "test", n: int = 10) -> Any:
    """The ``n`` most confident misclassifications of a run (``errors_<split>.jsonl`` is already in that order)."""
    import pandas as pd

    path = Path(run_dir) / f"errors_{split}.jsonl"
    rows = [row for _, row in read_jsonl_objects(path)] if read_text(path).strip() else []  # a perfect run has none
    return pd.DataFrame(rows[:n]).reindex(columns=ERROR_COLUMNS).round({"confidence": 3})


def run_config(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The resolved config a run was trained with (``config.yaml``)."""
    import yaml

    return yaml.safe_load(read_text(Path(run_dir) / "config.yaml"))


CONFIG_KEYS = ("model.name_or_path", "model.max_length", "train.epochs", "train.learning_rate", "train.seed")


def config_frame(runs: dict[str, Path], keys: tuple[str, ...] = CONFIG_KEYS) -> Any:
    """Selected config values (``section.key``) side by side, one column per run."""
    import pandas as pd

    table = {}
    for name, run_dir in runs.items():
        config = run_config(run_dir)
        table[name] = {key: _dig(config, key) for key in keys}
    return pd.DataFrame(table)


def _dig(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# ---------------------------------------------------------------------------------------------------
# 03: articles
# ---------------------------------------------------------------------------------------------------

ARTICLE_VIEW = ["actor", "speaker", "issue", "target", "label", "confidence", "condition", "kind", "cue"]


def article_view(table: Any, n: int = 15) -> Any:
    """The first ``n`` positions of a ``predict_article`` table, with the columns a reader scans first
    (those of ``ARTICLE_VIEW`` the table has)."""
    return table[[c for c in ARTICLE_VIEW if c in table.columns]].head(n).round({"confidence": 2})
