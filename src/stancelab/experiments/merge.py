"""Join the results of separate experiment runs (per method, per held-out domain) into one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stancelab.data.io import InputError, read_text
from stancelab.experiments.summaries import (
    _save_curve,
    _save_lodo,
    curve_markdown,
    lodo_markdown,
    summarise,
    summarise_folds,
)


def merge_curves(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One curve result from several: methods side by side, sizes in training-set order ("all" last).

    A method may come from several files (say n=50-100 from one run, n=200 from another, or seeds 1 and 2
    of one size from two jobs), as long as no (size, seed) of it appears twice; a size's mean and std are
    recomputed over the seeds joined.
    """
    merged: dict[str, Any] = {"experiment": "curve", "methods": {}, "merged_from": len(parts)}
    for part in parts:
        for name, entry in part["methods"].items():
            into = merged["methods"].setdefault(name, {"runs": {}, "summary": {}})
            for size, seeds in entry.get("runs", {}).items():
                joined = into["runs"].setdefault(size, {})
                twice = sorted(set(joined) & set(seeds))
                if twice:
                    raise InputError(
                        f"merge: method {name!r} has n={size}, seed {twice[0]} in more than one curve file; "
                        "pass each result once."
                    )
                joined.update(seeds)
            for size, summary in entry["summary"].items():
                runs = into["runs"].get(size)
                if not runs:  # a file without per-seed runs: its summary is all there is
                    if size in into["summary"]:
                        raise InputError(f"merge: method {name!r} has n={size} in more than one curve file.")
                    into["summary"][size] = summary
                    continue
                mean, std = summarise([run["dev"] for run in runs.values()])
                into["summary"][size] = {"n_train": summary["n_train"], "seeds": len(runs), "mean": mean, "std": std}
    sizes = {size for part in parts for size in part["sizes"]}
    merged["sizes"] = sorted(sizes, key=lambda s: (s == "all", int(s) if s != "all" else 0))
    merged["seeds"] = sorted({seed for part in parts for seed in part["seeds"]})
    return merged


def merge_lodo(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One leave-domain-out result from several runs over different held-out domains (a long run split into
    jobs, or resumed with ``--domains``); means are recomputed over the union of folds."""
    merged: dict[str, Any] = {"experiment": "lodo", "methods": {}, "merged_from": len(parts)}
    for key in ("dev_fraction", "config"):
        merged[key] = parts[0].get(key)
    for part in parts:
        for name, entry in part["methods"].items():
            into = merged["methods"].setdefault(name, {"folds": {}})
            twice = sorted(set(into["folds"]) & set(entry["folds"]))
            if twice:
                raise InputError(f"merge: method {name!r} has domain {twice[0]!r} in more than one lodo file.")
            into["folds"].update(entry["folds"])
            if "in_domain" in entry:
                into["in_domain"] = entry["in_domain"]
    for entry in merged["methods"].values():
        summarise_folds(entry)
    return merged


def rename_methods(part: dict[str, Any], renames: list[str]) -> dict[str, Any]:
    """The result with its methods renamed by ``OLD=NEW`` pairs; methods not named are kept as they are."""
    mapping = {}
    for item in renames:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise InputError(f"merge --rename: expected OLD=NEW (say finetune=finetune_cls), found {item!r}.")
        mapping[old] = new
    return {**part, "methods": {mapping.get(name, name): entry for name, entry in part["methods"].items()}}


def _merge(files: list[str], out_dir: Path, renames: list[str] | None = None) -> int:
    parts = [rename_methods(json.loads(read_text(Path(f))), renames or []) for f in files]
    kinds = {part.get("experiment") for part in parts}
    if len(kinds) != 1 or kinds - {"curve", "lodo"}:
        raise InputError(
            f"merge: expected curve.json files or lodo.json files, one kind at a time; found {sorted(map(str, kinds))}."
        )
    if kinds == {"lodo"}:
        results = merge_lodo(parts)
        _save_lodo(results, out_dir)
        print(lodo_markdown(results))
    else:
        results = merge_curves(parts)
        _save_curve(results, out_dir)
        print(curve_markdown(results))
    return 0
