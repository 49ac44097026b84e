"""The analyst's view of an archive run: ``<out>/report.md`` and PNG figures, drawn from the Parquet shards.

    python -m stancelab.analyze report <out>

Who holds a position is the ``actor`` (whom the speaker speaks for), or the speaker when no actor was
found. The **net stance** of a group of positions is ``(support - oppose) / positions``, from -1 (all
oppose) to +1 (all support); conditional positions count in the denominator only.

>>> frame = load_positions("out/reuters")  # doctest: +SKIP
>>> label_counts(frame, "issue").head()  # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.data.io import InputError, atomic_write_text
from stancelab.viz import label_colour, pyplot, save_figure

TOP_ACTORS = 12
TOP_ISSUES = 10
TOP_PAIRS = 4  # (actor, issue) pairs drawn over time
ALL_ISSUES = "(all issues)"
FIGURES = {"matrix": "actor_issue.png", "top": "top.png", "time": "over_time.png"}


def load_positions(out: str | Path) -> Any:
    """Every shard of ``<out>/positions`` as one pandas DataFrame, with a ``holder`` column (actor or speaker)."""
    import pandas as pd

    folder = Path(out) / "positions"
    files = sorted(folder.glob("shard-*.parquet"))
    if not files:
        raise InputError(
            f"{out}: expected Parquet shards in {folder}, found none. Fix: run `python -m stancelab.analyze --input "
            f"... --model ... --output {out}` first."
        )
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    frame["holder"] = frame["actor"].where(frame["actor"].fillna("").str.strip() != "", frame["speaker"])
    return frame


def label_counts(frame: Any, by: str | list[str], labels: list[str] | None = None) -> Any:
    """Positions per label for each value of ``by``, with ``positions`` and ``net`` columns, most positions first."""
    labels = labels or _labels(frame)
    counts = frame.groupby(by)["label"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=labels, fill_value=0).rename_axis(columns=None)
    counts["positions"] = counts.sum(axis=1)
    counts["net"] = net_stance(counts)
    return counts.sort_values(["positions", "net"], ascending=[False, False], kind="stable")


def net_stance(counts: Any) -> Any:
    """``(support - oppose) / positions`` per row of a label-count table."""
    support = counts["support"] if "support" in counts else 0
    oppose = counts["oppose"] if "oppose" in counts else 0
    return ((support - oppose) / counts["positions"]).round(3)


def actor_issue_matrix(frame: Any, top_actors: int = TOP_ACTORS, top_issues: int = TOP_ISSUES) -> Any:
    """Label counts and net stance for each (holder, issue) among the most frequent holders and issues."""
    holders = frame["holder"].value_counts().index[:top_actors]
    issues = frame["issue"].value_counts().index[:top_issues]
    subset = frame[frame["holder"].isin(holders) & frame["issue"].isin(issues)]
    return label_counts(subset, ["holder", "issue"], _labels(frame))


def over_time(frame: Any, pairs: int = TOP_PAIRS) -> Any:
    """Net stance per period for the (holder, issue) pairs with dated positions in two or more periods.

    The period is a day for archives spanning up to 45 days, a month up to 3 years, a year beyond. In a
    small sample few pairs recur; then the holders are followed over all their issues (issue
    ``ALL_ISSUES``). Returns columns holder, issue, period, positions, net (empty when nothing recurs).
    """
    dated = frame.dropna(subset=["date"]).copy()
    if dated.empty:
        return _time_rows(dated)
    dated["period"] = _periods(dated["date"])
    series = _recurring(dated, pairs)
    if series.empty:
        series = _recurring(dated.assign(issue=ALL_ISSUES), pairs)
    return series


def _periods(dates: Any) -> Any:
    import pandas as pd

    dates = pd.to_datetime(dates)
    span = (dates.max() - dates.min()).days
    freq = "D" if span <= 45 else "M" if span <= 3 * 366 else "Y"
    return dates.dt.to_period(freq).astype(str)


def _recurring(dated: Any, pairs: int) -> Any:
    """The ``pairs`` (holder, issue) pairs with the most positions among those seen in two or more periods."""
    counts = label_counts(dated, ["holder", "issue", "period"], _labels(dated)).reset_index()
    periods = counts.groupby(["holder", "issue"])["period"].nunique()
    sizes = counts.groupby(["holder", "issue"])["positions"].sum()
    chosen = sizes[periods >= 2].sort_values(ascending=False, kind="stable").index[:pairs]
    keep = counts.set_index(["holder", "issue"]).index.isin(chosen)
    return _time_rows(counts[keep]).sort_values(["holder", "issue", "period"], ignore_index=True)


def _time_rows(frame: Any) -> Any:
    import pandas as pd

    columns = ["holder", "issue", "period", "positions", "net"]
    return frame[columns] if set(columns) <= set(frame.columns) else pd.DataFrame(columns=columns)


def _labels(frame: Any) -> list[str]:
    """The model's labels, from the ``p_<label>`` columns of the shards (in the model's order)."""
    return [c[2:] for c in frame.columns if c.startswith("p_") and c != "p_position"]


# ---------------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------------


def matrix_figure(matrix: Any) -> Any:
    """Heat map of net stance, holders down the side, issues across; each cell lists its counts per label."""
    plt = pyplot()
    net = matrix["net"].unstack()
    sizes = matrix["positions"]
    net = net.reindex(index=sizes.groupby(level=0).sum().sort_values(ascending=False, kind="stable").index,
                      columns=sizes.groupby(level=1).sum().sort_values(ascending=False, kind="stable").index)
    labels = [c for c in matrix.columns if c not in ("positions", "net")]
    fig, ax = plt.subplots(figsize=(min(3.0 + 1.1 * net.shape[1], 16), 1.6 + 0.42 * net.shape[0]))
    image = ax.imshow(net.to_numpy(dtype=float), cmap="RdYlGn", vmin=-1, vmax=1, aspect="auto")
    for (holder, issue), row in matrix.iterrows():
        i, j = net.index.get_loc(holder), net.columns.get_loc(issue)
        text = "/".join(str(int(row[lb])) for lb in labels)
        ax.text(j, i, text, ha="center", va="center", fontsize=7)
    ax.set_xticks(range(net.shape[1]), [_short(c, 28) for c in net.columns], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(net.shape[0]), [_short(r, 30) for r in net.index], fontsize=8)
    ax.set(title=f"net stance (support - oppose) / n; cells: {'/'.join(labels)}", xlabel="issue", ylabel="actor")
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    fig.tight_layout()
    return fig


def top_figure(frame: Any, n: int = 10) -> Any:
    """Two stacked bar charts: the ``n`` most frequent issues and actors, positions per label."""
    plt = pyplot()
    labels = _labels(frame)
    fig, axes = plt.subplots(1, 2, figsize=(12, 1.5 + 0.35 * n))
    for ax, column, title in zip(axes, ("issue", "holder"), ("top issues", "top actors")):
        counts = label_counts(frame, column, labels).head(n).iloc[::-1]
        left = np.zeros(len(counts))
        for label in labels:
            ax.barh([_short(i, 34) for i in counts.index], counts[label], left=left,
                    color=label_colour(label, labels), label=label)
            left += counts[label].to_numpy()
        ax.set(title=title, xlabel="positions")
        ax.tick_params(axis="y", labelsize=8)
    axes[1].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def time_figure(series: Any) -> Any:
    """Net stance per period, one line per (actor, issue) pair, marker size = positions."""
    import pandas as pd

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for (holder, issue), group in series.groupby(["holder", "issue"], sort=False):
        when = pd.to_datetime(group["period"])  # a time axis: periods in date order, gaps to scale
        ax.plot(when, group["net"], marker="o", label=f"{_short(holder, 24)} on {_short(issue, 30)}")
        ax.scatter(when, group["net"], s=12 * group["positions"], alpha=0.3)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(ylim=(-1.1, 1.1), xlabel="period", ylabel="net stance", title="an actor's stance on an issue over time")
    ax.tick_params(axis="x", rotation=35, labelsize=8)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def _short(text: Any, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 3] + "..."


# ---------------------------------------------------------------------------------------------------
# report.md
# ---------------------------------------------------------------------------------------------------


def write_report(out: str | Path) -> Path:
    """Draw the figures and write ``<out>/report.md`` from the shards and the manifest; return its path."""
    out = Path(out)
    frame = load_positions(out)
    manifest = _manifest(out)
    if frame.empty:
        raise InputError(f"{out}: the shards hold no positions, so there is nothing to report.")
    matrix = actor_issue_matrix(frame)
    series = over_time(frame)
    save_figure(matrix_figure(matrix), out / FIGURES["matrix"])
    save_figure(top_figure(frame), out / FIGURES["top"])
    (out / FIGURES["time"]).unlink(missing_ok=True)  # a redraw must not keep a figure the data no longer has
    if not series.empty:
        save_figure(time_figure(series), out / FIGURES["time"])
    return atomic_write_text(out / "report.md", report_text(frame, matrix, series, manifest))


def _manifest(out: Path) -> dict[str, Any]:
    path = out / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def report_text(frame: Any, matrix: Any, series: Any, manifest: dict[str, Any]) -> str:
    labels = _labels(frame)
    parts = [
        "# Archive report\n",
        _summary(frame, manifest),
        "## Top issues\n",
        markdown_table(label_counts(frame, "issue", labels).head(TOP_ISSUES), "issue"),
        "## Top actors\n",
        markdown_table(label_counts(frame, "holder", labels).head(TOP_ACTORS), "actor"),
        "## Actor x issue\n",
        "Net stance = (support - oppose) / positions. Cells of the figure list the counts per label "
        f"({'/'.join(labels)}).\n",
        f"![actor x issue]({FIGURES['matrix']})\n",
        markdown_table(matrix.reset_index().set_index("holder"), "actor"),
        f"![top issues and actors]({FIGURES['top']})\n",
        "## Over time\n",
        _time_section(frame, series),
    ]
    return "\n".join(parts)


def _summary(frame: Any, manifest: dict[str, Any]) -> str:
    dated = frame["date"].notna()
    lines = [
        f"- positions: {len(frame)} from {frame['article_id'].nunique()} articles "
        f"({manifest.get('articles_done', '?')} read, {manifest.get('skipped', '?')} skipped: "
        f"{_reasons(manifest.get('skipped_per_reason', {}))})",
        f"- model: `{manifest.get('model', {}).get('path', '?')}` ({manifest.get('precision', '?')})",
        f"- input: `{manifest.get('input', {}).get('path', '?')}`"
        + (f" (first {manifest['limit']} articles)" if manifest.get("limit") else ""),
        f"- shards: {manifest.get('shards_done', '?')} of {manifest.get('shards_total', '?')}"
        + ("" if manifest.get("complete", True) else " (**incomplete run**: rerun the same command to finish)"),
        f"- dates: {int(dated.sum())} positions dated"
        + (f", {frame.loc[dated, 'date'].min()} to {frame.loc[dated, 'date'].max()}" if dated.any() else ""),
    ]
    return "\n".join(lines) + "\n"


def _reasons(per_reason: dict[str, int]) -> str:
    return ", ".join(f"{n} {r}" for r, n in per_reason.items()) or "none"


def _time_section(frame: Any, series: Any) -> str:
    if frame["date"].notna().sum() == 0:
        return "The articles carry no dates, so there is no stance over time (give the input a `date` field).\n"
    if series.empty:
        return "No actor has dated positions in two or more periods.\n"
    note = ("No (actor, issue) pair recurs over time in this sample, so each line follows an actor over all "
            "issues.\n\n" if (series["issue"] == ALL_ISSUES).all() else "")
    return note + f"![over time]({FIGURES['time']})\n\n" + markdown_table(series.set_index("holder"), "actor")


def markdown_table(table: Any, index_name: str) -> str:
    """A DataFrame as a GitHub Markdown table (index first); floats with 3 decimals, pipes escaped."""
    header = [index_name, *map(str, table.columns)]
    rows = [[_cell(i), *(_cell(v) for v in row)] for i, row in zip(table.index, table.itertuples(index=False))]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")
