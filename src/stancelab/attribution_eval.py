"""Command entry point: ``python -m stancelab.attribution_eval`` runs ``stancelab.build.attribution_eval.main``."""

import sys

from stancelab.build.attribution_eval import main

if __name__ == "__main__":
    sys.exit(main())
