"""How every ``python -m stancelab.<command>`` reports bad input: one wrapper around each ``main``.

A command's ``main`` raises ``InputError`` (``ConfigError`` is one) for input the user can fix; the
wrapper prints it as ``error: <message>`` on stderr and returns exit status 2, the status argparse uses
for bad arguments. ``NothingProduced`` (readable input that yielded nothing to write; earlier outputs are
kept) exits with 3. Anything else is a bug and keeps its traceback.

>>> @command
... def main(argv: list[str] | None = None) -> int:
...     raise InputError("data.jsonl:3: expected a JSON object")
>>> main([])  # doctest: +SKIP
error: data.jsonl:3: expected a JSON object
2
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable

from stancelab.data.io import InputError, NothingProduced, exclusive_output

EXIT_BAD_INPUT = 2  # as argparse exits on a bad argument
EXIT_NOTHING_PRODUCED = 3  # the input was fine but gave nothing to write; earlier outputs are untouched


def command(main: Callable[[list[str] | None], int | None]) -> Callable[[list[str] | None], int]:
    """Wrap a command's ``main(argv)``: ``InputError`` -> ``error: ...`` on stderr and exit status 2."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            status = main(argv)
        except NothingProduced as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_NOTHING_PRODUCED
        except InputError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        return 0 if status is None else status

    return run


def description(doc: str | None) -> str:
    """A module docstring's first paragraph as one argparse description line, without reST's double
    backquotes (``predict()`` -> predict()); the paragraph, not its first line, so no sentence is cut."""
    return " ".join((doc or "").strip().split("\n\n")[0].split()).replace("``", "")


def progress(iterable=None, *, total: int | None = None, desc: str = "", unit: str = "article",
             quiet: bool = False, show: bool | None = None, **options):
    """The one progress bar of the commands: tqdm on stderr, shown only on a terminal (``show=None``),
    always (``show=True``) or never (``show=False`` or ``quiet``); ``options`` go to tqdm."""
    from tqdm.auto import tqdm

    disable = True if quiet or show is False else (False if show else None)
    return tqdm(iterable, total=total, desc=desc or None, unit=unit, file=sys.stderr, disable=disable, **options)


def writing(output: str | None) -> contextlib.AbstractContextManager:
    """Hold ``output`` (a file or folder a command writes) for the whole command, so a second process that
    asks for the same output is refused at once; nothing to hold when the command writes nothing."""
    return exclusive_output(output) if output else contextlib.nullcontext()
