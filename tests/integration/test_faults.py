"""Misbehaving apps (SPEC §1.7-§1.10, §4.6): every fault is logged with Twilio's error code
on the attempt, the fallback URL is requested with ``ErrorCode`` and ``ErrorUrl``, and the
server keeps working afterwards.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

OURS = "+14155550100"
HANDSET = "+14155550199"

FALLBACK_BODY = "sorry, we had a hiccup"
TEN_MB = 10 * 1024 * 1024


def _faulty(kind: str, reply: Any, twiml: Any) -> tuple[Any, str]:
    """(how the primary route answers, the URL fragment to configure)."""
    if kind == "500":
        return reply(status=500, body="Internal Server Error", content_type="text/plain"), ""
    if kind == "read-timeout":
        return dataclasses.replace(twiml.empty(), delay=1.0), "rt=300"
    if kind == "total-timeout":
        return dataclasses.replace(twiml.empty(), delay=1.5), "tt=500"
    if kind == "garbage-xml":
        return reply(body="<Response><Message>unclosed</Response", content_type="text/xml"), ""
    if kind == "not-response-root":
        return reply(body="<Reply><Message>hi</Message></Reply>", content_type="text/xml"), ""
    if kind == "huge-body":
        body = b"<Response><Message>" + b"A" * TEN_MB + b"</Message></Response>"
        return reply(body=body, content_type="text/xml"), ""
    if kind == "no-content-type":
        return reply(body=str(twiml.message("typeless").body), content_type=None), ""
    if kind == "json":
        body = json.dumps({"message": "hello"})
        return reply(body=body, content_type="application/json"), ""
    raise AssertionError(kind)


CASES = [
    # (kind, error code on the primary attempt, primary attempts)
    pytest.param("500", 11200, 1, id="http-500"),
    pytest.param("read-timeout", 11205, 1, id="rt-timeout"),
    pytest.param("total-timeout", 11203, 1, id="tt-timeout"),
    pytest.param("garbage-xml", 12100, 1, id="garbage-xml"),
    pytest.param("not-response-root", 12102, 1, id="wrong-root"),
    pytest.param("huge-body", 11750, 1, id="10MB-body"),
    pytest.param("json", 12300, 1, id="application-json"),
    pytest.param("no-content-type", 12300, 1, id="no-content-type"),
]


@pytest.mark.parametrize(("kind", "code", "primary_attempts"), CASES)
def test_fault_is_logged_and_the_fallback_answers(
    sim, receiver, reply, twiml, kind, code, primary_attempts
):
    answer, fragment = _faulty(kind, reply, twiml)
    receiver.route("/primary", answer)
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    number = sim.number(
        OURS,
        sms_url=receiver.url("/primary", fragment),
        sms_fallback_url=receiver.url("/fallback"),
    )

    inbound = sim.inbound("will it break?")
    state = sim.settled(inbound["sid"], replies=1, attempts=primary_attempts + 1)

    attempts = state["webhooks"]
    assert [a["kind"] for a in attempts] == ["incoming"] * primary_attempts + ["fallback"]
    primary = attempts[0]
    assert primary["error_code"] == code, primary["error_detail"]
    assert primary["error_detail"]
    assert attempts[-1]["error_code"] is None
    # The same attempt is in the account-wide log.
    logged = sim.webhooks(inbound["sid"])
    assert sorted(a["sid"] for a in logged) == sorted(a["sid"] for a in attempts)

    (original,) = receiver.wait("/primary")
    (fallback,) = receiver.wait("/fallback")
    assert fallback.method == "POST"
    assert fallback.signature_valid
    assert fallback.params["ErrorCode"] == str(code)
    assert fallback.params["ErrorUrl"] == receiver.url("/primary")  # without the fragment
    rest = {k: v for k, v in fallback.params.items() if k not in ("ErrorCode", "ErrorUrl")}
    assert rest == dict(original.params)

    (answered,) = state["replies"]
    assert answered["body"] == FALLBACK_BODY
    assert (answered["from"], answered["to"]) == (OURS, HANDSET)
    sim.healthy(receiver, number)


def test_huge_body_is_not_kept_whole(sim, receiver, reply, twiml):
    answer, _ = _faulty("huge-body", reply, twiml)
    receiver.route("/primary", answer)
    sim.number(OURS, sms_url=receiver.url("/primary"))
    inbound = sim.inbound("flood me")
    state = sim.settled(inbound["sid"])
    (attempt,) = state["webhooks"]
    assert attempt["error_code"] == 11750
    assert len(attempt["response"]["body"]) <= 64 * 1024 + 1
    assert state["replies"] == []


def test_connection_refused_then_fallback(sim, receiver, twiml, closed_url):
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    refused = closed_url("/primary")
    number = sim.number(OURS, sms_url=refused, sms_fallback_url=receiver.url("/fallback"))
    inbound = sim.inbound("anyone?")
    state = sim.settled(inbound["sid"], replies=1, attempts=3)
    attempts = state["webhooks"]
    assert [a["kind"] for a in attempts] == ["incoming", "incoming", "fallback"]
    assert [a["error_code"] for a in attempts] == [11205, 11205, None]
    (fallback,) = receiver.wait("/fallback")
    assert fallback.params["ErrorCode"] == "11205"
    assert fallback.params["ErrorUrl"] == refused
    assert [r["body"] for r in state["replies"]] == [FALLBACK_BODY]
    sim.healthy(receiver, number)


def test_fallback_is_a_delivery_of_its_own(sim, receiver, reply, twiml):
    """The fallback request is not a retry of the primary one: an app behind both URLs that
    de-duplicates on I-Twilio-Idempotency-Token must not drop it (SPEC §2)."""
    receiver.route("/primary", reply(status=500, body="", content_type="text/plain"))
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    sim.number(OURS, sms_url=receiver.url("/primary"), sms_fallback_url=receiver.url("/fallback"))
    inbound = sim.inbound("two deliveries")
    sim.settled(inbound["sid"], replies=1, attempts=2)
    (primary,) = receiver.wait("/primary")
    (fallback,) = receiver.wait("/fallback")
    assert primary.header("I-Twilio-Idempotency-Token") != fallback.header(
        "I-Twilio-Idempotency-Token"
    )


def _xxe_document(secret_file: Path) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!DOCTYPE Response [\n"
        f'  <!ENTITY xxe SYSTEM "file://{secret_file}">\n'
        "]>\n"
        "<Response><Message>&xxe;</Message></Response>"
    )


def _parameter_entity_document(secret_file: Path) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!DOCTYPE Response [\n"
        f'  <!ENTITY % remote SYSTEM "file://{secret_file}">\n'
        "  %remote;\n"
        "]>\n"
        "<Response><Message>hello</Message></Response>"
    )


@pytest.mark.parametrize("build", [_xxe_document, _parameter_entity_document])
def test_xxe_is_refused_and_leaks_nothing(sim, receiver, reply, twiml, tmp_path, build):
    secret = f"TOP-SECRET-{uuid.uuid4().hex}"
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(secret)
    receiver.route("/primary", reply(body=build(secret_file), content_type="text/xml"))
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    number = sim.number(
        OURS, sms_url=receiver.url("/primary"), sms_fallback_url=receiver.url("/fallback")
    )
    inbound = sim.inbound("xxe")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    assert state["webhooks"][0]["error_code"] == 12100
    assert [r["body"] for r in state["replies"]] == [FALLBACK_BODY]
    (fallback,) = receiver.wait("/fallback")
    assert fallback.params["ErrorCode"] == "12100"

    # Nowhere: not in the attempt log, the messages, the exchange, or any request we got.
    everything = [
        json.dumps(state),
        json.dumps(sim.webhooks()),
        *(m.body or "" for m in sim.client.messages.list()),
        *(r.body.decode("utf-8", "replace") + r.url for r in receiver.requests),
    ]
    assert not [text for text in everything if secret in text]
    sim.healthy(receiver, number)


def test_billion_laughs_is_refused(sim, receiver, reply):
    bomb = Path(__file__).resolve().parents[1] / "data" / "twiml" / "billion_laughs.xml"
    receiver.route("/primary", reply(body=bomb.read_bytes(), content_type="text/xml"))
    number = sim.number(OURS, sms_url=receiver.url("/primary"))
    inbound = sim.inbound("lol")
    state = sim.settled(inbound["sid"])
    assert state["webhooks"][0]["error_code"] == 12100
    assert state["replies"] == []
    sim.healthy(receiver, number)


def test_fallback_failing_too(sim, receiver, reply):
    receiver.route("/primary", reply(status=500, body="primary down", content_type="text/plain"))
    receiver.route("/fallback", reply(status=503, body="fallback down", content_type="text/plain"))
    number = sim.number(
        OURS, sms_url=receiver.url("/primary"), sms_fallback_url=receiver.url("/fallback")
    )
    inbound = sim.inbound("double trouble")
    state = sim.settled(inbound["sid"], attempts=2)
    attempts = state["webhooks"]
    assert [a["kind"] for a in attempts] == ["incoming", "fallback"]
    assert [a["response"]["status"] for a in attempts] == [500, 503]
    assert [a["error_code"] for a in attempts] == [11200, 11200]
    assert state["replies"] == []
    assert sim.client.messages.list(from_=OURS) == []
    assert len(receiver.at("/primary")) == 1
    assert len(receiver.at("/fallback")) == 1
    sim.healthy(receiver, number)


def test_fallback_with_bad_twiml_too(sim, receiver, reply):
    receiver.route("/primary", reply(status=500, body="", content_type="text/plain"))
    receiver.route("/fallback", reply(body="<<<not xml", content_type="text/xml"))
    number = sim.number(
        OURS, sms_url=receiver.url("/primary"), sms_fallback_url=receiver.url("/fallback")
    )
    inbound = sim.inbound("still broken")
    state = sim.settled(inbound["sid"], attempts=2)
    assert [a["error_code"] for a in state["webhooks"]] == [11200, 12100]
    assert state["replies"] == []
    sim.healthy(receiver, number)


def test_fault_without_fallback_logs_and_sends_nothing(sim, receiver, reply):
    receiver.route("/primary", reply(status=500, body="", content_type="text/plain"))
    number = sim.number(OURS, sms_url=receiver.url("/primary"))
    inbound = sim.inbound("no safety net")
    state = sim.settled(inbound["sid"])
    assert [a["error_code"] for a in state["webhooks"]] == [11200]
    assert state["replies"] == []
    assert [r.path for r in receiver.requests] == ["/primary"]
    sim.healthy(receiver, number)


def test_service_fallback_url(sim, receiver, reply, twiml):
    receiver.route("/service-primary", reply(status=500, body="", content_type="text/plain"))
    receiver.route("/service-fallback", twiml.message(FALLBACK_BODY))
    number = sim.number(OURS, sms_url=receiver.url("/number-hook"))
    service = sim.service(
        inbound_request_url=receiver.url("/service-primary"),
        fallback_url=receiver.url("/service-fallback"),
        use_inbound_webhook_on_number=False,
    )
    sim.add_to_service(service, number)
    inbound = sim.inbound("service trouble")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    (fallback,) = receiver.wait("/service-fallback")
    assert fallback.params["ErrorCode"] == "11200"
    assert fallback.params["ErrorUrl"] == receiver.url("/service-primary")
    assert fallback.params["MessagingServiceSid"] == service.sid
    assert [r["body"] for r in state["replies"]] == [FALLBACK_BODY]
    assert receiver.at("/number-hook") == []


# HTTP 3xx answers: tests/integration/test_redirects.py


def test_malformed_webhook_url_is_11100_and_falls_back(sim, receiver, twiml):
    receiver.route("/fallback", twiml.message(FALLBACK_BODY))
    number = sim.number(OURS, sms_url="not a url", sms_fallback_url=receiver.url("/fallback"))
    inbound = sim.inbound("where to?")
    state = sim.settled(inbound["sid"], replies=1, attempts=2)
    assert [a["error_code"] for a in state["webhooks"]] == [11100, None]
    (fallback,) = receiver.wait("/fallback")
    assert fallback.params["ErrorCode"] == "11100"
    assert fallback.params["ErrorUrl"] == "not a url"
    sim.healthy(receiver, number)
