"""``python -m gapbook``: the same command line as the ``gapbook`` script."""

import sys

from gapbook.cli import main

sys.exit(main())
