"""Command entry point: ``python -m stancelab.realnews`` runs ``stancelab.data.realnews.main``."""

import sys

from stancelab.data.realnews import main

if __name__ == "__main__":
    sys.exit(main())
