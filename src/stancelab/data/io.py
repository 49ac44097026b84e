"""File helpers shared by every stage: atomic writes and strict UTF-8 reads.

Every output of stancelab is written to a temporary file in the destination folder and moved into
place with ``os.replace``, so a crash never leaves a half-written file and never clobbers an earlier
result.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class InputError(ValueError):
    """Bad user input: the message says what was expected, what was found and how to fix it."""


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as pretty JSON, atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def atomic_write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> Path:
    """Write one JSON object per line, atomically."""
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    return atomic_write_text(path, "".join(line + "\n" for line in lines))


def sha256_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (manifests record it so inputs and outputs can be checked later)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file, with an error that names the file and the byte offset when it is not UTF-8."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found. Check the path (relative paths are read from {Path.cwd()}).")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            f"{path}: expected UTF-8 text, found byte 0x{data[err.start]:02x} at offset {err.start} that is not "
            f"valid UTF-8. Fix: re-encode the file, e.g. `iconv -f latin1 -t utf-8 {path.name} > fixed.txt`."
        ) from None


def read_jsonl_objects(path: str | os.PathLike) -> list[tuple[int, dict]]:
    """Return ``(line_number, object)`` for each non-blank line; raise InputError on malformed lines."""
    path = Path(path)
    text = read_text(path)
    rows: list[tuple[int, dict]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                f"{path}:{lineno}: expected one JSON object per line, found malformed JSON ({err.msg} at column "
                f"{err.colno}). Fix the line or remove it."
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                f"{path}:{lineno}: expected a JSON object ({{...}}), found {type(obj).__name__}. "
                "Each line must be one example object."
            )
        rows.append((lineno, obj))
    if not rows:
        raise InputError(f"{path}: expected at least one JSON line, found an empty file. Point to a file with data.")
    return rows
