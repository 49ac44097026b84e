"""The run directory: work in ``.<name>.partial/``, resume from its last checkpoint, swap into place.

A failed run never destroys a finished one: the finished run is replaced only once the new one is
complete, and a resumed run must have the same config as the checkpoints it resumes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

from stancelab.config import Config, load_config, save_config
from stancelab.data.io import InputError, atomic_write_text


def write_log(history: list[dict[str, Any]], path: Path) -> None:
    """Write the Trainer's full history (complete even after a resume) as CSV, one column per key."""
    columns = list(dict.fromkeys(key for row in history for key in ("epoch", "step", *row)))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, buffer.getvalue())


def _umask_modes(folder: Path) -> None:
    """Files 0666 and folders 0777 less the umask, as the user's other new files: some writers (the
    safetensors weights of ``save_pretrained``) create theirs 0600 through a temporary file."""
    mask = os.umask(0)
    os.umask(mask)
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def _check_not_finished(run_dir: Path, overwrite: bool) -> None:
    """Refuse to touch a finished run unless ``overwrite``."""
    if (run_dir / "metrics.json").exists() and not overwrite:
        raise InputError(
            f"{run_dir} already holds a finished run. Pass --overwrite to replace it once the new run "
            f"finishes, or choose another name with train.run_name=<name>."
        )


def _work_dir(run_dir: Path, config: Config, overwrite: bool) -> Path:
    """The partial directory to train in; refuses to touch a finished run unless ``overwrite``."""
    _check_not_finished(run_dir, overwrite)
    work_dir = run_dir.parent / f".{run_dir.name}.partial"
    saved = work_dir / "config.yaml"
    if saved.exists() and _last_checkpoint(work_dir):
        _check_same_config(saved, config, work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, saved)
    return work_dir


def _check_same_config(saved: Path, config: Config, work_dir: Path) -> None:
    previous = load_config(saved)
    if previous.to_dict() != config.to_dict():
        raise InputError(
            f"{work_dir} holds checkpoints of an unfinished run with a different config. Rerun with the "
            f"same config to resume, or delete {work_dir} to start over."
        )


def _last_checkpoint(work_dir: Path) -> str | None:
    """The newest complete checkpoint: the Trainer writes trainer_state.json last, so a checkpoint cut
    short by a kill has none (or a truncated one) and is skipped."""
    folders = (work_dir / "checkpoints").glob("checkpoint-*")
    for folder in sorted(folders, key=lambda p: int(p.name.rsplit("-", 1)[1]), reverse=True):
        try:
            json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return str(folder)
    return None


def _finish(work_dir: Path, run_dir: Path) -> None:
    """Drop checkpoints, give every file the user's umask, then swap the finished work directory into place."""
    shutil.rmtree(work_dir / "checkpoints", ignore_errors=True)
    _umask_modes(work_dir)
    old = run_dir.parent / f".{run_dir.name}.replaced"
    if run_dir.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.replace(run_dir, old)
    os.replace(work_dir, run_dir)
    shutil.rmtree(old, ignore_errors=True)
