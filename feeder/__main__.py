"""`python -m feeder`: the same command line as `feeder`."""

import sys

from feeder.cli import main

sys.exit(main())
