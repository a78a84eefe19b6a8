"""Media content types from URLs (what Twilio reports when it cannot ask the server)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

EXTENSION_TYPES: Final = MappingProxyType(
    {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "webp": "image/webp",
        "mp4": "video/mp4",
        "mp3": "audio/mpeg",
        "ogg": "audio/ogg",
        "pdf": "application/pdf",
        "vcf": "text/vcard",
        "txt": "text/plain",
    }
)


def guess_content_type(url: str) -> str:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    extension = last.rsplit(".", 1)[-1].lower() if "." in last else ""
    return EXTENSION_TYPES.get(extension, "application/octet-stream")


def media_path(account_sid: str, message_sid: str, media_sid: str) -> str:
    """The path of a media item's content (``MediaUrlN`` is this on the server's base URL)."""
    return f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/{media_sid}"
