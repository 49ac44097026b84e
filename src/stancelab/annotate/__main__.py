"""``python -m stancelab.annotate``: see ``stancelab.annotate.cli``."""

import sys

from stancelab.annotate.cli import main

if __name__ == "__main__":
    sys.exit(main())
