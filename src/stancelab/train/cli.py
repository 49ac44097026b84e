"""Fine-tune a pretrained encoder to label (speaker, target, text) examples, through the transformers Trainer.

    python -m stancelab.train --config configs/default.yaml [section.key=value ...]
    python -m stancelab.train --config configs/setfit.yaml     # SetFit, for a few hundred labels

writes a self-describing run directory ``runs/<run_name>/``::

    config.yaml            the resolved config
    model/                 safetensors weights, tokenizer, config.json (label names), stancelab.json
    metrics.json           {"dev": {...}, "test": {...}} with CIs and calibration error
    predictions_dev.jsonl  per-example predictions with probabilities
    predictions_test.jsonl
    train_log.csv          loss and dev metrics per epoch (train_log.jsonl: the same, written as training runs)
    tensorboard/           the same, for TensorBoard

Work happens in ``runs/.<run_name>.partial/``; rerunning the same command after a crash resumes from
its last checkpoint, and the finished run replaces ``runs/<run_name>`` only once complete, so a failed
run never destroys a finished one. The same command runs under ``torchrun``/``accelerate launch``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stancelab.cli import command, description
from stancelab.config import Config, load_config
from stancelab.evaluate.baselines import format_comparison
from stancelab.evaluate.metrics import format_metrics_table
from stancelab.train.run import train, train_seeds


@command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.train", description=description(__doc__))
    parser.add_argument("--config", required=True, help="YAML config, e.g. configs/default.yaml")
    parser.add_argument("overrides", nargs="*", help="section.key=value, e.g. train.epochs=3")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished run of the same name")
    parser.add_argument("--seeds", nargs="+", type=int, help="train once per seed and report mean ± std")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines and no progress bars")
    args = parser.parse_args(argv)
    config = load_config(args.config, args.overrides)
    if args.seeds:
        _print_seed_summary(train_seeds(config, args.seeds, overwrite=args.overwrite, quiet=args.quiet))
        return 0
    run_dir = Path(config.train.output_dir) / config.train.run_name
    metrics = train(config, run_dir, overwrite=args.overwrite, quiet=args.quiet)
    if metrics:
        _print_run(run_dir, config, metrics)
    return 0


def _print_run(run_dir: Path, config: Config, metrics: dict[str, Any]) -> None:
    print(f"\nrun directory: {run_dir}")
    print(format_metrics_table(metrics["test"], title=f"test ({config.data.test})"))
    for path, extra in metrics.get("extra_test", {}).items():
        print()
        print(format_metrics_table(extra, title=f"extra test ({path})"))
    if metrics.get("baselines"):
        systems = {config.train.method: {"test": metrics["test"]}, **metrics["baselines"]}
        print(f"\nagainst baselines on the same test split:\n{format_comparison(systems)}")
    print(f"\nreport: {run_dir / 'report.md'}")


def _print_seed_summary(summary: dict[str, Any]) -> None:
    if not summary.get("test"):
        return
    print(f"\nseeds {summary['seeds']} (mean ± std):")
    for split in ("dev", "test"):
        cells = "  ".join(f"{k}={v['mean']:.3f}±{v['std']:.3f}" for k, v in summary[split].items())
        print(f"{split:>5}: {cells}")
