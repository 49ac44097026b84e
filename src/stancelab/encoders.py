"""Command entry point: ``python -m stancelab.encoders`` runs ``stancelab.models.encoders.main``."""

import sys

from stancelab.models.encoders import main

if __name__ == "__main__":
    sys.exit(main())
