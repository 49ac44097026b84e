"""Speed of ``stancelab.predict`` next to ``transformers.pipeline``: same model, same inputs, one run.

    python bench/bench_predict.py [--model runs/default] [--data data/processed/test.jsonl] [--raw data/raw]
                                  [--threads N] [--repeat 3] [--labelled FILE ...]

Inputs: the ``--data`` split, and every sentence of the ``--raw`` articles paired in turn with the
speakers and targets the builder finds in the same article (real-length statements). The pipeline gets the
same (segment A, segment B) pairs as ``ModelSpec`` builds, as ``{"text", "text_pair"}`` dicts, truncated the
same way. Timings are medians of ``--repeat`` runs, the methods interleaved so that load from other jobs
falls on all of them alike. Load time and peak memory are measured in a fresh process per method.
stancelab runs in each precision (float32, bfloat16, int8; ``--precisions``). Goals: at least 3x the
default pipeline, ahead of the batched one; a reduced precision within 1 point macro-F1 of float32.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.data.schema import Example, read_examples
from stancelab.models.inputs import format_pair
from stancelab.models.spec import LoadedModel
from stancelab.predict.inference import DEFAULT_BATCH_SIZE, predict, predict_logits
from stancelab.predict.loading import PRECISIONS, load_model

SENTENCE_END = re.compile(r"(?<=[.!?\"”])\s+(?=[\"“A-Z])")


# ---- inputs -------------------------------------------------------------------------------------------


def sentence_examples(raw: str | Path) -> list[Example]:
    """Each sentence of each article, paired in turn with the (speaker, target)s the builder found there."""
    from stancelab.build.pipeline import build_examples, read_articles

    rows, _ = read_articles(raw)
    out = []
    for row in rows:
        if row.get("skip"):
            continue
        found = build_examples(row["text"], row["article_id"]) or []
        who = [(ex.speaker, ex.target) for ex in found] or [("the reporter", "the article")]
        sentences = [s for s in SENTENCE_END.split(row["text"]) if s.strip()]
        for i, sentence in enumerate(sentences):
            speaker, target = who[i % len(who)]
            out.append(Example(f"{row['article_id']}-s{i}", row["article_id"], speaker, "", target, sentence.strip()))
    return out


def pipeline_inputs(examples: list[Example], loaded: LoadedModel) -> list[dict[str, str]]:
    """The same segment pairs that ``encode()`` builds, in the pipeline's text-pair form."""
    return [dict(zip(("text", "text_pair"), format_pair(ex, loaded.spec))) for ex in examples]


def make_pipeline(model_dir: Path) -> Any:
    """transformers' text-classification pipeline on the model; a mean-pooling model (not an
    ``AutoModelForSequenceClassification``) is handed over as a loaded module, which the pipeline runs as is."""
    from transformers import pipeline
    from transformers.utils import logging

    from stancelab.models import pooling
    from stancelab.models.modeling import find_model_dir
    from stancelab.models.spec import MEAN_POOLINGS, ModelSpec

    model_dir = find_model_dir(model_dir)
    spec_pooling = ModelSpec.load(model_dir).pooling
    if spec_pooling not in MEAN_POOLINGS:
        return pipeline("text-classification", model=str(model_dir), tokenizer=str(model_dir), top_k=None, device="cpu")
    notices = logging.get_logger("transformers.pipelines.base")
    level = notices.level
    notices.setLevel("CRITICAL")  # its "not supported for text-classification" notice; the pipeline runs it
    try:
        return pipeline(
            "text-classification",
            model=pooling.load(model_dir, spec_pooling == "mean_normalized"),
            tokenizer=str(model_dir),
            top_k=None,
        )
    finally:
        notices.setLevel(level)


# ---- FLOPs and peak -----------------------------------------------------------------------------------


def flops_per_sequence(config: Any, length: int, n_labels: int) -> int:
    """Forward FLOPs of one BERT-style sequence of ``length`` tokens (multiply-add = 2 FLOPs).

    Per layer: Q, K, V, output projections (4 h^2) and the two FFN matrices (2 h i) per token, plus
    QK^T and attention x V (2 L^2 h each); then the pooler (h^2) and the classifier (h x labels) once.
    """
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_layer = 2 * length * (4 * h * h + 2 * h * i) + 4 * length * length * h
    return layers * per_layer + 2 * h * h + 2 * h * n_labels


def counted_flops(loaded: LoadedModel, batch: int = 8, length: int = 64) -> int:
    """FLOPs that torch's FlopCounterMode counts for one (batch, length) forward pass."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    ids = torch.full((batch, length), loaded.tokenizer.cls_token_id or 1, dtype=torch.long)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        loaded.model(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids))
    return counter.get_total_flops()


def matmul_peak_gflops(n: int = 2048, repeat: int = 5) -> float:
    """fp32 GFLOP/s of a large square matmul on the current torch threads: the machine's practical peak."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.matmul(a, b)
    times = [timed(lambda: torch.matmul(a, b)) for _ in range(repeat)]
    return 2 * n**3 / min(times) / 1e9


# ---- timing -------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def throughput(methods: dict[str, Callable[[], Any]], n: int, repeat: int) -> dict[str, float]:
    """Median examples/s of each method; the methods take turns in each round."""
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeat):
        for name, fn in methods.items():
            times[name].append(timed(fn))
    return {name: n / statistics.median(ts) for name, ts in times.items()}


def latencies_ms(fn: Callable[[Any], Any], items: list[Any]) -> tuple[float, float]:
    """p50 and p95 in milliseconds of ``fn`` on one item at a time."""
    fn(items[0])
    ms = [1000 * timed(lambda item=item: fn(item)) for item in items]
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def load_and_peak(kind: str, model_dir: str, rows: list[dict[str, str]], threads: int | None) -> tuple[float, float]:
    """Run in a fresh process: seconds to load, then peak RSS (MiB) after labelling ``rows`` once."""
    import torch

    from stancelab.models.spec import ModelSpec

    if threads:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    if kind == "pipeline":
        pipe = make_pipeline(Path(model_dir))
        loaded_s = time.perf_counter() - start
        max_length = ModelSpec.load(model_dir).max_length
        pipe(rows, batch_size=DEFAULT_BATCH_SIZE, truncation="only_second", max_length=max_length)
    else:
        loaded = load_model(model_dir, precision=kind)
        loaded_s = time.perf_counter() - start
        predict(rows, loaded)
    return loaded_s, peak_rss_mib()


def peak_rss_mib() -> float:
    """This process's peak resident memory. ru_maxrss would do, but Linux carries it over from the parent
    across fork + exec, so a fresh process would report the benchmark's own peak; VmHWM starts anew."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_fresh_process(*args: Any) -> tuple[float, float]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(load_and_peak, *args).result()


# ---- accuracy -----------------------------------------------------------------------------------------


def macro_f1_by_precision(path: str, models: dict[str, LoadedModel]) -> dict[str, tuple[int, float, float]]:
    """Per precision: n, macro-F1, and the share of labels equal to float32's, on a labelled file."""
    from stancelab.evaluate.metrics import classification_metrics

    reference = models["float32"]
    examples = read_examples(path, labels=tuple(reference.labels), require_label=True)
    gold = [ex.label for ex in examples]
    predicted = {
        name: [loaded.labels[i] for i in predict_logits(examples, loaded).argmax(axis=1)]
        for name, loaded in models.items()
    }
    return {
        name: (
            len(examples),
            classification_metrics(gold, labels, reference.labels)["macro_f1"],
            float(np.mean(np.array(labels) == np.array(predicted["float32"]))),
        )
        for name, labels in predicted.items()
    }


# ---- report -------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def speed_table(sets: dict[str, dict[str, Any]], peak: float) -> list[str]:
    lines = [
        "| inputs | method | examples/s | vs pipeline default | vs pipeline batched | GFLOP/s | % of fp32 peak |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for set_name, result in sets.items():
        rates = result["rates"]
        default, batched = rates["pipeline, default batching"], rates[f"pipeline, batch_size={result['batch']}"]
        for name, rate in rates.items():
            gflops = result["flops_per_example"] * rate / 1e9
            lines.append(
                f"| {set_name} | {name} | {rate:.1f} | {rate / default:.2f}x | {rate / batched:.2f}x "
                f"| {gflops:.1f} | {100 * gflops / peak:.0f}% |"
            )
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="runs/default", help="run or model directory")
    parser.add_argument("--data", default="data/processed/test.jsonl", help="examples JSONL (the test split)")
    parser.add_argument("--raw", default="data/raw", help="articles whose sentences make the larger input set")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, one per core)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per method; medians are reported")
    parser.add_argument("--latency-n", type=int, default=100, help="single examples timed for p50/p95")
    parser.add_argument("--labelled", nargs="*", default=None, help="labelled JSONL for macro-F1 per precision")
    parser.add_argument(
        "--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS), help="stancelab precisions to run"
    )
    args = parser.parse_args(argv)
    if "float32" not in args.precisions:
        args.precisions.insert(0, "float32")  # the reference for agreement and macro-F1 changes
    return args


def main(argv: list[str] | None = None) -> None:
    import torch

    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    models = {name: load_model(args.model, precision=name) for name in args.precisions}
    float_model = models["float32"]
    pipe = make_pipeline(float_model.path)
    peak = matmul_peak_gflops()
    split = read_examples(args.data, labels=None)
    sets = {Path(args.data).name: split, f"sentences of {args.raw}": sentence_examples(args.raw)}
    speed = {}
    for name, examples in sets.items():
        print(f"timing {name}: {len(examples)} examples", file=sys.stderr)
        speed[name] = run_set(examples, models, pipe, args)
    single = run_latency(split[: args.latency_n], models, pipe)
    fresh = run_fresh(split, models, args.threads)
    labelled = args.labelled if args.labelled is not None else [args.data]
    f1 = {path: macro_f1_by_precision(path, models) for path in labelled}
    command = "python bench/bench_predict.py " + " ".join(sys.argv[1:] if argv is None else argv)
    peak = max(peak, matmul_peak_gflops())  # before and after: other jobs may have slowed one of them
    print("\n".join(report(command, float_model, peak, speed, single, fresh, f1, args)))


def run_set(examples: list[Example], models: dict[str, LoadedModel], pipe: Any, args) -> dict:
    """Throughput of every method on one input set, plus the FLOPs and padding of our batching."""
    from stancelab.models.inputs import encode

    float_model = models["float32"]
    pairs = pipeline_inputs(examples, float_model)
    batch, max_length = args.batch_size, float_model.spec.max_length
    methods: dict[str, Callable[[], Any]] = {
        f"stancelab {name}": (lambda loaded=loaded: predict(examples, loaded, batch_size=batch))
        for name, loaded in models.items()
    }
    methods |= {
        "pipeline, default batching": lambda: pipe(pairs, truncation="only_second", max_length=max_length),
        f"pipeline, batch_size={batch}": lambda: pipe(
            pairs, batch_size=batch, truncation="only_second", max_length=max_length
        ),
    }
    for loaded in models.values():
        predict(examples[:batch], loaded)  # warm up: first-call costs
    pipe(pairs[:batch], batch_size=batch, truncation="only_second", max_length=max_length)
    ours = [r["label"] for r in predict(examples, float_model, batch_size=batch)]
    theirs = [max(scores, key=lambda s: s["score"])["label"] for scores in methods[f"pipeline, batch_size={batch}"]()]
    lengths = np.array([len(ids) for ids in encode(examples, float_model.tokenizer, float_model.spec)["input_ids"]])
    longest_first = np.sort(lengths)[::-1]
    padded = sum(int(longest_first[b]) * len(longest_first[b : b + batch]) for b in range(0, len(lengths), batch))
    config, n_labels = float_model.model.config, len(float_model.labels)
    return {
        "n": len(examples),
        "batch": batch,
        "rates": throughput(methods, len(examples), args.repeat),
        "tokens": int(lengths.sum()),
        "padding": padded / lengths.sum() - 1,
        "flops_per_example": sum(flops_per_sequence(config, int(n), n_labels) for n in lengths) / len(examples),
        "agree": float(np.mean(np.array(ours) == np.array(theirs))),
    }


def run_latency(items: list[Example], models: dict[str, LoadedModel], pipe: Any) -> dict:
    float_model = models["float32"]
    pairs = pipeline_inputs(items, float_model)
    max_length = float_model.spec.max_length
    single = {
        name: latencies_ms(lambda ex, loaded=loaded: predict([ex], loaded), items) for name, loaded in models.items()
    }
    single["pipeline"] = latencies_ms(lambda pair: pipe(pair, truncation="only_second", max_length=max_length), pairs)
    return single


def run_fresh(split: list[Example], models: dict[str, LoadedModel], threads: int | None) -> dict:
    float_model = models["float32"]
    rows = [{"speaker": e.speaker, "target": e.target, "text": e.text} for e in split]
    model_dir = str(float_model.path)
    fresh = {kind: in_fresh_process(kind, model_dir, rows, threads) for kind in models}
    fresh["pipeline"] = in_fresh_process("pipeline", model_dir, pipeline_inputs(split, float_model), threads)
    return fresh


def report(
    command: str, float_model: LoadedModel, peak: float, speed: dict, single: dict, fresh: dict, f1: dict, args
) -> list:
    """The Markdown that docs/inference.md shows."""
    import torch
    import transformers

    split = Path(args.data).name
    lines = [f"`{command}`", ""]
    lines += [
        f"{datetime.date.today()}, {cpu_model()}, nproc {os.cpu_count()}, torch threads {torch.get_num_threads()}, "
        f"torch {torch.__version__}, transformers {transformers.__version__}, model {float_model.path}",
        "",
        *speed_table(speed, peak),
        "",
        f"Peak: fp32 2048x2048 matmul on {torch.get_num_threads()} threads, best of the start and the end of the "
        f"run = {peak:.1f} GFLOP/s. GFLOP/s counts "
        "the FLOPs of each example at its own length (the same work for every method and precision).",
    ]
    for name, result in speed.items():
        lines.append(
            f"{name}: {result['n']} examples, {result['tokens'] / result['n']:.1f} tokens each on average, "
            f"{result['flops_per_example'] / 1e9:.2f} GFLOP per example; length-sorted batches add "
            f"{100 * result['padding']:.1f}% padding tokens; pipeline and stancelab float32 agree on "
            f"{100 * result['agree']:.1f}% of labels."
        )
    config, n_labels = float_model.model.config, len(float_model.labels)
    lines += [
        f"FLOP formula check: FlopCounterMode counts {counted_flops(float_model) / 1e9:.3f} GFLOP for one 8x64 "
        f"batch (linear layers only: it does not count CPU scaled_dot_product_attention); the formula gives "
        f"{8 * flops_per_sequence(config, 64, n_labels) / 1e9:.3f} GFLOP, attention included.",
        "",
        "| method | latency p50 (ms) | latency p95 (ms) | model load (s) | peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in single:
        (p50, p95), (load_s, rss) = single[kind], fresh[kind]
        name = kind if kind == "pipeline" else f"stancelab {kind}"
        lines.append(f"| {name} | {p50:.1f} | {p95:.1f} | {load_s:.2f} | {rss:.0f} |")
    lines += [
        "",
        f"Latency: {args.latency_n} single examples of {split}, one call each. Load and peak RSS: a fresh process "
        f"loads the model and labels {split} once (batch size {DEFAULT_BATCH_SIZE}).",
        "",
        "| labelled data | n | precision | macro-F1 | change vs float32 (points) | same label as float32 |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for path, rows in f1.items():
        reference = rows["float32"][1]
        for name, (n, score, agree) in rows.items():
            lines.append(
                f"| {path} | {n} | {name} | {100 * score:.2f} | {100 * (score - reference):+.2f} | {100 * agree:.1f}% |"
            )
    return lines


if __name__ == "__main__":
    main()
