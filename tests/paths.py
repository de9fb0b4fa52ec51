"""Where the repository is; importing this also puts it on sys.path."""

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

# The link monitor's package (runs on routers; imported here for its unit tests).
MONITOR_FILES = REPOSITORY / "roles" / "symroute_monitor" / "files"
if str(MONITOR_FILES) not in sys.path:
    sys.path.insert(0, str(MONITOR_FILES))
