"""`python -m aslkit.cli`: the same as the `aslkit` command."""

import sys

from aslkit.cli import main

sys.exit(main())
