"""Loading a saved model for inference: cached per path and precision (float32, bfloat16, int8).

For CPU serving, ``precision="bfloat16"`` (``--precision bfloat16``) runs a bf16 copy of the model, about
3x faster on CPUs with AMX / AVX512-BF16 with the same labels, and ``precision="int8"`` (``--quantize``)
an int8 copy; docs/inference.md has the measured speed and accuracy, and the benchmark command.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stancelab.data.io import InputError
from stancelab.models.modeling import find_model_dir, missing_model_files
from stancelab.models.spec import MEAN_POOLINGS, LoadedModel, ModelSpec

# float32: the weights as trained. bfloat16: a bf16 copy (fast where the CPU has AMX or AVX512-BF16).
# int8: dynamic int8 quantisation of the linear layers (fast on any x86 CPU with VNNI or AVX2).
PRECISIONS = ("float32", "bfloat16", "int8")


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
    with _quiet_transformers(), _weights_errors(Path(model_dir)):
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        if spec.pooling in MEAN_POOLINGS:
            from stancelab.models import pooling

            model = pooling.load(model_dir, normalize=spec.pooling == "mean_normalized")
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                model_dir, use_safetensors=True, trust_remote_code=False
            )
    _check_head(model, spec, Path(model_dir))
    model.eval()
    if precision == "int8":
        model = quantize_int8(model)
    elif precision == "bfloat16":
        model = to_bfloat16(model)
    return LoadedModel(model=model, tokenizer=tokenizer, spec=spec, path=Path(model_dir), precision=precision)


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No LOAD REPORT and no weight-loading bar from transformers while a finished stancelab run loads (its
    files are checked by stancelab itself); transformers' own settings come back afterwards."""
    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def _weights_errors(model_dir: Path) -> Iterator[None]:
    """A truncated or corrupt ``model.safetensors`` as an InputError naming the file, not a SafetensorError."""
    from safetensors import SafetensorError

    try:
        yield
    except (SafetensorError, OSError, RuntimeError) as err:
        weights = model_dir / "model.safetensors"
        if not isinstance(err, SafetensorError) and not any(w in str(err) for w in ("safetensors", "deserializ")):
            raise  # not about the weights file: keep the original error
        size = weights.stat().st_size if weights.is_file() else 0
        raise InputError(
            f"{weights}: expected the model's weights, found a file that is truncated or corrupt ({size} bytes: "
            f"{err}). Fix: copy the model directory again from where it was trained, or re-run training "
            "(`python -m stancelab.train --config ...`)."
        ) from None


def _check_head(model: Any, spec: ModelSpec, model_dir: Path) -> None:
    """The classifier has one output per label of stancelab.json (an edited or mixed-up folder has not)."""
    n = getattr(getattr(model, "config", None), "num_labels", len(spec.labels))
    if n != len(spec.labels):
        raise InputError(
            f"{model_dir}: expected a classifier with one output per label of stancelab.json "
            f"({', '.join(spec.labels)}), found {n} outputs. The folder mixes files of different runs; copy "
            "the whole model directory of one run again."
        )


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
    missing = missing_model_files(model_dir)
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


def _resolve_model(model: str | Path | LoadedModel, precision: str | None, quantize: bool = False) -> LoadedModel:
    """A loaded model in the asked precision; a LoadedModel is used as it is unless another is asked for."""
    if not isinstance(model, (str, os.PathLike, LoadedModel)):
        raise TypeError(
            "model must be a run or model directory (a str or Path, e.g. model='runs/default') or a LoadedModel "
            f"from stancelab.load_model(), found {type(model).__name__} {model!r:.60}."
        )
    if not isinstance(model, LoadedModel):
        return load_model(model, precision=precision or "float32", quantize=quantize)
    wanted = _check_precision(precision, quantize) if (precision or quantize) else model.precision
    return model if wanted == model.precision else load_model(model.path, precision=wanted)
