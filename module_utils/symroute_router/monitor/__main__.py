"""`python3 -m symroute_router.monitor --config FILE`: the link monitor daemon (daemon.py)."""

from .daemon import main

if __name__ == "__main__":
    raise SystemExit(main())
