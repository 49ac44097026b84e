"""Where the notebooks look for runs, and how they show plots: PNG images that look the same in
Jupyter, in a saved notebook and on GitHub.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stancelab.data.io import InputError


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
