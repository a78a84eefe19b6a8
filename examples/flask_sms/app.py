"""A tiny order-status SMS bot: the Flask app built in docs/tutorial.md.

Text ``STATUS`` and it tells you where your order is; anything else gets the help text. Photos
are acknowledged. Every request must carry a valid ``X-Twilio-Signature``, checked with the
official ``twilio`` SDK, so nobody but Twilio (or switchboard) can talk to it.

Run it against switchboard:

    export TWILIO_AUTH_TOKEN=...   # the Auth Token that `switchboard serve` uses
    flask --app examples/flask_sms/app.py run --port 5000

Nothing here knows about switchboard: pointed at Twilio, the same app works unchanged.
"""

from __future__ import annotations

import os
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

STATUS_REPLY = "Order #1042 has shipped and arrives Thursday."
HELP_REPLY = "Text STATUS to hear where your order is."


def twilio_signed(view: Any) -> Any:
    """Answer 403 unless the request carries a valid ``X-Twilio-Signature``.

    The signature covers the full URL Twilio requested and every POST parameter. Behind a proxy
    that rewrites the scheme or host, ``request.url`` is not that URL: fix it with werkzeug's
    ``ProxyFix`` first.
    """

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(request.url, request.form, signature):
            abort(403)
        return view(*args, **kwargs)

    return checked


def answer(text: str, num_media: int) -> str:
    """The reply to one incoming message."""
    if num_media:
        photos = "photo" if num_media == 1 else "photos"
        prefix = f"Thanks for the {num_media} {photos}! "
    else:
        prefix = ""
    if text.strip().upper() == "STATUS":
        return prefix + STATUS_REPLY
    return prefix + HELP_REPLY


def create_app(auth_token: str | None = None) -> Flask:
    """The app; ``auth_token`` defaults to the ``TWILIO_AUTH_TOKEN`` environment variable.

    ``flask --app examples/flask_sms/app.py run`` calls this factory with no arguments.
    """
    token = auth_token or os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        raise RuntimeError("set TWILIO_AUTH_TOKEN to the Auth Token your webhooks are signed with")
    app = Flask(__name__)
    app.config["TWILIO_AUTH_TOKEN"] = token

    @app.post("/sms")
    @twilio_signed
    def sms() -> Response:
        reply = MessagingResponse()
        reply.message(answer(request.form.get("Body", ""), int(request.form.get("NumMedia", 0))))
        return Response(str(reply), mimetype="text/xml")

    return app
