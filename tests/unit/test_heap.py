"""The garbage collector's tuning is for server processes only (heap.py)."""

from __future__ import annotations

import gc
import subprocess
import sys

from switchboard.heap import YOUNG_GENERATION
from switchboard.testing import live_server

SETTLE_AND_REPORT = """
import gc
from switchboard.heap import settle_server_process
before = gc.get_freeze_count()
settle_server_process()
print(before, gc.get_freeze_count() > 0, gc.get_threshold()[0])
"""


def test_a_server_process_freezes_its_start_up_heap_and_widens_the_young_generation() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SETTLE_AND_REPORT], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["0", "True", str(YOUNG_GENERATION)]


def test_a_server_in_a_test_process_leaves_that_process_collector_alone() -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with live_server() as server:
        assert server.base_url  # started: its app is ready
        assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)
