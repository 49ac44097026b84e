"""Inference: ``predict()`` for examples and the ``python -m stancelab.predict`` command.

>>> from stancelab import predict
>>> predict([{"speaker": "Sergey Lavrov", "target": "U.S. airstrikes in Syria",
...           "text": "Lavrov said Russia opposed ongoing U.S. airstrikes in Syria."}],
...         model="runs/default")  # doctest: +SKIP
[{'label': 'oppose', 'probs': {'support': 0.03, 'oppose': 0.95, 'conditional': 0.02}}]

For CPU serving, ``precision="bfloat16"`` (``--precision bfloat16``) runs a bf16 copy of the model, about
3x faster on CPUs with AMX / AVX512-BF16 with the same labels, and ``precision="int8"`` (``--quantize``)
an int8 copy; docs/inference.md has the measured speed and accuracy, and the benchmark command.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stancelab.io import InputError, atomic_write_jsonl
from stancelab.modeling import MEAN_POOLINGS, ModelSpec, encode, find_model_dir, format_pair
from stancelab.positions import article_candidates, cluster_issues, statement_positions, unique_rows
from stancelab.schema import Example, coerce_examples, read_examples

# Examples per forward pass. Batches are length-sorted, so padding stays small (7-12% of tokens on the
# corpus); on 2 cores 64, 128 and 256 ran within 10% of each other, 32 slower (docs/inference.md).
DEFAULT_BATCH_SIZE = 64

# float32: the weights as trained. bfloat16: a bf16 copy (fast where the CPU has AMX or AVX512-BF16).
# int8: dynamic int8 quantisation of the linear layers (fast on any x86 CPU with VNNI or AVX2).
PRECISIONS = ("float32", "bfloat16", "int8")


@dataclass
class LoadedModel:
    """A model ready for inference: weights in eval mode, tokenizer and the saved spec."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    path: Path
    precision: str = "float32"  # one of PRECISIONS

    @property
    def labels(self) -> list[str]:
        return list(self.spec.labels)

    @property
    def quantized(self) -> bool:
        """The linear layers run in int8 (dynamic quantisation, CPU only)."""
        return self.precision == "int8"


def load_model(path: str | Path, *, precision: str = "float32", quantize: bool = False) -> LoadedModel:
    """Load a run or model directory; cached per resolved path and precision.

    ``precision="bfloat16"`` converts the weights to bf16: on CPUs with AMX or AVX512-BF16 about 3x faster
    than float32 with the same labels on the corpus and the real-news set. ``precision="int8"`` (or
    ``quantize=True``) quantises the linear layers to int8 (docs/inference.md has the measured trade-offs).

    >>> fast = load_model("runs/default", precision="bfloat16")  # doctest: +SKIP
    """
    return _load_cached(str(find_model_dir(path).resolve()), _check_precision(precision, quantize))


def _check_precision(precision: str | None, quantize: bool = False) -> str:
    precision = precision or "float32"
    if precision not in PRECISIONS:
        raise InputError(
            f"precision must be one of {', '.join(PRECISIONS)}, found {precision!r}. Fix: pass float32 (the "
            "weights as trained), bfloat16 or int8."
        )
    if quantize and precision not in ("float32", "int8"):
        raise InputError(f"quantize=True asks for int8 but precision={precision!r}. Fix: pass one of the two.")
    return "int8" if quantize else precision


@functools.lru_cache(maxsize=4)
def _load_cached(model_dir: str, precision: str = "float32") -> LoadedModel:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    _check_model_files(Path(model_dir))
    spec = ModelSpec.load(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if spec.pooling in MEAN_POOLINGS:
        from stancelab import pooling

        model = pooling.load(model_dir, normalize=spec.pooling == "mean_normalized")
    else:
        model = AutoModelForSequenceClassification.from_pretrained(
            model_dir, use_safetensors=True, trust_remote_code=False
        )
    model.eval()
    if precision == "int8":
        model = quantize_int8(model)
    elif precision == "bfloat16":
        model = to_bfloat16(model)
    return LoadedModel(model=model, tokenizer=tokenizer, spec=spec, path=Path(model_dir), precision=precision)


def to_bfloat16(model: Any) -> Any:
    """The model with bf16 weights and activations (logits are returned to float32 by ``predict_logits``).

    bf16 keeps float32's exponent range, so nothing overflows; it keeps 8 bits of mantissa, which moved
    no label on the corpus test split and the real-news set (docs/inference.md). Fast only where the CPU
    multiplies bf16 natively (AMX or AVX512-BF16); elsewhere torch emulates it, slower than float32.
    """
    import torch

    if not _has_native_bf16():
        warnings.warn(
            "precision='bfloat16' on a CPU without AMX or AVX512-BF16: torch emulates bf16 there, which is "
            "slower than float32. Fix: use precision='int8' or 'float32' on this machine.",
            UserWarning,
            stacklevel=4,
        )
    return model.to(torch.bfloat16)


def _has_native_bf16() -> bool:
    import torch

    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def _check_model_files(model_dir: Path) -> None:
    """Name the missing files before transformers fails on them with a less direct message."""
    wanted = {
        "config.json": ["config.json"],
        "model.safetensors": ["model.safetensors", "model.safetensors.index.json"],
        "tokenizer.json or vocab.txt": ["tokenizer.json", "vocab.txt"],
    }
    missing = [name for name, options in wanted.items() if not any((model_dir / o).is_file() for o in options)]
    if not missing:
        return
    hint = ""
    if "model.safetensors" in missing and (model_dir / "pytorch_model.bin").is_file():
        hint = (
            " It has pytorch_model.bin, which stancelab does not load (pickle); re-save the model with "
            "save_pretrained(..., safe_serialization=True)."
        )
    raise InputError(
        f"{model_dir}: incomplete model directory, missing {', '.join(missing)}.{hint} Fix: pass a run whose "
        "training finished (`python -m stancelab.train` writes model/ with config.json, model.safetensors, "
        "the tokenizer and stancelab.json)."
    )


# Linear layers left in float32 by ``quantize_int8``: the attention projections. Chosen on the project's
# dev split and the real-news dev set (never the test split) among eight choices of layers to keep; it
# changed the fewest labels on both (docs/inference.md).
INT8_KEEP_FLOAT = ("query", "key", "value")


def quantize_int8(model: Any, keep_float: tuple[str, ...] = INT8_KEEP_FLOAT) -> Any:
    """int8 dynamic quantisation of the ``nn.Linear`` layers (a new model; the float one is left as it was).

    Weights get one scale per output channel, activations one 8-bit scale per batch, computed at run time.
    Layers whose last name part is in ``keep_float`` stay float32. On the real-news dev set, one scale per
    weight matrix cost 3.6 points of macro-F1 and torch's 7-bit activations 1.1 (docs/inference.md).
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    linear = _full_range_int8_linear() if _has_vnni() else torch.ao.nn.quantized.dynamic.Linear
    chosen = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] not in keep_float
    }
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao, whose CPU int8 path needs torch.compile;
        # quantize_dynamic still works and calls the VNNI int8 kernels directly.
        warnings.filterwarnings("ignore", message=r"torch\.ao\.quantization is deprecated")
        warnings.filterwarnings("ignore", message=r"torch\.quantize_per_tensor.* are deprecated")
        return torch.ao.quantization.quantize_dynamic(model, chosen, mapping={torch.nn.Linear: linear}, inplace=False)


def _has_vnni() -> bool:
    import torch

    return bool(getattr(torch.cpu, "_is_vnni_supported", lambda: False)())


@functools.cache
def _full_range_int8_linear() -> type:
    """torch's dynamic int8 Linear with 8-bit instead of 7-bit activations.

    torch always passes ``reduce_range=True`` because its AVX2 kernels add pairs of u8 x s8 products in
    int16, which 8-bit inputs can overflow; VNNI kernels add in int32, so on those CPUs the 8th bit is free.
    """
    import torch
    from torch.ao.nn.quantized.dynamic import Linear

    class FullRangeDynamicLinear(Linear):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.ops.quantized.linear_dynamic(x, self._packed_params._packed_params, reduce_range=False)
            return y.to(x.dtype)

    return FullRangeDynamicLinear


def predict_logits(
    examples: list[Example], loaded: LoadedModel, batch_size: int = DEFAULT_BATCH_SIZE, *, max_length: int | None = None
) -> np.ndarray:
    """Raw logits, shape (n_examples, n_labels), in input order.

    All examples are tokenised in one call, then sorted by length so each batch pads only to its own
    longest input; the original order is restored at the end. Texts longer than ``max_length`` tokens
    (default: the model's, from training) are truncated with a warning.
    """
    import torch

    _check_batch_size(batch_size)
    spec = _spec_with_max_length(loaded, max_length)
    features = _encode(examples, loaded.tokenizer, spec)
    _warn_if_truncated(features, spec.max_length, _position_limit(loaded))
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]
    lengths = np.fromiter(map(len, features["input_ids"]), dtype=np.int64, count=len(examples))
    order = np.argsort(-lengths, kind="stable")
    pad_id = loaded.tokenizer.pad_token_id or 0
    device = getattr(loaded.model, "device", torch.device("cpu"))
    out = np.zeros((len(examples), len(loaded.labels)), dtype=np.float32)
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            idx = order[begin : begin + batch_size]
            batch = _pad(features, keys, idx, lengths, pad_id)
            logits = loaded.model(**{k: torch.from_numpy(v).to(device) for k, v in batch.items()}).logits
            out[idx] = logits.float().cpu().numpy()
    return out


def _pad(features: Any, keys: list[str], idx: np.ndarray, lengths: np.ndarray, pad_id: int) -> dict[str, np.ndarray]:
    """Right-pad the rows ``idx`` to their longest; returns int64 arrays of shape (len(idx), longest)."""
    width = int(lengths[idx].max())
    batch = {k: np.full((len(idx), width), pad_id if k == "input_ids" else 0, dtype=np.int64) for k in keys}
    for row, i in enumerate(idx):
        for k in keys:
            batch[k][row, : lengths[i]] = features[k][i]
    return batch


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer, found {batch_size!r}.")


def _position_limit(loaded: LoadedModel) -> int | None:
    """The longest input the encoder has position embeddings for (512 for BERT-style models)."""
    return getattr(getattr(loaded.model, "config", None), "max_position_embeddings", None)


def _spec_with_max_length(loaded: LoadedModel, max_length: int | None) -> ModelSpec:
    if max_length is None:
        return loaded.spec
    limit = _position_limit(loaded)
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 8:
        raise InputError(f"max_length must be an integer of at least 8 tokens, found {max_length!r}.")
    if limit is not None and max_length > limit:
        raise InputError(
            f"max_length must be at most {limit} (the encoder's max_position_embeddings), found {max_length}."
        )
    return dataclasses.replace(loaded.spec, max_length=max_length)


def _encode(examples: list[Example], tokenizer: Any, spec: ModelSpec) -> Any:
    """``encode()``, with the tokenizer's bare 'Truncation error' turned into a message about the example."""
    try:
        return encode(examples, tokenizer, spec)
    except Exception as err:  # the Rust tokenizer raises a plain Exception
        if "Truncation error" not in str(err):
            raise
    firsts = [format_pair(ex, spec)[0] for ex in examples]
    sizes = [len(ids) for ids in tokenizer(firsts, add_special_tokens=False)["input_ids"]]
    room = spec.max_length - tokenizer.num_special_tokens_to_add(pair=bool(spec.template_b))
    i = next((i for i, n in enumerate(sizes) if n > room), 0)
    raise InputError(
        f"example {i}: speaker and target take {sizes[i]} tokens (template {spec.template_a!r}), more than "
        f"max_length={spec.max_length} leaves for them ({room}), so there is no room for the text. Fix: shorten "
        "the speaker or target, or raise max_length."
    ) from None


def _warn_if_truncated(features: Any, max_length: int, limit: int | None) -> None:
    encodings = getattr(features, "encodings", None)
    if encodings:  # fast tokenizers keep what truncation cut off
        n = sum(1 for enc in encodings if enc.overflowing)
    else:
        n = sum(1 for ids in features["input_ids"] if len(ids) >= max_length)
    if n:
        most = f" (at most {limit}, the encoder's limit)" if limit else ""
        warnings.warn(
            f"{n} of {len(features['input_ids'])} examples are longer than max_length={max_length} tokens and were "
            f"truncated: the model does not see the end of their text. Fix: pass shorter texts, or raise the limit "
            f"with predict(..., max_length=N) or --max-length N{most}.",
            UserWarning,
            stacklevel=4,
        )


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    exp = np.exp(z)
    return exp / exp.sum(axis=1, keepdims=True)


def predict(
    examples: Any,
    model: str | Path | LoadedModel,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_threads: int | None = None,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
) -> list[dict[str, Any]]:
    """Label each example; returns ``{"label", "probs": {label: p}}`` per example, in input order.

    ``examples`` may be dicts with speaker/target/text, Examples, a pandas DataFrame or a
    ``datasets.Dataset``. Probabilities use the temperature fitted on dev when the model has one.
    ``precision`` picks the float32 (default), bfloat16 or int8 copy of the model (``quantize=True`` is
    int8); ``max_length`` overrides the model's token limit.

    >>> predict(rows, model="runs/default", precision="bfloat16", num_threads=2)  # doctest: +SKIP
    """
    loaded = _resolve_model(model, precision, quantize)
    items = coerce_examples(examples, labels=None)
    if not items:
        return []
    if num_threads:
        import torch

        torch.set_num_threads(num_threads)
    logits = predict_logits(items, loaded, batch_size, max_length=max_length)
    probs = softmax(logits, loaded.spec.temperature)
    labels = loaded.labels
    return [
        {"label": labels[int(row.argmax())], "probs": {label: float(p) for label, p in zip(labels, row)}}
        for row in probs
    ]


def _resolve_model(model: str | Path | LoadedModel, precision: str | None, quantize: bool = False) -> LoadedModel:
    """A loaded model in the asked precision; a LoadedModel is used as it is unless another is asked for."""
    if not isinstance(model, LoadedModel):
        return load_model(model, precision=precision or "float32", quantize=quantize)
    wanted = _check_precision(precision, quantize) if (precision or quantize) else model.precision
    return model if wanted == model.precision else load_model(model.path, precision=wanted)


ARTICLE_COLUMNS = [
    "article_id",
    "speaker",
    "actor",
    "issue",
    "target",
    "label",
    "confidence",
    "p_position",
    "condition",
    "relayed_by",
    "kind",
    "cue",
    "text",
    "start",
    "end",
    "condition_start",
    "condition_end",
    "speaker_affiliation",
]


def predict_article(
    text_or_path: str | Path,
    model: str | Path | LoadedModel,
    *,
    targets: dict[str, list[str]] | None = None,
    article_id: str | None = None,
    include_none: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
) -> Any:
    """Who takes which position on which issue in one article, on what condition; a pandas DataFrame.

    One row per position: ``speaker`` (the holder; ``relayed_by`` names who reported it), ``actor`` (whom
    the speaker speaks for), ``issue`` (the target mentions of the call clustered, with a readable name),
    ``target`` (the mention), ``label``, ``confidence``, ``p_position`` (probability that the statement
    takes a position on the target), ``condition`` with ``condition_start``/``condition_end`` for
    conditional positions, the statement's ``text``/``start``/``end`` (offsets into the article), and one
    ``p_<label>`` column per label. Statements without a position are dropped (``include_none=True`` keeps
    one ``none`` row for each). ``targets`` (``{name: [alias, ...]}``) fixes the issues to look for.

    >>> table = predict_article("data/raw/000_ed3b50a90a3882e0.txt", model="runs/default")  # doctest: +SKIP
    >>> table[["actor", "issue", "label", "condition"]].head(3)  # doctest: +SKIP
    """
    text, article_id = _article_text(text_or_path, article_id)
    return predict_articles(
        [(article_id, text)], model, targets=targets, include_none=include_none, batch_size=batch_size,
        precision=precision, quantize=quantize, max_length=max_length,
    )


def predict_articles(
    articles: list[tuple[str, str]],
    model: str | Path | LoadedModel,
    *,
    targets: dict[str, list[str]] | None = None,
    include_none: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    quantize: bool = False,
    max_length: int | None = None,
) -> Any:
    """``predict_article`` over ``(article_id, text)`` pairs; issues are clustered across all of them."""
    import pandas as pd

    loaded = _resolve_model(model, precision, quantize)
    rows = []
    for article_id, text in articles:
        rows += _article_positions(text, article_id, loaded, targets, include_none, batch_size, max_length)
    _name_issues(rows, targets)
    columns = ARTICLE_COLUMNS + [f"p_{label}" for label in loaded.labels]
    return pd.DataFrame(rows, columns=columns)


def _article_positions(text, article_id, loaded, targets, include_none, batch_size, max_length) -> list[dict]:
    items, _ = article_candidates(text, targets)
    if loaded.spec.none_label is None:  # a stance-only model: every rule target is taken as a position
        for item in items:
            item.candidates = item.candidates[: item.rules]
    pairs = [(item, c) for item in items for c in item.candidates]
    examples = [
        Example(id=str(k), article_id=article_id, speaker=item.holder or item.statement.speaker,
                speaker_affiliation=item.statement.speaker_affiliation, target=c, text=item.statement.sentence)
        for k, (item, c) in enumerate(pairs)
    ]
    results = predict(examples, loaded, batch_size=batch_size, max_length=max_length) if examples else []
    by_item: dict[int, list] = {}
    for (item, _), result in zip(pairs, results):
        by_item.setdefault(id(item), []).append(result)
    none, threshold = loaded.spec.none_label, loaded.spec.none_threshold
    rows = []
    for item in items:
        rows += statement_positions(item, by_item.get(id(item), []), none, threshold, include_none)
    return [{"article_id": article_id, **row} for row in unique_rows(rows)]


def _name_issues(rows: list[dict], targets: dict[str, list[str]] | None) -> None:
    """Fill each row's ``issue``: a listed target is its own issue; other mentions are clustered."""
    listed = set(targets or ())
    free = [row for row in rows if row["target"] not in listed]
    labels, names = cluster_issues([row["target"] for row in free])
    for row, label in zip(free, labels):
        row["issue"] = names[label]
    for row in rows:
        row.setdefault("issue", row["target"])


def _article_text(text_or_path: str | Path, article_id: str | None) -> tuple[str, str]:
    """A path to a .txt file is read; any other string is the article itself."""
    from stancelab.io import read_text

    looks_like_path = isinstance(text_or_path, Path) or (
        "\n" not in text_or_path and len(text_or_path) < 4096 and text_or_path.endswith(".txt")
    )
    if looks_like_path:
        path = Path(text_or_path)
        return read_text(path), article_id or path.stem
    if not text_or_path.strip():
        raise InputError("predict_article: the article text is empty. Pass the article's text or a .txt path.")
    return text_or_path, article_id or "article"


def format_article_table(table: Any, width: int = 60) -> str:
    """A readable fixed-width table of an article's positions, in document order."""
    if table.empty:
        return "no attributed positions found"
    view = table[["actor", "speaker", "issue", "label", "confidence", "condition", "text"]].copy()
    view["confidence"] = view["confidence"].map("{:.2f}".format)
    for column, limit in (("text", width), ("issue", 40), ("condition", 40), ("speaker", 24), ("actor", 20)):
        view[column] = view[column].fillna("").map(lambda t, n=limit: t if len(t) <= n else t[: n - 3] + "...")
    return view.to_string(index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stancelab.predict", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="run directory or model directory")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="JSONL of examples with speaker, target, text")
    source.add_argument("--article", help="a .txt article: find its positions and label them")
    parser.add_argument("--output", help="JSONL (or, with --article, .csv) to write")
    parser.add_argument("--map", help="with --article: draw the stance map (speakers x targets) to this PNG")
    parser.add_argument("--targets", help="with --article: YAML of {target: [aliases]} to look for")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    add_precision_arguments(parser)
    parser.add_argument("--max-length", type=int, default=None, help="token limit (default: the model's)")
    args = parser.parse_args(argv)
    if args.input and not args.output:
        parser.error("--input needs --output")
    quiet_model_loading()
    try:
        if args.article:
            return _main_article(args)
        examples = read_examples(args.input, labels=None)
        results = predict(
            examples,
            args.model,
            batch_size=args.batch_size,
            num_threads=args.threads,
            precision=args.precision,
            max_length=args.max_length,
        )
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    rows = [{**ex.to_dict(), "predicted": r["label"], "probs": r["probs"]} for ex, r in zip(examples, results)]
    atomic_write_jsonl(args.output, rows)
    print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


def quiet_model_loading() -> None:
    """For the command lines: no per-load weight progress bar or load report from transformers (the
    model is a finished run; its problems are reported by stancelab's own checks)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def add_precision_arguments(parser: argparse.ArgumentParser) -> None:
    """``--precision`` and its int8 shorthand ``--quantize`` (shared with ``stancelab.evaluate``)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="weights for inference: float32 (as trained), bfloat16 (fast on CPUs with AMX/AVX512-BF16), int8",
    )
    group.add_argument(
        "--quantize", dest="precision", action="store_const", const="int8", help="same as --precision int8"
    )


def _main_article(args: argparse.Namespace) -> int:
    from stancelab.targets import load_targets

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    targets = load_targets(args.targets) if args.targets else None
    table = predict_article(
        args.article,
        args.model,
        targets=targets,
        batch_size=args.batch_size,
        precision=args.precision,
        max_length=args.max_length,
    )
    print(format_article_table(table))
    if args.output:
        if args.output.endswith(".csv"):
            from stancelab.io import atomic_write_text

            atomic_write_text(args.output, table.to_csv(index=False))
        else:
            atomic_write_jsonl(args.output, table.to_dict(orient="records"))
        print(f"wrote {len(table)} rows to {args.output}")
    if args.map:
        from stancelab.viz import plot_stance_map

        plot_stance_map(table, Path(args.map), title=f"stance map: {Path(args.article).name}")
        print(f"wrote {args.map}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
