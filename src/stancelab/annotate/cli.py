"""The annotation loop's commands: ``python -m stancelab.annotate export|import|select|config|simulate``.

    python -m stancelab.annotate export --input candidates.jsonl --articles data/raw --output tasks.json \\
        --format label-studio [--model runs/default] [--select uncertainty --n 200]
    python -m stancelab.annotate import --input export.json [--input export2.json ...] --output labelled.jsonl
    python -m stancelab.annotate select --input candidates.jsonl --model runs/default --n 200 --output batch.jsonl
    python -m stancelab.annotate config --format label-studio      # print the labelling config
    python -m stancelab.annotate simulate                          # the active-learning experiment

Details and the whole loop from the builder to a retrained model: docs/annotation-loop.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.annotate.formats import FORMATS, read_export, resource_path, write_tasks
from stancelab.annotate.merge import MergeResult, apply_decisions, merge_annotations, validate_all
from stancelab.annotate.select import PER_ARTICLE, STRATEGIES, SelectConfig, scores, select_batch
from stancelab.annotate.simulate import SimulationConfig, run_simulation
from stancelab.annotate.tasks import CONTEXT_CHARS, Prediction, Task, load_articles, make_tasks
from stancelab.cli import description, writing
from stancelab.data.io import InputError, atomic_write_json, atomic_write_jsonl, atomic_write_text, read_jsonl_objects
from stancelab.data.schema import Example, read_examples, write_examples
from stancelab.predict.cli import quiet_model_loading
from stancelab.predict.inference import predict
from stancelab.predict.loading import load_model

CONFIG_FILES = {"label-studio": "label_studio.xml", "doccano": "doccano_labels.json", "prodigy": "prodigy_recipe.py"}


# ---------------------------------------------------------------------------------------------------
# select / export
# ---------------------------------------------------------------------------------------------------


def model_probs(examples: list[Example], model: str) -> tuple[Any, list[str], str]:
    """(probabilities (n, n_labels), the model's labels, its version name) from ``stancelab.predict``."""

    quiet_model_loading()
    loaded = load_model(model)
    results = predict(examples, loaded)
    probs = np.array([[r["probs"][label] for label in loaded.labels] for r in results]).reshape(-1, len(loaded.labels))
    return probs, loaded.labels, Path(model).resolve().name


def choose(examples: list[Example], config: SelectConfig, model: str | None,
           exclude: set[str] | None = None) -> tuple[list[Example], dict[int, float], Any]:
    """The batch (best first), each chosen example's selection score, and the model's output (or None)."""
    pool = [ex for ex in examples if ex.id not in (exclude or set())]
    if not pool:
        raise InputError("select: every candidate is already labelled (--exclude); build new candidates.")
    output = model_probs(pool, model) if model else None
    probs = output[0] if output else None
    groups = [ex.article_id for ex in pool]
    chosen = select_batch(probs, groups, config.n, config.strategy, config.per_article, config.seed)
    ranked = probs if probs is not None else np.zeros((len(pool), 1))  # random needs no model
    score = scores(ranked, config.strategy, config.seed)
    if output is not None:  # keep the model's output aligned with the batch
        output = (output[0][chosen], output[1], output[2])
    return [pool[i] for i in chosen], {k: float(score[i]) for k, i in enumerate(chosen)}, output


def export(args: argparse.Namespace) -> int:
    """``export``: candidates (optionally a selected batch) -> the tool's import file."""
    examples = read_examples(args.input, labels=None)
    output = None
    extra: dict[int, dict[str, Any]] = {}
    if args.select:
        config = SelectConfig(args.select, args.n, args.per_article, args.seed)
        examples, score, output = choose(examples, config, args.model, _ids(args.exclude))
        extra = {k: {"al_strategy": args.select, "al_score": round(s, 6)} for k, s in score.items()}
    elif args.model:
        output = model_probs(examples, args.model)
    tasks = make_tasks(examples, load_articles(args.articles), str(args.input), context_chars=args.context_chars)
    for k, task in enumerate(tasks):
        task.extra = extra.get(k, {})
    if output is not None:
        attach_predictions(tasks, *output)
    atomic_write_text(args.output, write_tasks(tasks, args.format))
    print(f"wrote {len(tasks)} {args.format} tasks to {args.output}" + (f" (model {output[2]})" if output else ""))
    return 0


def attach_predictions(tasks: list[Task], probs: Any, labels: list[str], version: str) -> None:
    for task, row in zip(tasks, probs):
        dist = {label: float(p) for label, p in zip(labels, row)}
        task.prediction = Prediction(max(dist, key=dist.get), dist, version)


def select(args: argparse.Namespace) -> int:
    """``select``: the next batch of candidates as JSONL (then ``export`` it, or use ``export --select``)."""
    examples = read_examples(args.input, labels=None)
    config = SelectConfig(args.strategy, args.n, args.per_article, args.seed)
    picked, score, _ = choose(examples, config, args.model, _ids(args.exclude))
    rows = [{**ex.to_dict(), "al_strategy": args.strategy, "al_score": round(score[k], 6)}
            for k, ex in enumerate(picked)]
    atomic_write_jsonl(args.output, rows)
    per_article = Counter(ex.article_id for ex in picked)
    print(f"wrote {len(rows)} of {len(examples)} candidates to {args.output} ({args.strategy}; "
          f"{len(per_article)} articles, at most {max(per_article.values())} per article)")
    return 0


def _ids(paths: list[str] | None) -> set[str]:
    """Example ids already labelled (files of examples, e.g. earlier ``import`` outputs)."""
    return {str(row.get("id")) for path in paths or [] for _, row in read_jsonl_objects(path)}


# ---------------------------------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------------------------------


def import_(args: argparse.Namespace) -> int:
    """``import``: exports -> validated, merged examples; rejects, disagreements and agreement beside them."""
    annotations = [ann for path in args.input for ann in read_export(path, args.format)]
    articles = load_articles(args.articles) if args.articles else None
    result = merge_annotations(annotations, articles)
    examples = result.examples
    if args.adjudicated:
        decisions = [(f"{args.adjudicated}:{n}", row) for n, row in read_jsonl_objects(args.adjudicated)]
        valid = {item.example.id: item.example for item in validate_all(annotations, articles)[0]}
        examples = apply_decisions(result, decisions, valid)
    paths = output_paths(args.output, args.rejects, args.disagreements)
    write_import(paths, examples, result)
    print(import_report(result, examples, paths))
    if not examples:
        print(f"error: no valid labelled row in {', '.join(args.input)}; see {paths['rejects']}", file=sys.stderr)
        return 1
    return 0


def output_paths(output: str, rejects: str | None, disagreements: str | None) -> dict[str, Path]:
    out = Path(output)
    stem = out.with_suffix("")
    return {"output": out, "rejects": Path(rejects or f"{stem}.rejects.jsonl"),
            "disagreements": Path(disagreements or f"{stem}.disagreements.jsonl"),
            "agreement": Path(f"{stem}.agreement.json")}


def write_import(paths: dict[str, Path], examples: list[Example], result: MergeResult) -> None:
    """Every file is written atomically; rejects and disagreements are written even when empty."""
    write_examples(paths["output"], examples)
    atomic_write_jsonl(paths["rejects"], result.rejects)
    atomic_write_jsonl(paths["disagreements"], result.disagreements)
    atomic_write_json(paths["agreement"], {**result.agreement, "counts": {**result.counts,
                                                                          "written": len(examples)}})


def import_report(result: MergeResult, examples: list[Example], paths: dict[str, Path]) -> str:
    c, a = result.counts, result.agreement
    lines = [f"{c['annotations']} annotations: {c['valid']} valid, {c['rejected']} rejected -> {paths['rejects']}",
             f"wrote {len(examples)} examples to {paths['output']} ({dict(Counter(ex.label for ex in examples))})",
             f"{c['disagreements']} disagreements ({c['ties']} ties, left out until adjudicated) -> "
             f"{paths['disagreements']}"]
    if a["method"]:
        name = "Cohen's" if a["method"] == "cohen" else "Fleiss'"
        per = ", ".join(f"{k} {_fmt(v)}" for k, v in a["per_label"].items())
        lines.append(f"{name} kappa {_fmt(a['kappa'])} on {a['items']} examples, {len(a['annotators'])} annotators "
                     f"(observed agreement {a['observed']:.3f}); per label: {per}")
    else:
        lines.append("agreement: no example has two annotators")
    for reject in result.rejects[:5]:
        lines.append(f"  rejected {reject['error']}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


# ---------------------------------------------------------------------------------------------------
# config / simulate / main
# ---------------------------------------------------------------------------------------------------


def config(args: argparse.Namespace) -> int:
    """``config``: print (or copy) the labelling config shipped for a tool."""
    text = resource_path(CONFIG_FILES[args.format]).read_text(encoding="utf-8")
    if args.output:
        atomic_write_text(args.output, text)
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def simulate(args: argparse.Namespace) -> int:

    overrides = dict(item.split("=", 1) for item in args.set or [])
    result = run_simulation(SimulationConfig.from_overrides(overrides))
    print(json.dumps(result["summary"], indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stancelab.annotate", description=description(__doc__))
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="candidates -> tasks for Label Studio, doccano or Prodigy")
    exp.add_argument("--input", required=True, help="candidates JSONL (python -m stancelab.build)")
    exp.add_argument("--articles", required=True, help="the articles the builder read (.txt, folder, .jsonl)")
    exp.add_argument("--output", required=True)
    exp.add_argument("--format", choices=FORMATS, default="label-studio")
    exp.add_argument("--model", help="run directory: its prediction becomes the pre-annotation")
    exp.add_argument("--select", choices=STRATEGIES, help="export only a batch chosen this way")
    exp.add_argument("--context-chars", type=int, default=CONTEXT_CHARS, help="article shown around the statement")
    _selection_arguments(exp)
    imp = sub.add_parser("import", help="tool exports -> validated, merged labelled JSONL")
    imp.add_argument("--input", required=True, action="append", help="an export file (repeat for more)")
    imp.add_argument("--output", required=True)
    imp.add_argument("--format", choices=FORMATS, help="default: guessed from each file")
    imp.add_argument("--articles", help="check offsets against these articles (.txt, folder, .jsonl)")
    imp.add_argument("--rejects", help="default: <output>.rejects.jsonl")
    imp.add_argument("--disagreements", help="default: <output>.disagreements.jsonl")
    imp.add_argument("--adjudicated", help="a disagreements file with 'decision' filled in")
    sel = sub.add_parser("select", help="the next batch by uncertainty, margin or random, spread across articles")
    sel.add_argument("--input", required=True)
    sel.add_argument("--output", required=True)
    sel.add_argument("--model", help="run directory (needed for uncertainty and margin)")
    sel.add_argument("--strategy", choices=STRATEGIES, default="uncertainty")
    _selection_arguments(sel)
    cfg = sub.add_parser("config", help="print the shipped labelling config of a tool")
    cfg.add_argument("--format", choices=FORMATS, default="label-studio")
    cfg.add_argument("--output")
    sim = sub.add_parser("simulate", help="active learning with a simulated annotator on the corpus")
    sim.add_argument("--set", nargs="*", help="key=value overrides of SimulationConfig, e.g. budget=400")
    return parser


def _selection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, default=200, help="batch size")
    parser.add_argument("--per-article", type=int, default=PER_ARTICLE, help="diversity cap per article")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude", action="append", help="JSONL of examples already labelled (repeatable)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export" and args.select in ("uncertainty", "margin") and not args.model:
        print(f"error: --select {args.select} needs --model: the model's probabilities rank the candidates.",
              file=sys.stderr)
        return 2
    command = {"export": export, "import": import_, "select": select, "config": config, "simulate": simulate}
    try:
        with writing(getattr(args, "output", None)):
            return command[args.command](args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
