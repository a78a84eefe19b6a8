"""The incoming-message webhook end to end (SPEC §1, §3, §7.3).

A simulated handset sends a message through ``POST /_sim/inbound``; a real receiver gets the
webhook, validates its signature with the official ``RequestValidator`` (every request, see
``conftest.py``) and answers with TwiML built by the official ``MessagingResponse``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from switchboard.testing import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

OURS = "+14155550100"
HANDSET = "+14155550199"
LONDON = "+447700900123"

SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
MEDIA_URL = re.compile(
    rf"^http://127\.0\.0\.1:\d+/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages/"
    r"MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$"
)

GEO = {f"{side}{part}" for side in ("From", "To") for part in ("City", "State", "Zip", "Country")}
CORE = {
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "NumSegments",
    "SmsStatus",
    "ApiVersion",
    # Absent from the doc table, present in every captured payload (SPEC §1.4).
    "ReferralNumMedia",
}


def _uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def test_inbound_sms_parameters_headers_resource_and_reply(sim, receiver, twiml):
    url = receiver.route("/sms", twiml.message("Thanks, got it!"))
    sim.number(OURS, sms_url=url, sms_method="POST")

    inbound = sim.inbound("Hello world! 1+1=2", to=OURS, from_=HANDSET)
    state = sim.settled(inbound["sid"], replies=1)

    (request,) = receiver.wait("/sms")
    params = request.params
    # Exactly the parameters of SPEC §1.4 that apply to a plain SMS, nothing else.
    assert set(params) == CORE | GEO
    sid = params["MessageSid"]
    assert SID.match(sid)
    assert sid.startswith("SM")
    assert sid == inbound["sid"] == params["SmsSid"] == params["SmsMessageSid"]
    assert params["AccountSid"] == TEST_ACCOUNT_SID
    assert params["From"] == HANDSET
    assert params["To"] == OURS
    assert params["Body"] == "Hello world! 1+1=2"
    assert params["NumMedia"] == "0"
    assert params["NumSegments"] == "1"
    assert params["SmsStatus"] == "received"
    assert params["ApiVersion"] == "2010-04-01"
    assert params["ReferralNumMedia"] == "0"
    assert "MessagingServiceSid" not in params
    assert params["FromCity"] == "SAN FRANCISCO"
    assert params["ToCountry"] == "US"
    # Wire encoding: spaces as '+', '+' as %2B (SPEC §1.2).
    assert b"From=%2B14155550199" in request.body
    assert b"Body=Hello+world%21+1%2B1%3D2" in request.body

    # Headers (SPEC §1.3).
    assert request.method == "POST"
    assert request.url == url
    assert request.signature_valid
    assert receiver.validator.validate(url, params, request.header("X-Twilio-Signature"))
    assert _uuid(request.header("I-Twilio-Idempotency-Token"))
    assert request.header("User-Agent") == "TwilioProxy/1.1"
    assert request.header("Content-Type").startswith("application/x-www-form-urlencoded")
    assert request.header("Authorization") is None

    # The attempt log shows what the receiver saw.
    (attempt,) = state["webhooks"]
    assert attempt["kind"] == "incoming"
    assert attempt["error_code"] is None
    assert attempt["response"]["status"] == 200
    assert attempt["idempotency_token"] == request.header("I-Twilio-Idempotency-Token")
    assert attempt["request"]["headers"]["X-Twilio-Signature"] == request.header(
        "X-Twilio-Signature"
    )

    # The inbound Message resource through the official SDK.
    message = sim.client.messages(sid).fetch()
    assert message.direction == "inbound"
    assert message.status == "received"
    assert message.body == "Hello world! 1+1=2"
    assert message.from_ == HANDSET
    assert message.to == OURS

    # The TwiML reply: an outbound-reply from the receiving number to the sender.
    replies = sim.client.messages.list(from_=OURS, to=HANDSET)
    assert len(replies) == 1
    (reply,) = replies
    assert reply.direction == "outbound-reply"
    assert reply.body == "Thanks, got it!"
    assert reply.sid == state["replies"][0]["sid"]
    delivered = sim.status(reply.sid, "delivered")
    assert delivered.date_sent is not None


def test_long_body_reports_its_segments(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    body = "x" * 200  # GSM-7: 153 characters per segment once concatenated
    inbound = sim.inbound(body)
    sim.settled(inbound["sid"])
    (request,) = receiver.wait("/sms")
    assert request.params["NumSegments"] == "2"
    assert request.params["Body"] == body


def test_geo_fields_present_even_when_unknown(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    inbound = sim.inbound("cheerio", from_=LONDON)
    sim.settled(inbound["sid"])
    (request,) = receiver.wait("/sms")
    assert set(request.params) >= GEO
    assert request.params["FromCountry"] == "GB"
    assert request.params["FromCity"] == request.params["FromZip"] == ""
    assert request.params["FromState"] == ""
    assert request.signature_valid  # empty values still count: "FromCity" + ""


def test_mms_with_two_media_urls(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    sources = ["https://example.com/cat.jpg", "https://example.com/clip.mp4"]
    inbound = sim.inbound(
        "",
        extra=[
            ("MediaUrl", sources[0]),
            ("MediaUrl", sources[1]),
            ("MediaContentType", "image/jpeg"),
            ("MediaContentType", "video/mp4"),
        ],
    )
    sim.settled(inbound["sid"])
    (request,) = receiver.wait("/sms")
    params = request.params
    assert params["MessageSid"].startswith("MM")
    assert SID.match(params["MessageSid"])
    assert params["NumMedia"] == "2"
    assert params["Body"] == ""
    assert params["MediaContentType0"] == "image/jpeg"
    assert params["MediaContentType1"] == "video/mp4"
    assert set(params) == CORE | GEO | {
        "MediaUrl0",
        "MediaUrl1",
        "MediaContentType0",
        "MediaContentType1",
    }
    for index, source in enumerate(sources):
        media_url = params[f"MediaUrl{index}"]
        assert MEDIA_URL.match(media_url), media_url
        assert f"/Messages/{params['MessageSid']}/Media/" in media_url
        # The server's own URL serves the media: here a redirect to where the handset's
        # media lives.
        fetched = httpx.get(media_url, follow_redirects=False)
        assert fetched.status_code == 302
        assert fetched.headers["location"] == source
    assert params["MediaUrl0"] != params["MediaUrl1"]

    message = sim.client.messages(params["MessageSid"]).fetch()
    assert message.num_media == "2"
    media = sim.client.messages(params["MessageSid"]).media.list()
    assert sorted(m.content_type for m in media) == ["image/jpeg", "video/mp4"]


def test_mms_with_two_uploaded_files(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    pdf = b"%PDF-1.4\n" + b"\x00\xff" * 300 + b"%%EOF"
    files = [
        ("MediaFile", ("picture.png", png, "image/png")),
        ("MediaFile", ("document.pdf", pdf, "application/pdf")),
    ]
    inbound = sim.inbound("two files", files=files)
    sim.settled(inbound["sid"])
    (request,) = receiver.wait("/sms")
    params = request.params
    assert params["MessageSid"].startswith("MM")
    assert params["NumMedia"] == "2"
    assert params["Body"] == "two files"
    assert params["MediaContentType0"] == "image/png"
    assert params["MediaContentType1"] == "application/pdf"
    for index, content in enumerate((png, pdf)):
        media_url = params[f"MediaUrl{index}"]
        assert MEDIA_URL.match(media_url), media_url
        fetched = httpx.get(media_url)  # served publicly on a loopback bind, like Twilio
        assert fetched.status_code == 200
        assert fetched.content == content
        assert fetched.headers["content-type"].startswith(params[f"MediaContentType{index}"])
        authed = httpx.get(media_url, auth=(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN))
        assert authed.content == content


def test_whatsapp_with_profile_and_location(sim, receiver, twiml):
    sim.number(OURS, sms_url=receiver.route("/wa", twiml.message("Location noted")))
    inbound = sim.inbound(
        "",
        to=f"whatsapp:{OURS}",
        from_=f"whatsapp:{HANDSET}",
        extra=[
            ("ProfileName", "Ada Lovelace"),
            ("Latitude", "37.7749"),
            ("Longitude", "-122.4194"),
            ("Address", "1 Market St, San Francisco"),
            ("Label", "Office"),
        ],
    )
    state = sim.settled(inbound["sid"], replies=1)
    (request,) = receiver.wait("/wa")
    params = request.params
    assert params["From"] == f"whatsapp:{HANDSET}"
    assert params["To"] == f"whatsapp:{OURS}"
    assert params["ProfileName"] == "Ada Lovelace"
    assert params["WaId"] == HANDSET.lstrip("+")
    assert params["Latitude"] == "37.7749"
    assert params["Longitude"] == "-122.4194"
    assert params["Address"] == "1 Market St, San Francisco"
    assert params["Label"] == "Office"
    assert params["NumSegments"] == "1"
    assert params["SmsStatus"] == "received"
    assert not GEO & set(params), "geographic fields are absent on WhatsApp"
    assert request.signature_valid

    (reply,) = state["replies"]
    assert reply["from"] == f"whatsapp:{OURS}"
    assert reply["to"] == f"whatsapp:{HANDSET}"
    assert reply["body"] == "Location noted"


def test_get_configured_number(sim, receiver, twiml):
    configured = receiver.route("/get-hook", twiml.message("via GET")) + "?customer=42&lang=en"
    sim.number(OURS, sms_url=configured, sms_method="GET")
    inbound = sim.inbound("query me")
    state = sim.settled(inbound["sid"], replies=1)

    (request,) = receiver.wait("/get-hook")
    assert request.method == "GET"
    assert request.body == b""
    assert request.header("Content-Length") in (None, "0")
    assert request.header("Content-Type") is None
    # The configured query string is kept, first and verbatim; the parameters follow it.
    assert request.url.startswith(configured + "&")
    query = request.query
    assert query["customer"] == "42"
    assert query["lang"] == "en"
    assert query["MessageSid"] == inbound["sid"]
    assert query["Body"] == "query me"
    assert query["From"] == HANDSET
    assert set(query) == CORE | GEO | {"customer", "lang"}
    # Signed over the full URL with no parameters appended (SPEC §3.1 step 2).
    assert request.signature_valid
    assert receiver.validator.validate(request.url, {}, request.header("X-Twilio-Signature"))
    assert not receiver.validator.validate(
        configured, dict(query), request.header("X-Twilio-Signature")
    )
    (attempt,) = state["webhooks"]
    assert attempt["method"] == "GET"
    assert attempt["signed_url"] == request.url
    assert [r["body"] for r in state["replies"]] == ["via GET"]


def _service_with_number(sim: Any, receiver: Any, **settings: Any) -> tuple[Any, Any]:
    number = sim.number(OURS, sms_url=receiver.url("/number-hook"))
    service = sim.service(**settings)
    sim.add_to_service(service, number)
    return service, number


def test_service_inbound_url_wins_over_the_number(sim, receiver, twiml):
    receiver.route("/service-hook", twiml.message("from the service"))
    service, _ = _service_with_number(
        sim,
        receiver,
        inbound_request_url=receiver.url("/service-hook"),
        use_inbound_webhook_on_number=False,
    )
    inbound = sim.inbound("to the service")
    state = sim.settled(inbound["sid"], replies=1)
    (request,) = receiver.wait("/service-hook")
    assert request.params["MessagingServiceSid"] == service.sid
    assert set(request.params) == CORE | GEO | {"MessagingServiceSid"}
    assert request.signature_valid
    assert receiver.at("/number-hook") == []
    assert sim.client.messages(inbound["sid"]).fetch().messaging_service_sid == service.sid
    assert [r["body"] for r in state["replies"]] == ["from the service"]


def test_service_deferring_to_the_number(sim, receiver, twiml):
    receiver.route("/number-hook", twiml.message("from the number"))
    service, _ = _service_with_number(
        sim,
        receiver,
        inbound_request_url=receiver.url("/service-hook"),
        use_inbound_webhook_on_number=True,
    )
    inbound = sim.inbound("to the number")
    state = sim.settled(inbound["sid"], replies=1)
    (request,) = receiver.wait("/number-hook")
    # The number belongs to the service, so the webhook still names it (SPEC §1.4, §7.3).
    assert request.params["MessagingServiceSid"] == service.sid
    assert receiver.at("/service-hook") == []
    assert [r["body"] for r in state["replies"]] == ["from the number"]


def test_service_without_inbound_url_stores_and_sends_nothing(sim, receiver):
    _service_with_number(sim, receiver, use_inbound_webhook_on_number=False)
    inbound = sim.inbound("nobody listens")
    state = sim.settled(inbound["sid"], attempts=0)
    assert state["webhooks"] == []
    assert state["replies"] == []
    assert state["message"]["status"] == "received"
    message = sim.client.messages(inbound["sid"]).fetch()
    assert message.direction == "inbound"
    assert message.status == "received"
    assert sim.webhooks(inbound["sid"]) == []
    assert receiver.requests == []


def test_number_without_url_stores_and_sends_nothing(sim, receiver):
    sim.number(OURS)
    inbound = sim.inbound("no webhook configured")
    state = sim.settled(inbound["sid"], attempts=0)
    assert state["webhooks"] == []
    assert state["replies"] == []
    assert sim.client.messages(inbound["sid"]).fetch().status == "received"
    assert receiver.requests == []


def test_unicode_body_is_signed_and_counted_as_ucs2(sim, receiver):
    sim.number(OURS, sms_url=receiver.url("/sms"))
    body = "Grüße aus Zürich 👋 — ça va? " * 3  # 87 UTF-16 units: two UCS-2 segments
    inbound = sim.inbound(body)
    sim.settled(inbound["sid"])
    (request,) = receiver.wait("/sms")
    assert request.params["Body"] == body
    assert request.params["NumSegments"] == "2"
    assert request.signature_valid


def test_many_inbound_messages_at_once(sim, receiver, reply):
    def echo(request: Any) -> Any:
        response = f"<Response><Message>echo {request.params['Body']}</Message></Response>"
        return reply(body=response, delay=0.2)

    receiver.route("/sms", echo)
    sim.number(OURS, sms_url=receiver.url("/sms"))
    sids = [sim.inbound(f"m{i}", from_=f"+1415555{i:04d}")["sid"] for i in range(30)]
    for sid in sids:
        state = sim.settled(sid, replies=1)
        assert [r["body"] for r in state["replies"]] == ["echo " + state["message"]["body"]]
        assert state["replies"][0]["to"] == state["message"]["from"]
    requests = receiver.wait("/sms", 30)
    assert len(requests) == 30
    assert len({r.header("I-Twilio-Idempotency-Token") for r in requests}) == 30
    assert all(r.signature_valid for r in requests)


def test_cookies_never_cross_conversations(sim, receiver, reply, twiml):
    with_cookie = reply(
        body=str(twiml.empty().body), headers={"Set-Cookie": "session=alice; Path=/"}
    )
    receiver.route("/sms", [with_cookie, twiml.empty()])
    sim.number(OURS, sms_url=receiver.url("/sms"))
    first = sim.inbound("I am alice", from_=HANDSET)
    sim.settled(first["sid"])
    second = sim.inbound("I am bob", from_="+14155550198")
    sim.settled(second["sid"])
    _, bob = receiver.wait("/sms", 2)
    assert bob.params["From"] == "+14155550198"
    assert "alice" not in (bob.header("Cookie") or "")


def test_fallback_by_get(sim, receiver, reply, twiml):
    receiver.route("/primary", reply(status=500, body="", content_type="text/plain"))
    receiver.route("/fallback", twiml.message("fallback via GET"))
    sim.number(
        OURS,
        sms_url=receiver.url("/primary"),
        sms_fallback_url=receiver.url("/fallback") + "?kind=fb",
        sms_fallback_method="GET",
    )
    inbound = sim.inbound("get the fallback")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    (fallback,) = receiver.wait("/fallback")
    assert fallback.method == "GET"
    assert fallback.body == b""
    assert fallback.query["kind"] == "fb"
    assert fallback.query["ErrorCode"] == "11200"
    assert fallback.query["ErrorUrl"] == receiver.url("/primary")
    assert fallback.query["MessageSid"] == inbound["sid"]
    assert fallback.signature_valid
    assert [r["body"] for r in state["replies"]] == ["fallback via GET"]
