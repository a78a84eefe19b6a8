"""A WhatsApp delivery bot with a template and quick replies: the app built in docs/whatsapp.md.

* ``setup_template(client)`` creates the ``delivery_check`` template once (Content API): "Hi
  {{1}}, your order {{2}} arrives tomorrow. Will you be home?" with the quick replies *Yes*
  and *Reschedule*, and submits it for WhatsApp approval.
* ``notify(client, ...)`` sends it with ``ContentSid`` and ``ContentVariables``. A template
  approved by WhatsApp may open a conversation at any time; free-form text may not (63016
  outside the 24-hour customer service window).
* ``POST /whatsapp`` is the incoming-message webhook. A tap on a quick reply arrives with
  ``ButtonPayload`` (the button's id) and ``ButtonText``; the bot answers in TwiML. Inside the
  window it may answer anything free-form.
* ``POST /status`` records status callbacks, where a 63016 failure shows up.

Every request must carry a valid ``X-Twilio-Signature``. Nothing here knows about switchboard:
pointed at Twilio, the same app works unchanged.

    export TWILIO_AUTH_TOKEN=...   # the Auth Token that `switchboard serve` uses
    flask --app examples/whatsapp_bot/bot.py run --port 5000
"""

from __future__ import annotations

import json
import os
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList
from twilio.twiml.messaging_response import MessagingResponse

TEMPLATE = {
    "friendly_name": "delivery_check",
    "language": "en",
    "variables": {"1": "Ada", "2": "A-1042"},  # sample values, needed for approval
    "types": {
        "twilio/quick-reply": {
            "body": "Hi {{1}}, your order {{2}} arrives tomorrow. Will you be home?",
            "actions": [
                {"type": "QUICK_REPLY", "title": "Yes", "id": "home_yes"},
                {"type": "QUICK_REPLY", "title": "Reschedule", "id": "home_no"},
            ],
        },
        "twilio/text": {"body": "Hi {{1}}, your order {{2}} arrives tomorrow."},
    },
}
CONFIRMED = "Great, see you tomorrow!"
RESCHEDULE = "No problem: reply with a day that suits you."
HELP = "Tap one of the buttons, or tell us a day for your delivery."


def twilio_signed(view: Any) -> Any:
    """Answer 403 unless the request carries a valid ``X-Twilio-Signature``."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(request.url, request.form, signature):
            abort(403)
        return view(*args, **kwargs)

    return checked


def setup_template(client: Any) -> str:
    """Create the template and submit it for WhatsApp approval; returns its SID (HX...)."""
    request_body = ContentList.ContentCreateRequest(TEMPLATE)
    template = client.content.v1.contents.create(request_body)
    approval = ApprovalCreateList.ContentApprovalRequest(
        {"name": "delivery_check", "category": "UTILITY"}
    )
    client.content.v1.contents(template.sid).approval_create.create(approval)
    return str(template.sid)


def notify(
    client: Any, *, content_sid: str, to: str, from_: str, name: str, order: str, callback: str
) -> Any:
    """Send the delivery check to ``to`` (``whatsapp:+...``)."""
    return client.messages.create(
        to=to,
        from_=from_,
        content_sid=content_sid,
        content_variables=json.dumps({"1": name, "2": order}),
        status_callback=callback,
    )


def answer(form: Any) -> str:
    """The reply to one incoming WhatsApp message: a button tap or free text."""
    button = form.get("ButtonPayload")
    if button == "home_yes":
        return CONFIRMED
    if button == "home_no":
        return RESCHEDULE
    return HELP


def create_app(auth_token: str | None = None) -> Flask:
    """The app; ``auth_token`` defaults to the ``TWILIO_AUTH_TOKEN`` environment variable."""
    token = auth_token or os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        raise RuntimeError("set TWILIO_AUTH_TOKEN to the Auth Token your webhooks are signed with")
    app = Flask(__name__)
    app.config["TWILIO_AUTH_TOKEN"] = token
    app.config["STATUSES"] = []  # (MessageSid, MessageStatus, ErrorCode): a real app stores them
    app.config["TAPS"] = []  # the button fields of each tap, as the webhook carried them

    @app.post("/whatsapp")
    @twilio_signed
    def whatsapp() -> Response:
        if "ButtonPayload" in request.form:
            app.config["TAPS"].append(
                {k: request.form[k] for k in request.form if k.startswith(("Button", "Original"))}
            )
        reply = MessagingResponse()
        reply.message(answer(request.form))
        return Response(str(reply), mimetype="text/xml")

    @app.post("/status")
    @twilio_signed
    def status() -> Response:
        form = request.form
        app.config["STATUSES"].append(
            (form["MessageSid"], form["MessageStatus"], form.get("ErrorCode"))
        )
        return Response(status=204)

    return app
