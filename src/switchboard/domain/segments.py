"""How many segments a message is, counted once when it is created (SPEC §8.2, §8.3).

The count is stored on the message and everything after creation -- the carrier's timing and
throughput, the price, the API -- reads the stored value. Counting again later would need the
Smart Encoding choice again, and that choice (the service's ``smart_encoding`` or the request's
``SmartEncoded``) is only known at creation.

Twilio reports ``num_segments`` ``"0"`` for a Messaging Service send until the service has
chosen its sender; :func:`reported_segments` is that rule, applied where a message is shown.
"""

from __future__ import annotations

from switchboard.domain.encoding import segment
from switchboard.domain.models import Message
from switchboard.domain.phone import Channel


def count_segments(body: str, *, num_media: int, channel: Channel, smart_encoding: bool) -> int:
    """Segments of a message: SMS segments of its body; 1 for MMS and for non-SMS channels."""
    if num_media or channel is not Channel.SMS:
        return 1
    return segment(body, smart_encoding=smart_encoding).num_segments


def reported_segments(message: Message) -> int:
    """``num_segments`` as Twilio shows it: 0 while no sender has been chosen yet."""
    return 0 if message.from_ is None else message.num_segments
