"""Replaying a recorded webhook attempt: the same request again, as a new delivery.

The stored request (URL, method, form body; for an Event Streams delivery its JSON body) is
re-signed with the account's current auth
token and a fresh idempotency token, sent under the URL's connection policy, and recorded as a
``replay`` attempt. The response is recorded, not carried out: replay is for debugging a
receiver, and must not send a second round of replies.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from switchboard.domain.models import WebhookAttempt
from switchboard.ports import Store
from switchboard.signing import BODY_HASH_PARAM
from switchboard.webhooks.delivery import Deliverer, Target


class Replay:
    """Replays a recorded attempt and records the new attempts (``Services.replay``)."""

    def __init__(self, deliverer: Deliverer, store: Store) -> None:
        self._deliverer = deliverer
        self._store = store

    async def __call__(self, attempt: WebhookAttempt) -> list[WebhookAttempt]:
        # The account's token as stored now: a replay is rare, and signs with the current one.
        account = await self._store.get_account(attempt.account_sid)
        token = "" if account is None else account.auth_token
        attempts = await replay_attempt(self._deliverer, attempt, token)
        await self._store.insert_attempts(attempts)
        return attempts


async def replay_attempt(
    deliverer: Deliverer, attempt: WebhookAttempt, auth_token: str
) -> list[WebhookAttempt]:
    token = str(uuid.uuid4())  # a replay is a new delivery
    note = f"replay of {attempt.sid}"
    if attempt.kind == "event":
        # Event Streams: the same JSON body to the Sink's URL, its bodySHA256 computed afresh.
        target = Target("replay", _without_body_hash(attempt.url), attempt.method,
                        attempt.account_sid, attempt.message_sid)  # fmt: skip
        body = attempt.request_body.encode()
        return (await deliverer.deliver_json(target, body, auth_token, token, note)).attempts
    if attempt.method == "GET":
        # The parameters travelled in the query string, which prepare_webhook appends again.
        parts = urlsplit(attempt.url)
        url = urlunsplit(parts._replace(query=""))
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
    else:
        url = attempt.url
        params = dict(parse_qsl(attempt.request_body, keep_blank_values=True))
    target = Target("replay", url, attempt.method, attempt.account_sid, attempt.message_sid)
    delivery = await deliverer.deliver(target, params, auth_token, token, note=note)
    return delivery.attempts


def _without_body_hash(url: str) -> str:
    """The Sink's URL as configured: ``url`` minus the ``bodySHA256`` its request carried."""
    parts = urlsplit(url)
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not pair.startswith(f"{BODY_HASH_PARAM}=")
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))
