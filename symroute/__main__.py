"""python -m symroute plan|explain (what bin/symroute and the playbook's plan step run)."""

import sys

from .cli import main

sys.exit(main())
