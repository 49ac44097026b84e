"""Generalisation experiments: leave-one-domain-out evaluation and learning curves, for several methods
on the same splits.

    python -m stancelab.experiments lodo --config configs/default.yaml --methods tfidf_lr frozen_lr [--domains sport]
    python -m stancelab.experiments indomain --config configs/default.yaml --methods finetune --extra realnews=PATH
    python -m stancelab.experiments curve --config configs/default.yaml --sizes 50 100 200 400 all --seeds 1 2 3 \
        --methods tfidf_lr frozen_lr

``lodo``: for each domain, train on the other domains' train+dev examples (a random 15% of their
ARTICLES held out as dev, for early stopping and model selection) and test on every example of the
held-out domain (its train, dev and test examples). The in-domain reference (train on train, select on
dev, score test) is run with the same settings unless ``--no-in-domain``; ``--extra name=path`` scores
the in-domain model on further labelled files (e.g. a real-news set). The test split is only ever
scored, never used for a choice. ``indomain`` runs the reference alone.

``curve``: for each seed, one random order of the train split; the first n examples form the subset of
size n (so the subsets of one seed are nested). Each method trains on the subset, selects on dev as it
normally does, and is scored on dev. ``merge`` joins the ``curve.json`` of separate runs (say one per
method, each with its own budget) into one table and one plot, or the ``lodo.json`` of runs over
different held-out domains into one leave-domain-out result::

    python -m stancelab.experiments merge experiments/curve_*/curve.json --out experiments/curve

``subset`` writes the training examples of one curve point as JSONL, so a model can be trained on exactly
that subset with ``python -m stancelab.train ... data.train=<file>``.

Methods (``--methods``): finetune (``stancelab.train``), tfidf_lr and frozen_lr (the floor, as in
``stancelab.evaluate.baselines``), setfit (``stancelab.train.setfit_method``), entailment
(``stancelab.experiments.entailment``).
Every method has ``fit(train, dev) -> self`` and ``predict(examples) -> labels``. Results go to
``--out`` as JSON and a Markdown table (and ``curve.png``); model runs go under ``--work-dir`` and are
deleted once scored unless ``--keep-runs``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stancelab.cli import command, description
from stancelab.config import Config, load_config
from stancelab.data.io import InputError
from stancelab.data.readers import read_split
from stancelab.data.schema import Example, read_examples, write_examples
from stancelab.experiments.folds import nested_subsets
from stancelab.experiments.merge import _merge
from stancelab.experiments.methods import LOGISTIC_BASELINES, METHODS
from stancelab.experiments.runners import run_curve, run_lodo
from stancelab.experiments.summaries import curve_markdown, lodo_markdown


def parse_extras(items: list[str], labels: list[str]) -> dict[str, list[Example]]:
    """``name=path`` pairs -> labelled examples read in the project's schema."""
    extras = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path or name == "test":
            raise InputError(f"--extra {item!r}: expected name=path.jsonl with a name other than 'test'.")
        extras[name] = read_examples(path, labels=tuple(labels), require_label=True)
    return extras


def write_subset(config: Config, size: str, seed: int, out: Path) -> int:
    """Write the ``size`` training examples that ``curve`` trains on for ``seed`` (``nested_subsets``)."""
    train = read_split(config.data.train, config.data)
    key = size if size == "all" else str(_size(size))  # "0200" and "200" name the same subset
    subset = nested_subsets(train, [key], seed)[key]
    write_examples(out, subset)
    counts = {label: sum(ex.label == label for ex in subset) for label in config.data.labels}
    print(f"{out}: {len(subset)} of {len(train)} training examples (seed {seed}); {counts}")
    return 0


def _size(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"--size: expected a number of examples or 'all', found {text!r}.") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stancelab.experiments", description=description(__doc__))
    commands = parser.add_subparsers(dest="command", required=True)
    merge = commands.add_parser("merge", help="join curve.json (or lodo.json) files into one result")
    merge.add_argument("files", nargs="+")
    merge.add_argument("--out", default="experiments/curve")
    merge.add_argument(
        "--rename",
        nargs="+",
        default=[],
        metavar="OLD=NEW",
        help="store method OLD as NEW (say finetune=finetune_cls, to put two variants of one method side by side)",
    )
    subset = commands.add_parser(
        "subset", help="write the training subset a curve point trains on (to train on it with stancelab.train)"
    )
    subset.add_argument("--config", required=True)
    subset.add_argument("--size", required=True, help="number of training examples, or 'all'")
    subset.add_argument("--seed", type=int, default=1)
    subset.add_argument("--out", required=True, help="JSONL file to write")
    subset.add_argument("overrides", nargs="*", help="section.key=value")
    for kind in ("lodo", "indomain", "curve"):
        sub = commands.add_parser(kind)
        sub.add_argument("--config", required=True)
        sub.add_argument("--methods", nargs="+", choices=METHODS, default=list(LOGISTIC_BASELINES))
        sub.add_argument("--out", help="results folder (default experiments/<command>)")
        sub.add_argument("--work-dir", help="model runs (default <train.output_dir>/experiments/<command>)")
        sub.add_argument("--keep-runs", action="store_true", help="keep every trained model")
        sub.add_argument(
            "--setfit-iterations", type=int, help="SetFit pairs per example (default: setfit.num_iterations)"
        )
        sub.add_argument("--setfit-steps", type=int, default=-1, help="cap on SetFit contrastive steps")
        sub.add_argument("overrides", nargs="*", help="section.key=value")
        if kind in ("lodo", "indomain"):
            sub.add_argument(
                "--extra",
                action="append",
                default=[],
                metavar="NAME=PATH",
                help="another labelled set for the in-domain model to score; repeat the flag for several",
            )
        if kind == "lodo":
            sub.add_argument("--domains", nargs="+", help="held-out domains (default: all)")
            sub.add_argument(
                "--dev-fraction", type=float, default=0.15, help="share of training articles held out as dev"
            )
            sub.add_argument("--no-in-domain", action="store_true", help="skip the in-domain reference")
        if kind == "curve":
            sub.add_argument("--sizes", nargs="+", default=["50", "100", "200", "400", "all"])
            sub.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    return parser


@command
def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "merge":
        return _merge(args.files, Path(args.out), args.rename)
    config = load_config(args.config, args.overrides)
    if args.command == "subset":
        return write_subset(config, args.size, args.seed, Path(args.out))
    out_dir = Path(args.out or f"experiments/{args.command}")
    options = {
        "work_dir": args.work_dir or str(Path(config.train.output_dir) / "experiments" / args.command),
        "keep_runs": args.keep_runs,
        "cache": {},
        "setfit_iterations": args.setfit_iterations,
        "setfit_steps": args.setfit_steps,
    }
    if args.command == "curve":
        results = run_curve(
            config, args.methods, sizes=args.sizes, seeds=args.seeds, out_dir=out_dir, options=options
        )
        print(curve_markdown(results))
        return 0
    lodo = args.command == "lodo"
    results = run_lodo(
        config,
        args.methods,
        domains=args.domains if lodo else [],
        in_domain=not (lodo and args.no_in_domain),
        extras=parse_extras(args.extra, list(config.data.labels)),
        dev_fraction=args.dev_fraction if lodo else 0.15,
        out_dir=out_dir,
        options=options,
    )
    print(lodo_markdown(results))
    return 0
