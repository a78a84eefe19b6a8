"""Media content types by URL, and the content path webhooks carry."""

from __future__ import annotations

import pytest

from switchboard.domain.media import guess_content_type, media_path


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://x.example/cat.JPG", "image/jpeg"),
        ("https://x.example/a/b.png?size=2", "image/png"),
        ("https://x.example/file.pdf", "application/pdf"),
        ("https://x.example/noextension", "application/octet-stream"),
        ("https://x.example/dir.d/file", "application/octet-stream"),
    ],
)
def test_guess_content_type(url: str, kind: str) -> None:
    assert guess_content_type(url) == kind


def test_media_path() -> None:
    assert media_path("AC1", "MM2", "ME3") == "/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME3"
