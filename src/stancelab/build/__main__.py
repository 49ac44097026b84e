"""``python -m stancelab.build``: see ``stancelab.build.pipeline``."""

import sys

from stancelab.build.pipeline import main

if __name__ == "__main__":
    sys.exit(main())
