"""``python -m digit_client``: the ``digits`` command line."""

import sys

from digit_client.cli import main

sys.exit(main())
