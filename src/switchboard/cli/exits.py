"""The exit statuses of the ``switchboard`` commands, one scheme for all (docs/cli.md).

A script tells "switchboard could not do it" (1, 2, 3) from "it did it, and what it found
failed" (4) by the status alone. The client commands get 1 from :class:`ClientGroup`
(``cli/connection.py``), 2 from click, and 4 by raising :class:`Failed` once they have printed
what failed.
"""

from __future__ import annotations

from typing import Final

OK: Final = 0
REFUSED: Final = 1  # the server answered with an error, or could not be reached
USAGE: Final = 2  # click's status for a usage mistake
CONFIG: Final = 3  # serve/worker: a configuration that cannot work
FAILED: Final = 4  # the exchange completed, and something in it failed


class Failed(Exception):
    """Raised by a client command after printing what failed: the command exits FAILED."""
