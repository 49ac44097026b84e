"""Command entry point: ``python -m stancelab.corpus`` runs ``stancelab.data.corpus.main``."""

import sys

from stancelab.data.corpus import main

if __name__ == "__main__":
    sys.exit(main())
