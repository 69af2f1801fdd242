"""``python -m bot``: the same command line as ``parley``."""

import sys

from bot.cli import main

sys.exit(main())
