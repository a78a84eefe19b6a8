"""List paging: 2010-04-01 ``*_page_uri`` envelopes and Messaging v1 ``meta`` (SPEC §6.4, §12)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from switchboard.testing import TEST_ACCOUNT_SID

RECIPIENT = "+14155550199"


def _send_seven(client: Any, number: str) -> list[str]:
    return [
        client.messages.create(to=RECIPIENT, from_=number, body=f"message {i}").sid
        for i in range(7)
    ]


def test_list_reads_every_page_newest_first(client: Any, number: str, recorder: Any) -> None:
    sent = _send_seven(client, number)

    listed = client.messages.list(page_size=3)
    assert [m.sid for m in listed] == sent[::-1]
    pages = [ex for ex in recorder.exchanges if ex.method == "GET" and "Messages.json" in ex.url]
    assert len(pages) == 3  # 3 + 3 + 1, following next_page_uri
    assert [m.sid for m in client.messages.list(page_size=3, limit=5)] == sent[::-1][:5]
    assert [m.sid for m in client.messages.stream(page_size=2)] == sent[::-1]


def test_page_then_next_page_twice(client: Any, number: str) -> None:
    newest_first = _send_seven(client, number)[::-1]

    first = client.messages.page(page_size=3)
    second = first.next_page()
    third = second.next_page()

    assert [m.sid for m in first] == newest_first[0:3]
    assert [m.sid for m in second] == newest_first[3:6]
    assert [m.sid for m in third] == newest_first[6:7]
    assert third.next_page() is None


def test_raw_envelopes_across_three_pages(raw: Any, account_path: str, number: str) -> None:
    for i in range(7):
        raw.post(
            f"{account_path}/Messages.json", data={"To": RECIPIENT, "From": number, "Body": str(i)}
        )
    path = f"{account_path}/Messages.json"

    bodies = [raw.get(path, params={"PageSize": 3}).json()]
    while bodies[-1]["next_page_uri"] is not None:
        assert len(bodies) < 5, "paging does not end"
        next_uri = bodies[-1]["next_page_uri"]
        assert next_uri.startswith(f"/2010-04-01/Accounts/{TEST_ACCOUNT_SID}/Messages.json?")
        bodies.append(raw.get(next_uri).json())

    assert [len(b["messages"]) for b in bodies] == [3, 3, 1]
    assert [b["page"] for b in bodies] == [0, 1, 2]
    assert [b["page_size"] for b in bodies] == [3, 3, 3]
    assert [(b["start"], b["end"]) for b in bodies] == [(0, 2), (3, 5), (6, 6)]
    assert bodies[-1]["next_page_uri"] is None
    for body in bodies:
        assert body["first_page_uri"].startswith("/2010-04-01/")
        assert body["uri"].startswith("/2010-04-01/")
        first = parse_qs(urlsplit(body["first_page_uri"]).query)
        assert first["PageSize"] == ["3"]
        assert first["Page"] == ["0"]
        assert set(body) == {
            "end", "first_page_uri", "next_page_uri", "page", "page_size",
            "previous_page_uri", "start", "uri", "messages",
        }  # fmt: skip
    sids = [m["sid"] for b in bodies for m in b["messages"]]
    assert len(set(sids)) == 7


def test_next_page_uri_keeps_the_filters(raw: Any, account_path: str, number: str) -> None:
    for to in (RECIPIENT, "+14155550198", RECIPIENT, RECIPIENT):
        raw.post(f"{account_path}/Messages.json", data={"To": to, "From": number, "Body": "x"})

    first = raw.get(f"{account_path}/Messages.json", params={"To": RECIPIENT, "PageSize": 2}).json()
    assert parse_qs(urlsplit(first["next_page_uri"]).query)["To"] == [RECIPIENT]
    second = raw.get(first["next_page_uri"]).json()
    assert [m["to"] for m in first["messages"] + second["messages"]] == [RECIPIENT] * 3
    assert second["next_page_uri"] is None


def test_paging_is_stable_when_messages_arrive(client: Any, number: str) -> None:
    newest_first = _send_seven(client, number)[::-1]
    first = client.messages.page(page_size=3)
    client.messages.create(to=RECIPIENT, from_=number, body="late arrival")
    second = first.next_page()
    assert [m.sid for m in second] == newest_first[3:6]


def test_empty_list(raw: Any, account_path: str) -> None:
    body = raw.get(f"{account_path}/Messages.json").json()
    assert body["messages"] == []
    assert body["next_page_uri"] is None
    assert body["page"] == 0
    assert body["page_size"] == 50


def test_other_2010_lists_page_too(client: Any) -> None:
    created = [
        client.incoming_phone_numbers.create(phone_number=f"+1415555012{i}").sid for i in range(5)
    ]
    assert [n.sid for n in client.incoming_phone_numbers.list(page_size=2)] == created
    keys = [client.new_keys.create(friendly_name=f"k{i}").sid for i in range(4)]
    assert [k.sid for k in client.keys.list(page_size=3)] == keys
    subs = [client.api.accounts.create(friendly_name=f"s{i}").sid for i in range(3)]
    assert [a.sid for a in client.api.accounts.list(page_size=2)] == [TEST_ACCOUNT_SID, *subs]


def test_v1_services_across_three_pages(client: Any, raw: Any, server: Any) -> None:
    created = [client.messaging.v1.services.create(friendly_name=f"s{i}").sid for i in range(7)]

    assert [s.sid for s in client.messaging.v1.services.list(page_size=3)] == created
    first = client.messaging.v1.services.page(page_size=3)
    second = first.next_page()
    third = second.next_page()
    assert [len(list(p)) for p in (first, second, third)] == [3, 3, 1]
    assert third.next_page() is None

    bodies = [raw.get("/v1/Services", params={"PageSize": 3}).json()]
    while bodies[-1]["meta"]["next_page_url"] is not None:
        assert len(bodies) < 5, "paging does not end"
        next_url = bodies[-1]["meta"]["next_page_url"]
        assert next_url.startswith(f"{server.base_url}/v1/Services?")
        bodies.append(raw.get(next_url).json())
    assert [len(b["services"]) for b in bodies] == [3, 3, 1]
    assert [b["meta"]["page"] for b in bodies] == [0, 1, 2]
    assert {b["meta"]["key"] for b in bodies} == {"services"}
    assert {b["meta"]["page_size"] for b in bodies} == {3}
    assert [s["sid"] for b in bodies for s in b["services"]] == created
    for body in bodies:
        assert set(body) == {"meta", "services"}
        assert body["meta"]["first_page_url"].startswith(f"{server.base_url}/v1/Services?")


def test_v1_service_phone_numbers_page(client: Any) -> None:
    service = client.messaging.v1.services.create(friendly_name="pool")
    pool = client.messaging.v1.services(service.sid).phone_numbers
    sids = []
    for i in range(5):
        number = client.incoming_phone_numbers.create(phone_number=f"+1415555013{i}")
        pool.create(phone_number_sid=number.sid)
        sids.append(number.sid)
    assert [entry.sid for entry in pool.list(page_size=2)] == sids
