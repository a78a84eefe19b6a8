"""What a simulated handset sends, read from the fields of a request: one rule for ``/_sim/inbound``
and the dashboard's phone.

A request's parts come in the order they were sent: text fields and uploaded files. ``From``,
``To`` and the extras Twilio passes through (``INBOUND_EXTRAS``: a WhatsApp profile name, a shared
location) are trimmed, and a blank one counts as absent; ``Body`` is kept as sent. Media are the
``MediaUrl`` fields (the n-th ``MediaContentType`` gives the n-th URL's type, else it is guessed
from the URL) and the uploaded files, in the order they came. A file part with neither content nor
a name is a browser's empty file input, not a medium.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from switchboard.domain.callbacks import INBOUND_EXTRAS
from switchboard.services.inbound import InboundMedia, InboundMessage


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a request, read into memory (request bodies are size-bounded)."""

    filename: str
    content_type: str | None
    content: bytes


Part = tuple[str, "str | Upload"]


def handset_message(parts: Iterable[Part]) -> InboundMessage:
    text: dict[str, str] = {}
    media: list[InboundMedia] = []
    url_slots: list[int | None] = []  # where each MediaUrl went in ``media`` (None: blank)
    types: list[str] = []
    for name, value in parts:
        if isinstance(value, Upload):
            if value.content or value.filename:
                media.append(InboundMedia(content_type=value.content_type, content=value.content))
        elif name == "MediaUrl":
            url = value.strip()
            url_slots.append(len(media) if url else None)
            if url:
                media.append(InboundMedia(url=url))
        elif name == "MediaContentType":
            types.append(value.strip())
        elif name == "Body":
            text.setdefault(name, value)
        elif value.strip():
            text.setdefault(name, value.strip())
    for slot, content_type in zip(url_slots, types, strict=False):
        if slot is not None and content_type:
            media[slot] = dataclasses.replace(media[slot], content_type=content_type)
    return InboundMessage(
        from_=text.get("From", ""),
        to=text.get("To", ""),
        body=text.get("Body", ""),
        media=media,
        extras={name: text[name] for name in INBOUND_EXTRAS if name in text},
    )
