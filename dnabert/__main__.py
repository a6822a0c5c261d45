"""``python -m dnabert``: the command line's entry point (it lives in ``explorer.cli``, above the library)."""

import sys

from explorer.cli import main

sys.exit(main())
