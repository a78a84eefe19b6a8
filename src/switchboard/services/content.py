"""Content templates (the Content API, SPEC §16): create, read, change, delete; WhatsApp
approval requests and the simulated review; what a ``ContentSid`` send carries; the WhatsApp
customer service window the carrier checks before a message goes out (SPEC §17); and what a
handset's tap on a button of a sent template sends back.

A template belongs to one account: another account's ``HX`` SID reads as not found (20404 on
the Content API, 21655 on a send). The rules themselves are domain/content.py's; this module
reads and writes the store around them.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from switchboard.domain import content as rules
from switchboard.domain.callbacks import channel_of
from switchboard.domain.errors import NotFound, TwilioError
from switchboard.domain.models import (
    Account,
    Content,
    ContentApproval,
    Direction,
    Message,
)
from switchboard.domain.phone import Address, Channel
from switchboard.domain.sids import SidPrefix, is_sid
from switchboard.ports import Page, PageRequest, Store
from switchboard.services.runtime import Runtime

# What an outbound message sent from a template records in ``Message.extra``: the template, the
# type sent, its fields as the handset shows them and the placeholders' values.
CONTENT_SID: Final = "ContentSid"
CONTENT_TYPE: Final = "ContentType"
CONTENT: Final = "Content"
CONTENT_VARIABLES: Final = "ContentVariables"

REPLIED_SID: Final = "OriginalRepliedMessageSid"
REPLIED_SENDER: Final = "OriginalRepliedMessageSender"


@dataclass(frozen=True, slots=True)
class TemplateSend:
    """What a ``ContentSid`` send carries: the message's body, media and ``extra``; or the
    error it fails with at once (``refusal``: 63027, no type the channel can show)."""

    body: str
    media_urls: list[str]
    extra: dict[str, str]
    refusal: int | None = None


def sent_content(message: Message) -> tuple[str, dict[str, Any]] | None:
    """The type and the filled fields of the template ``message`` was sent from, if any."""
    kind = message.extra.get(CONTENT_TYPE)
    payload = message.extra.get(CONTENT)
    if kind is None or payload is None:
        return None
    return kind, json.loads(payload)


def _text(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise TwilioError(21000, f"{name} is required")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise TwilioError(21000, f"{name} must be a non-empty string" if required else
                          f"{name} must be a string")  # fmt: skip
    return value


class ContentService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    # The Content API -------------------------------------------------------------------------

    async def create(self, account: Account, body: Mapping[str, Any]) -> Content:
        language = _text(body, "language", required=True)
        assert language is not None
        now = self._rt.clock.now()
        content = Content(
            sid=self._rt.new_sid(SidPrefix.CONTENT),
            account_sid=account.sid,
            friendly_name=_text(body, "friendly_name") or "",
            language=language,
            variables=rules.clean_variables(body.get("variables")),
            types=rules.clean_types(body.get("types")),
            date_created=now,
            date_updated=now,
        )
        await self._rt.store.insert_content(content)
        return content

    async def get(self, account: Account, sid: str) -> Content:
        found = None
        if is_sid(sid, SidPrefix.CONTENT):
            found = await self._rt.store.get_content(account.sid, sid)
        if found is None:
            raise NotFound()
        return found

    async def list(self, account: Account, page: PageRequest) -> Page[Content]:
        return await self._rt.store.list_contents(account.sid, page)

    async def update(self, account: Account, sid: str, body: Mapping[str, Any]) -> Content:
        """PUT: ``types`` replaced; ``friendly_name``, ``language``, ``variables`` when given."""
        content = await self.get(account, sid)
        types = rules.clean_types(body.get("types"))
        changed = dataclasses.replace(
            content,
            types=types,
            friendly_name=_text(body, "friendly_name") or content.friendly_name,
            language=_text(body, "language") or content.language,
            variables=(
                rules.clean_variables(body["variables"])
                if body.get("variables") is not None
                else content.variables
            ),
            date_updated=self._rt.clock.now(),
        )
        if not await self._rt.store.update_content(changed):
            raise NotFound()
        return changed

    async def delete(self, account: Account, sid: str) -> None:
        await self.get(account, sid)
        if not await self._rt.store.delete_content(account.sid, sid):
            raise NotFound()

    async def with_approvals(
        self, contents: Sequence[Content]
    ) -> builtins.list[tuple[Content, ContentApproval | None]]:
        found = await self._rt.store.list_content_approvals([c.sid for c in contents])
        by_sid = {a.content_sid: a for a in found}
        return [(c, by_sid.get(c.sid)) for c in contents]

    # WhatsApp approval -----------------------------------------------------------------------

    async def request_approval(
        self, account: Account, sid: str, body: Mapping[str, Any]
    ) -> ContentApproval:
        """Submit the template; decided at once unless approval is manual (config.py)."""
        content = await self.get(account, sid)
        name, category, kind = rules.check_approval_request(
            content, body.get("name"), body.get("category")
        )
        now = self._rt.clock.now()
        status, reason = rules.RECEIVED, ""
        if self._rt.config.content_approval == "auto":
            problem = rules.approval_problem(content, kind)
            status, reason = (rules.REJECTED, problem) if problem else (rules.APPROVED, "")
        approval = ContentApproval(
            content_sid=content.sid,
            account_sid=account.sid,
            name=name,
            category=category,
            content_type=kind,
            status=status,
            rejection_reason=reason,
            date_created=now,
            date_updated=now,
        )
        if not await self._rt.store.save_content_approval(approval):
            raise NotFound()  # deleted meanwhile
        return approval

    async def approval(self, account: Account, sid: str) -> tuple[Content, ContentApproval | None]:
        content = await self.get(account, sid)
        return content, await self._rt.store.get_content_approval(account.sid, sid)

    async def decide(
        self, account_sids: Sequence[str], sid: str, status: str | None, reason: str | None
    ) -> tuple[Content, ContentApproval]:
        """The simulated review (``POST /_sim/content/{ContentSid}/approval``): approve or
        reject a template of the caller's scope. A template never submitted is submitted
        first, named after it, in the UTILITY category."""
        if status not in rules.DECISIONS:
            raise TwilioError(21000, f"Status must be approved or rejected, not {status!r}")
        content = None
        if is_sid(sid, SidPrefix.CONTENT):
            for account_sid in account_sids:
                content = await self._rt.store.get_content(account_sid, sid)
                if content is not None:
                    break
        if content is None:
            raise NotFound()
        store, now = self._rt.store, self._rt.clock.now()
        approval = await store.get_content_approval(content.account_sid, sid)
        if approval is None:
            kind = rules.type_for(content.types, Channel.WHATSAPP) or next(iter(content.types))
            approval = ContentApproval(
                content_sid=sid,
                account_sid=content.account_sid,
                name=_template_name(content),
                category="UTILITY",
                content_type=kind,
                status=rules.RECEIVED,
                rejection_reason="",
                date_created=now,
                date_updated=now,
            )
        rejection = (
            (reason or "Rejected by the simulated review.") if status == rules.REJECTED else ""
        )
        approval = dataclasses.replace(
            approval, status=status, rejection_reason=rejection, date_updated=now
        )
        if not await store.save_content_approval(approval):
            raise NotFound()
        return content, approval

    # Sending ------------------------------------------------------------------------------------

    async def for_message(
        self,
        account: Account,
        content_sid: str | None,
        variables: str | None,
        body: str | None,
        to: Address,
    ) -> TemplateSend | None:
        """What a Messages create with ``ContentSid``/``ContentVariables`` sends (None: no
        template); Twilio's request errors (21654, 21655, 21656, 35127) otherwise."""
        if not content_sid:
            if variables:
                raise TwilioError(21654, "ContentVariables was given without a ContentSid")
            return None
        if variables and body:
            raise TwilioError(35127)
        content = None
        if is_sid(content_sid, SidPrefix.CONTENT):
            content = await self._rt.store.get_content(account.sid, content_sid)
        if content is None:
            raise TwilioError(21655, f"The ContentSid {content_sid} is invalid")
        given = rules.parse_content_variables(variables)
        try:
            shown = rules.render(content, given, to.channel)
        except TwilioError as error:
            if error.code != rules.NO_TRANSLATION:
                raise
            return TemplateSend("", [], {CONTENT_SID: content.sid}, refusal=error.code)
        extra = {
            CONTENT_SID: content.sid,
            CONTENT_TYPE: shown.content_type,
            CONTENT: json.dumps(shown.payload, separators=(",", ":")),
            CONTENT_VARIABLES: json.dumps(shown.variables, separators=(",", ":")),
        }
        return TemplateSend(shown.body, shown.media, extra)

    async def window_refusal(self, message: Message) -> int | None:
        """63016 when the WhatsApp customer service window does not allow ``message`` now."""
        if message.direction is Direction.INBOUND or channel_of(message.to) is not Channel.WHATSAPP:
            return None
        store = self._rt.store
        approved = False
        content_sid = message.extra.get(CONTENT_SID)
        if content_sid is not None:
            approval = await store.get_content_approval(message.account_sid, content_sid)
            approved = approval is not None and approval.status == rules.APPROVED
        last = await store.last_inbound(message.account_sid, message.to, message.from_ or "")
        return rules.window_refusal(
            last_inbound=last,
            now=self._rt.clock.now(),
            content_type=message.extra.get(CONTENT_TYPE),
            approved=approved,
        )


def _template_name(content: Content) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in content.friendly_name.lower())
    return cleaned.strip("_")[:512] or content.sid.lower()


async def reply_context(
    store: Store,
    account_sid: str,
    handset: Address,
    number: Address,
    extras: Mapping[str, str],
    body: str,
) -> tuple[dict[str, str], str]:
    """The extras and body of a handset's message that answers one of ours
    (``OriginalRepliedMessageSid``), tapping one of its buttons or list items when it names
    one (``ButtonPayload``): the label becomes ``Body`` and ``ButtonText``, the kind
    ``ButtonType`` (SPEC §16.8). A message that is not ours to that handset, or an id its
    content does not have, is refused (21000)."""
    fields = dict(extras)
    sid = fields[REPLIED_SID]
    original = await store.get_message(account_sid, sid)
    if (
        original is None
        or original.direction is Direction.INBOUND
        or original.to != handset.value
        or original.from_ != number.value
    ):
        raise TwilioError(
            21000,
            f"OriginalRepliedMessageSid {sid} is not a message from {number.value} to "
            f"{handset.value}",
        )
    fields[REPLIED_SENDER] = original.from_ or ""
    button = fields.get("ButtonPayload")
    if button is None:
        return fields, body
    sent = sent_content(original)
    if sent is None:
        raise TwilioError(21000, f"Message {sid} was not sent from a template: it has no buttons")
    tap = rules.find_tap(*sent, button)
    fields.update(ButtonText=tap.text, ButtonType=tap.button_type)
    return fields, tap.text
