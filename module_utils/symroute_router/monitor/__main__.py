"""`python3 -m symroute_router.monitor --config FILE`: the link monitor daemon (daemon.py)."""

import sys

from .daemon import main

if __name__ == "__main__":
    sys.exit(main())
