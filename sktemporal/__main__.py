"""``python -m sktemporal``: the same as the ``sktemporal`` command."""

from sktemporal.cli import main

raise SystemExit(main())
