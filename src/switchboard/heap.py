"""The garbage collector's settings for a server process, applied once it has started.

Why. Counted with callgrind (instructions the server executes per inbound message, the same
500 messages through ``/_sim/inbound`` to a signed webhook; docs/performance.md), the cyclic
garbage collector was the largest part of what the redesign added: 2.99 M instructions per
message against 2.77 M before it, of which about 0.12 M in the collector's traversals. Two
reasons, both measured with ``gc.callbacks``:

- everything loaded at start-up (the frameworks, libphonenumber's metadata and geocoder: about
  56,000 tracked objects) was traversed again by every full collection, although none of it
  ever becomes garbage;
- with 64 requests in flight, the objects of a request in progress (coroutines, read models,
  typed jobs) outlive the default 700-allocation young generation, are promoted, and make the
  older generations fill and be collected more often: 66% more young collections than before.

So, once a server is ready: collect, then ``gc.freeze()`` what is left (it moves to a permanent
generation that collections skip; it stays alive, as it would anyway), and let the young
generation hold ``YOUNG_GENERATION`` allocations, so that a request's objects die young. The
memory cost is bounded by that count (a few MB at most). A test process that runs a server in
a thread (``switchboard.testing``) is not a server process and keeps the defaults.
"""

from __future__ import annotations

import gc

#: Allocations of tracked objects before a young collection (CPython's default is 700).
YOUNG_GENERATION = 10_000


def settle_server_process() -> None:
    """Freeze what start-up built and widen the young generation (call once, when ready)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION, middle, old)
