"""The Content API (content.twilio.com/v1) and Messages create with ContentSid, through the
official SDK with only its base URLs changed; every response is validated against Twilio's
Content and 2010 OpenAPI descriptions when each test ends (conftest.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList

WA_OURS = "whatsapp:+14155550100"
WA_HANDSET = "whatsapp:+14155550199"

QUICK_REPLY = {
    "body": "Hi {{1}}, is your order {{2}} on time?",
    "actions": [
        {"type": "QUICK_REPLY", "title": "Yes", "id": "yes"},
        {"type": "QUICK_REPLY", "title": "No", "id": "no"},
    ],
}
EVERY_TYPE: dict[str, Any] = {
    "twilio/text": {"body": "Hi {{1}}, your order {{2}} is on its way."},
    "twilio/media": {"body": "Your receipt", "media": ["https://example.com/{{2}}.png"]},
    "twilio/location": {"latitude": 39.7392, "longitude": 104.9903, "label": "Foo Bar Co"},
    "twilio/quick-reply": QUICK_REPLY,
    "twilio/call-to-action": {
        "body": "Track order {{2}}",
        "actions": [
            {"type": "URL", "title": "Track", "url": "https://example.com/t/{{2}}"},
            {"type": "PHONE_NUMBER", "title": "Call us", "phone": "+14155550100"},
        ],
    },
    "twilio/list-picker": {
        "body": "Pick a slot",
        "button": "Slots",
        "items": [{"id": "am", "item": "Morning", "description": "9-12"}],
    },
    "twilio/card": {"title": "Order {{2}}", "subtitle": "Shipped", "media": []},
    "whatsapp/card": {"body": "Order {{2}}", "footer": "Thanks", "header_text": "Shipping"},
    "whatsapp/authentication": {
        "add_security_recommendation": True,
        "code_expiration_minutes": 10,
        "actions": [{"type": "COPY_CODE", "copy_code_text": "Copy code"}],
    },
}


def _create(client: Any, types: dict[str, Any], **fields: Any) -> Any:
    request = {"language": "en", "types": types, **fields}
    return client.content.v1.contents.create(ContentList.ContentCreateRequest(request))


def _approve(client: Any, sid: str, name: str = "order_update") -> Any:
    request = ApprovalCreateList.ContentApprovalRequest({"name": name, "category": "UTILITY"})
    return client.content.v1.contents(sid).approval_create.create(request)


# --- The resource ----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", sorted(EVERY_TYPE))
def test_each_content_type_round_trips(client: Any, content_type: str) -> None:
    types = {content_type: EVERY_TYPE[content_type]}
    created = _create(client, types, friendly_name="one type", variables={"1": "Ada", "2": "42"})
    assert re.fullmatch(r"HX[0-9a-f]{32}", created.sid)
    fetched = client.content.v1.contents(created.sid).fetch()
    # What was sent, without the nulls the SDK adds for every member it did not set.
    assert fetched.types == types
    assert fetched.variables == {"1": "Ada", "2": "42"}
    assert fetched.friendly_name == "one type"
    assert fetched.language == "en"
    assert fetched.url.endswith(f"/v1/Content/{created.sid}")
    assert fetched.links["approval_fetch"].endswith(f"/v1/Content/{created.sid}/ApprovalRequests")


def test_all_types_in_one_template_and_raw_shape(client: Any, raw: Any) -> None:
    created = _create(client, EVERY_TYPE, variables={"1": "Ada", "2": "42"})
    body = raw.get(f"/v1/Content/{created.sid}").json()
    assert body["types"] == EVERY_TYPE
    assert body["date_created"].endswith("Z")
    assert body["account_sid"] == client.account_sid


@pytest.mark.parametrize(
    ("types", "needle"),
    [
        ({"twilio/text": {}}, "twilio/text.body is required"),
        ({"twilio/quick-reply": {"body": "x"}}, "actions is required"),
        ({"twilio/text": {"body": "x", "color": "red"}}, "unknown field 'color'"),
        ({"twilio/sticker": {"url": "x"}}, "unknown content type"),
        ({"twilio/location": {"latitude": "north", "longitude": 1}}, "must be a number"),
        (
            {
                "twilio/list-picker": {
                    "body": "x",
                    "button": "b",
                    "items": [{"id": "1", "item": "x" * 25}],
                }
            },
            "more than 24 characters",
        ),
        (
            {"twilio/call-to-action": {"body": "x", "actions": [{"type": "FAX", "title": "t"}]}},
            "type must be one of",
        ),
        ({"twilio/card": {"title": "only a title"}}, "at least one other field"),
        (
            {
                "twilio/quick-reply": {
                    "body": "x",
                    "actions": [{"title": str(n)} for n in range(11)],
                }
            },
            "1 to 10 entries",
        ),
    ],
)
def test_invalid_types_are_refused(raw: Any, types: dict[str, Any], needle: str) -> None:
    response = raw.post("/v1/Content", json={"language": "en", "types": types})
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == 21000
    assert needle in error["message"]


def test_language_and_types_are_required_and_the_body_is_json(raw: Any) -> None:
    missing = raw.post("/v1/Content", json={"types": {"twilio/text": {"body": "x"}}})
    assert missing.status_code == 400
    assert "language" in missing.json()["message"]
    no_types = raw.post("/v1/Content", json={"language": "en"})
    assert no_types.status_code == 400
    assert "types" in no_types.json()["message"]
    form = raw.post("/v1/Content", data={"language": "en"})
    assert form.status_code == 400


def test_list_pages_with_meta(client: Any, raw: Any) -> None:
    sids = [_create(client, {"twilio/text": {"body": f"n{n}"}}).sid for n in range(3)]
    assert [c.sid for c in client.content.v1.contents.list()] == sids
    assert [c.sid for c in client.content.v1.contents.list(page_size=2)] == sids
    first = raw.get("/v1/Content", params={"PageSize": 2}).json()
    assert first["meta"]["key"] == "contents"
    assert [c["sid"] for c in first["contents"]] == sids[:2]
    following = raw.get(first["meta"]["next_page_url"]).json()
    assert [c["sid"] for c in following["contents"]] == sids[2:]
    assert following["meta"]["next_page_url"] is None


def test_update_replaces_types_and_delete_removes(client: Any, twilio_error: Any) -> None:
    created = _create(client, {"twilio/text": {"body": "old"}}, friendly_name="keep me")
    update = ContentList.ContentUpdateRequest({"types": {"twilio/text": {"body": "new"}}})
    updated = client.content.v1.contents(created.sid).update(update)
    assert updated.types == {"twilio/text": {"body": "new"}}
    assert updated.friendly_name == "keep me"
    assert client.content.v1.contents(created.sid).delete() is True
    with twilio_error(20404, 404):
        client.content.v1.contents(created.sid).fetch()


def test_another_account_cannot_see_or_send_a_template(
    client: Any, make_client: Any, twilio_error: Any, number: str
) -> None:
    created = _create(client, {"twilio/text": {"body": "private"}})
    sub = client.api.accounts.create(friendly_name="tenant")
    other = make_client(sub.sid, sub.auth_token)
    with twilio_error(20404, 404):
        other.content.v1.contents(created.sid).fetch()
    assert other.content.v1.contents.list() == []
    with twilio_error(20404, 404):
        other.content.v1.contents(created.sid).delete()
    other_number = other.incoming_phone_numbers.create(phone_number="+14155550111")
    with twilio_error(21655, 400):
        other.messages.create(
            to="+14155550199", from_=other_number.phone_number, content_sid=created.sid
        )


# --- WhatsApp approval -----------------------------------------------------------------------


def test_approval_is_decided_at_once(client: Any) -> None:
    created = _create(client, {"twilio/quick-reply": QUICK_REPLY}, variables={"1": "A", "2": "1"})
    fetched = client.content.v1.contents(created.sid).approval_fetch().fetch()
    assert fetched.whatsapp["status"] == "unsubmitted"
    approval = _approve(client, created.sid)
    assert approval.status == "approved"
    assert approval.content_type == "twilio/quick-reply"
    assert approval.category == "UTILITY"
    assert approval.rejection_reason == ""
    fetched = client.content.v1.contents(created.sid).approval_fetch().fetch()
    assert fetched.whatsapp["status"] == "approved"
    assert fetched.whatsapp["name"] == "order_update"
    listed = client.content.v1.content_and_approvals.list()
    assert [(c.sid, c.approval_requests["status"]) for c in listed] == [(created.sid, "approved")]
    assert client.content.v1.legacy_contents.list() == []


@pytest.mark.parametrize(
    ("body", "variables", "reason"),
    [
        ("{{1}} is here", {"1": "Ada"}, "start or end"),
        ("Hi {{1}}{{2}} there", {"1": "A", "2": "B"}, "side by side"),
        ("Hi {{1}} there", {}, "no sample value"),
    ],
)
def test_templates_breaking_whatsapp_rules_are_rejected(
    client: Any, body: str, variables: dict[str, str], reason: str
) -> None:
    created = _create(client, {"twilio/text": {"body": body}}, variables=variables)
    approval = _approve(client, created.sid)
    assert approval.status == "rejected"
    assert reason in approval.rejection_reason


def test_invalid_approval_requests(raw: Any, client: Any) -> None:
    created = _create(client, {"twilio/text": {"body": "Hello there"}})
    path = f"/v1/Content/{created.sid}/ApprovalRequests/whatsapp"
    for request, needle in [
        ({"category": "UTILITY"}, "name is required"),
        ({"name": "Bad Name", "category": "UTILITY"}, "lower-case"),
        ({"name": "ok"}, "category is required"),
        ({"name": "ok", "category": "GOSSIP"}, "category must be one of"),
    ]:
        response = raw.post(path, json=request)
        assert response.status_code == 400, request
        assert needle in response.json()["message"]
    picker = _create(client, {"twilio/list-picker": EVERY_TYPE["twilio/list-picker"]})
    refused = raw.post(
        f"/v1/Content/{picker.sid}/ApprovalRequests/whatsapp",
        json={"name": "picker", "category": "UTILITY"},
    )
    assert refused.status_code == 400
    assert "cannot be submitted" in refused.json()["message"]


def test_the_simulated_review_decides(client: Any, raw: Any) -> None:
    created = _create(client, {"twilio/text": {"body": "Hello there"}}, friendly_name="Hello 1")
    rejected = raw.post(
        f"/_sim/content/{created.sid}/approval",
        data={"Status": "rejected", "RejectionReason": "Too vague"},
    )
    assert rejected.status_code == 200, rejected.text
    whatsapp = client.content.v1.contents(created.sid).approval_fetch().fetch().whatsapp
    assert (whatsapp["status"], whatsapp["rejection_reason"]) == ("rejected", "Too vague")
    assert whatsapp["name"] == "hello_1"  # submitted on the way, named after the template
    approved = raw.post(f"/_sim/content/{created.sid}/approval", data={"Status": "approved"})
    assert approved.json()["whatsapp"]["status"] == "approved"
    assert approved.json()["whatsapp"]["rejection_reason"] == ""
    bad = raw.post(f"/_sim/content/{created.sid}/approval", data={"Status": "maybe"})
    assert bad.status_code == 400
    unknown = raw.post(f"/_sim/content/HX{'0' * 32}/approval", data={"Status": "approved"})
    assert unknown.status_code == 404


# --- Sending ---------------------------------------------------------------------------------


def test_send_fills_variables_with_defaults(client: Any, number: str, raw: Any) -> None:
    created = _create(
        client, {"twilio/text": EVERY_TYPE["twilio/text"]}, variables={"1": "friend", "2": "0"}
    )
    message = client.messages.create(
        to="+14155550199",
        from_=number,
        content_sid=created.sid,
        content_variables=json.dumps({"2": "A-17"}),
    )
    assert message.body == "Hi friend, your order A-17 is on its way."
    assert message.num_media == "0"
    assert message.sid.startswith("SM")
    shape = raw.get(f"/2010-04-01/Accounts/{client.account_sid}/Messages/{message.sid}.json")
    assert "content_sid" not in shape.json()  # the Message resource has no such field


def test_media_template_sends_an_mms(client: Any, number: str) -> None:
    created = _create(client, {"twilio/media": EVERY_TYPE["twilio/media"]}, variables={"2": "r1"})
    message = client.messages.create(to="+14155550199", from_=number, content_sid=created.sid)
    assert message.sid.startswith("MM")
    assert message.num_media == "1"
    assert message.body == "Your receipt"
    media = client.messages(message.sid).media.list()
    assert len(media) == 1


def test_sms_gets_the_text_of_a_rich_template(client: Any, number: str) -> None:
    created = _create(client, {"twilio/quick-reply": QUICK_REPLY}, variables={"1": "A", "2": "9"})
    message = client.messages.create(to="+14155550199", from_=number, content_sid=created.sid)
    assert message.body == "Hi A, is your order 9 on time?"


def test_send_through_a_messaging_service(client: Any, pool_service: Any) -> None:
    created = _create(client, {"twilio/text": {"body": "Service says {{1}}"}})
    message = client.messages.create(
        to="+14155550199",
        messaging_service_sid=pool_service.sid,
        content_sid=created.sid,
        content_variables='{"1": "hi"}',
    )
    assert message.body == "Service says hi"
    assert message.status == "accepted"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"content_variables": '{"1": "x"}', "body": None}, 21654),
        ({"content_sid": "HX" + "0" * 32}, 21655),
        ({"content_sid": "not-a-sid"}, 21655),
        ({"content_sid": "TEMPLATE", "content_variables": "not json"}, 21656),
        ({"content_sid": "TEMPLATE", "content_variables": "[1, 2]"}, 21656),
        ({"content_sid": "TEMPLATE", "content_variables": '{"1": null}'}, 21656),
        ({"content_sid": "TEMPLATE", "content_variables": '{"1": ""}'}, 21656),
        ({"content_sid": "TEMPLATE", "content_variables": '{"1": "two\\nlines"}'}, 21656),
        ({"content_sid": "TEMPLATE", "content_variables": '{"1": "x"}', "body": "hi"}, 35127),
    ],
)
def test_send_errors(
    client: Any, number: str, twilio_error: Any, kwargs: dict[str, Any], code: int
) -> None:
    created = _create(client, {"twilio/text": {"body": "Hello {{1}}"}})  # no default for {{1}}
    if kwargs.get("content_sid") == "TEMPLATE":
        kwargs = {**kwargs, "content_sid": created.sid}
    with twilio_error(code, 400):
        client.messages.create(to="+14155550199", from_=number, **kwargs)


def test_a_missing_variable_without_default_is_refused(
    client: Any, number: str, twilio_error: Any
) -> None:
    created = _create(client, {"twilio/text": {"body": "Hello {{1}} and {{2}}"}})
    with twilio_error(21656, 400) as caught:
        client.messages.create(
            to="+14155550199", from_=number, content_sid=created.sid, content_variables='{"1": "a"}'
        )
    assert "{{2}}" in caught.value.msg


def test_a_content_with_no_type_for_the_channel_fails_the_message(
    client: Any, number: str, wait_for_status: Any
) -> None:
    auth = {"whatsapp/authentication": EVERY_TYPE["whatsapp/authentication"]}
    created = _create(client, auth, variables={"1": "123456"})
    message = client.messages.create(to="+14155550199", from_=number, content_sid=created.sid)
    assert message.status == "failed"
    assert message.error_code == 63027


def test_whatsapp_authentication_template_outside_the_window(
    client: Any, number: str, wait_for_status: Any
) -> None:
    auth = {"whatsapp/authentication": EVERY_TYPE["whatsapp/authentication"]}
    created = _create(client, auth, variables={"1": "000000"})
    _approve(client, created.sid, name="login_code")
    message = client.messages.create(
        to=WA_HANDSET, from_=WA_OURS, content_sid=created.sid, content_variables='{"1": "482913"}'
    )
    assert message.body == (
        "482913 is your verification code. For your security, do not share this code. "
        "This code expires in 10 minutes."
    )
    assert wait_for_status(message.sid, "delivered").error_code is None


def test_free_form_whatsapp_without_a_conversation_fails_with_63016(
    client: Any, number: str, wait_for_status: Any, raw: Any
) -> None:
    free = client.messages.create(to=WA_HANDSET, from_=WA_OURS, body="Hello?")
    assert free.status == "queued"  # accepted by the API; the channel refuses it
    failed = wait_for_status(free.sid, "failed")
    assert failed.error_code == 63016
    unapproved = _create(client, {"twilio/text": {"body": "Hello there"}})
    sent = client.messages.create(to=WA_HANDSET, from_=WA_OURS, content_sid=unapproved.sid)
    assert wait_for_status(sent.sid, "failed").error_code == 63016
    # Once the user writes, free-form messages go out.
    inbound = raw.post("/_sim/inbound", data={"From": WA_HANDSET, "To": WA_OURS, "Body": "hi"})
    assert inbound.status_code == 201
    after = client.messages.create(to=WA_HANDSET, from_=WA_OURS, body="Hello!")
    assert wait_for_status(after.sid, "delivered").error_code is None


def test_nul_and_malformed_bodies_are_400(raw: Any) -> None:
    nul = raw.post(
        "/v1/Content", json={"language": "en", "types": {"twilio/text": {"body": "a\x00"}}}
    )
    assert (nul.status_code, nul.json()["code"]) == (400, 21000)
    broken = raw.post("/v1/Content", content=b"{", headers={"Content-Type": "application/json"})
    assert (broken.status_code, broken.json()["code"]) == (400, 21000)
    listed = raw.post("/v1/Content", json=[1, 2])
    assert listed.status_code == 400


def test_deeply_nested_json_is_400(raw: Any) -> None:
    deep: Any = "x"
    for _ in range(900):
        deep = [deep]
    response = raw.post("/v1/Content", json={"language": "en", "types": {"twilio/flows": deep}})
    assert (response.status_code, response.json()["code"]) == (400, 21000)
