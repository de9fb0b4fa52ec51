"""symroute's link monitor: runs on the router, Python standard library only (docs/monitor.md)."""
