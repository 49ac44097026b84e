"""File helpers shared by every stage: atomic writes and strict UTF-8 reads.

Every output of stancelab is written to a temporary file in the destination folder and moved into
place with ``os.replace``, so a crash never leaves a half-written file and never clobbers an earlier
result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import filelock


class InputError(ValueError):
    """Bad user input: the message says what was expected, what was found and how to fix it."""


class NothingProduced(InputError):
    """The input was readable but yielded nothing worth writing (every article skipped, no statement found).

    Commands exit with status 3 and leave any earlier output at the destination untouched.
    """


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file 0600; give it the mode any other new file of the user's would get.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def exclusive_output(path: str | os.PathLike) -> Iterator[Path]:
    """Hold a lock on ``path`` for as long as a command is producing it.

    A second process that asks for the same output while the first holds it is refused at once with an
    InputError (rather than both writing and the last one silently winning). The lock is a hidden
    ``.<name>.lock`` file beside the output, released (and removed) when the block ends, also on error.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.parent / f".{path.name}.lock"
    lock = filelock.FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise InputError(
            f"{path}: expected to be the only process writing this output, found another one holding "
            f"{lock_path}. Wait for it to finish, or write to a different output path."
        ) from None
    try:
        yield path
    finally:
        lock.release()
        with contextlib.suppress(OSError):
            lock_path.unlink()


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


def read_text(path: str | os.PathLike, encoding: str = "utf-8") -> str:
    """Read a text file (UTF-8 unless told), with an error that names the file and the byte offset when it
    is not valid in that encoding."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found. Check the path (relative paths are read from {Path.cwd()}).")
    if path.is_dir():
        raise InputError(f"{path}: expected a file, found a folder. Point to a file inside it.")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(
            f"{path}: expected a readable file, found that it cannot be read ({err.strerror or err}). "
            "Check its permissions."
        ) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        name = "UTF-8" if encoding == "utf-8" else encoding
        raise InputError(
            f"{path}: expected {name} text, found byte 0x{data[err.start]:02x} at offset {err.start} that is not "
            f"valid {name}. Fix: re-encode the file, e.g. `iconv -f cp1252 -t utf-8 {path.name} > fixed.txt`"
            + (", or, for a data set read by a config, set data.encoding (e.g. data.encoding=cp1252)." if
               encoding == "utf-8" else ".")
        ) from None


def read_jsonl_objects(path: str | os.PathLike, encoding: str = "utf-8") -> list[tuple[int, dict]]:
    """Return ``(line_number, object)`` for each non-blank line; raise InputError on malformed lines.

    Lines end at a line feed only (CR LF too): strings may hold U+2028, U+0085 and the other characters
    ``str.splitlines`` also breaks at, and ``atomic_write_jsonl`` writes them unescaped. A leading BOM is
    ignored.
    """
    path = Path(path)
    text = read_text(path, encoding).removeprefix("\ufeff")
    rows: list[tuple[int, dict]] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        obj = _json_line(line.removesuffix("\r"), f"{path}:{lineno}")
        if not isinstance(obj, dict):
            raise InputError(
                f"{path}:{lineno}: expected a JSON object ({{...}}), found {type(obj).__name__}. "
                "Each line must be one example object."
            )
        rows.append((lineno, obj))
    if not rows:
        raise InputError(f"{path}: expected at least one JSON line, found an empty file. Point to a file with data.")
    return rows


def _json_line(line: str, where: str) -> Any:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(
            f"{where}: expected one JSON object per line, found malformed JSON ({err.msg} at column "
            f"{err.colno}). Fix the line or remove it."
        ) from None
    except RecursionError:
        raise InputError(
            f"{where}: expected one JSON object per line, found values nested too deeply to read. "
            "Flatten the line or remove it."
        ) from None
    except ValueError as err:  # an integer longer than Python's int_max_str_digits (4300 by default)
        found = "an integer with too many digits" if "digits" in str(err) else f"a value it cannot read ({err})"
        raise InputError(
            f"{where}: expected one JSON object per line, found {found}. Write the number as a string, or fix "
            "the line."
        ) from None
    if _LONE_SURROGATE.search(line) and _has_lone_surrogate(obj):
        raise InputError(
            f"{where}: expected valid Unicode text, found a \\u escape of a lone surrogate (half of a UTF-16 "
            "pair, e.g. \\ud83d without its partner). Fix the escape or remove the line."
        )
    return obj


_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(obj: Any) -> bool:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
