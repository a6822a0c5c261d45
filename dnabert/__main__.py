import sys

from dnabert.cli import main

sys.exit(main())
