"""``python -m stancelab.predict``: see ``stancelab.predict.cli``."""

import sys

from stancelab.predict.cli import main

if __name__ == "__main__":
    sys.exit(main())
