"""Makes the example apps importable: ``from app import create_app`` (examples/flask_sms),
``import receiver`` (examples/status_receiver), ``import event_receiver``
(examples/event_streams) and ``import bot`` (examples/whatsapp_bot), as each example's own tests
would import them."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

for folder in ("flask_sms", "status_receiver", "event_streams", "whatsapp_bot"):
    path = str(EXAMPLES / folder)
    if path not in sys.path:
        sys.path.insert(0, path)
