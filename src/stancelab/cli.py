"""How every ``python -m stancelab.<command>`` reports bad input: one wrapper around each ``main``.

A command's ``main`` raises ``InputError`` (``ConfigError`` is one) for input the user can fix; the
wrapper prints it as ``error: <message>`` on stderr and returns exit status 2, the status argparse uses
for bad arguments. Anything else is a bug and keeps its traceback.

>>> @command
... def main(argv: list[str] | None = None) -> int:
...     raise InputError("data.jsonl:3: expected a JSON object")
>>> main([])  # doctest: +SKIP
error: data.jsonl:3: expected a JSON object
2
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

from stancelab.data.io import InputError

EXIT_BAD_INPUT = 2  # as argparse exits on a bad argument


def command(main: Callable[[list[str] | None], int | None]) -> Callable[[list[str] | None], int]:
    """Wrap a command's ``main(argv)``: ``InputError`` -> ``error: ...`` on stderr and exit status 2."""

    @functools.wraps(main)
    def run(argv: list[str] | None = None) -> int:
        try:
            status = main(argv)
        except InputError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        return 0 if status is None else status

    return run
