"""Content templates (SPEC §16) and the WhatsApp customer service window (SPEC §17). Pure.

* **Types.** :func:`clean_types` checks a template's ``types`` as Twilio's Content API does:
  only known content types, each an object with its required fields, no unknown field
  (``additionalProperties: false`` on every type), the documented counts and lengths. ``null``
  members count as absent (the official SDKs send every member of their request classes,
  unset ones as ``null``) and are not stored.
* **Placeholders.** ``{{1}}``, ``{{name}}`` in any string of a type. At send time
  :func:`render` fills them from ``ContentVariables`` over the template's ``variables``
  (defaults), and refuses what Twilio refuses with 21656 (SPEC §16.5): a malformed or empty
  placeholder, a value that is missing, null or empty, a body value with a newline, a tab or
  more than four spaces in a row.
* **What is sent.** The most complex type the recipient's channel supports (SPEC §16.3); SMS
  takes ``twilio/media`` (an MMS) or ``twilio/text``, and else the ``body`` of a richer type as
  plain text ("Twilio automatically defaults to a text message"); with none of these the
  content cannot go to that channel (63027, chosen: docs/whatsapp.md).
* **Approval.** :func:`approval_problem` is WhatsApp's review as far as its rules are
  published: a body may not start or end with a placeholder, two placeholders may not be side by
  side, every placeholder needs a sample value (SPEC §16.6).
* **The window.** :func:`window_refusal`: a WhatsApp message that is not an approved template
  goes out only within 24 hours of the user's last message; ``twilio/list-picker`` and
  ``twilio/location`` never start a conversation (63016).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from switchboard.domain.errors import TwilioError
from switchboard.domain.models import Content
from switchboard.domain.phone import Channel

WINDOW: Final = timedelta(hours=24)
OUTSIDE_WINDOW: Final = 63016
NO_TRANSLATION: Final = 63027
BAD_VARIABLES: Final = 21656
MAX_VARIABLES: Final = 100  # ContentVariables pairs per request (SPEC §16.5)

# Approval statuses (SPEC §16.4; ``received`` until the simulated review decides).
UNSUBMITTED: Final = "unsubmitted"
RECEIVED: Final = "received"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
DECISIONS: Final = frozenset({APPROVED, REJECTED})
CATEGORIES: Final = frozenset({"UTILITY", "MARKETING", "AUTHENTICATION"})
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")

# Types that cannot open a business-initiated conversation (ERR-63016 lists these two).
SESSION_ONLY: Final = frozenset({"twilio/list-picker", "twilio/location"})
NOT_SUBMITTABLE: Final = frozenset({"twilio/list-picker"})  # "cannot be submitted for approval"

# Richest first: what a channel sends when a template has several types (SPEC §16.3).
_RICH_ORDER: Final = (
    "whatsapp/authentication",
    "whatsapp/flows",
    "twilio/flows",
    "twilio/carousel",
    "twilio/catalog",
    "whatsapp/card",
    "twilio/card",
    "twilio/list-picker",
    "twilio/call-to-action",
    "twilio/quick-reply",
    "twilio/schedule",
    "twilio/location",
    "twilio/media",
    "twilio/text",
)
_PLAIN: Final = ("twilio/media", "twilio/text")
_CHANNEL_TYPES: Final[Mapping[Channel, tuple[str, ...]]] = {
    Channel.WHATSAPP: _RICH_ORDER,
    Channel.RCS: tuple(t for t in _RICH_ORDER if not t.startswith("whatsapp/")),
    Channel.MESSENGER: tuple(
        t for t in _RICH_ORDER if t in ("twilio/card", "twilio/quick-reply", *_PLAIN)
    ),
    Channel.SMS: _PLAIN,
}


def _invalid(message: str) -> TwilioError:
    return TwilioError(21000, message)


# --- The types -------------------------------------------------------------------------------

# A field's kind: "str", "number", "bool", "strs" (a list of strings), or the name of a list of
# objects in _LISTS.
_STR, _NUMBER, _BOOL, _STRS = "str", "number", "bool", "strs"


@dataclass(frozen=True, slots=True)
class _Shape:
    fields: Mapping[str, str]
    required: frozenset[str] = frozenset()
    # (field, most, longest): at most ``most`` entries / characters.
    limits: tuple[tuple[str, int], ...] = ()


def _shape(fields: Mapping[str, str], *required: str, **limits: int) -> _Shape:
    return _Shape(fields, frozenset(required), tuple(limits.items()))


_CALL_TYPES = frozenset({"URL", "PHONE_NUMBER", "COPY_CODE", "VOICE_CALL", "VOICE_CALL_REQUEST"})
_CARD_TYPES = frozenset({"URL", "PHONE_NUMBER", "QUICK_REPLY", "COPY_CODE", "VOICE_CALL"})
_CAROUSEL_TYPES = frozenset({"URL", "PHONE_NUMBER", "QUICK_REPLY"})
_WEBVIEW = frozenset({"TALL", "FULL", "HALF", "NONE"})

# List items: (shape, allowed ``type`` values or None when the item has no type, least, most).
_LISTS: Final[Mapping[str, tuple[_Shape, frozenset[str] | None, int, int]]] = {
    "quick_reply_actions": (
        _shape({"type": _STR, "title": _STR, "id": _STR}, "title"),
        frozenset({"QUICK_REPLY"}),
        1,
        10,
    ),
    "call_actions": (
        _shape(
            {"type": _STR, "title": _STR, "url": _STR, "phone": _STR, "code": _STR, "id": _STR},
            "type",
            "title",
        ),
        _CALL_TYPES,
        1,
        10,
    ),
    "card_actions": (
        _shape(
            {
                "type": _STR,
                "title": _STR,
                "url": _STR,
                "phone": _STR,
                "id": _STR,
                "code": _STR,
                "webview_size": _STR,
            },
            "type",
            "title",
        ),
        _CARD_TYPES,
        0,
        10,
    ),
    "carousel_actions": (
        _shape({"type": _STR, "title": _STR, "url": _STR, "phone": _STR, "id": _STR}, "type"),
        _CAROUSEL_TYPES,
        1,
        10,
    ),
    "auth_actions": (
        _shape({"type": _STR, "copy_code_text": _STR}, "type", "copy_code_text"),
        frozenset({"COPY_CODE"}),
        1,
        1,
    ),
    "list_items": (
        _shape(
            {"id": _STR, "item": _STR, "description": _STR},
            "id",
            "item",
            id=200,
            item=24,
            description=72,
        ),
        None,
        1,
        10,
    ),
    "carousel_cards": (
        _shape(
            {"title": _STR, "body": _STR, "media": _STRS, "actions": "carousel_actions"},
            "body",
            "media",
            "actions",
        ),
        None,
        1,
        10,
    ),
}

# The types switchboard checks member by member; the others (catalog, flows, schedule) are
# checked to be objects and kept as given.
_TYPES: Final[Mapping[str, _Shape]] = {
    "twilio/text": _shape({"body": _STR}, "body", body=1600),
    "twilio/media": _shape({"body": _STR, "media": _STRS}, "media", body=1600, media=10),
    "twilio/location": _shape(
        {"latitude": _NUMBER, "longitude": _NUMBER, "label": _STR, "id": _STR, "address": _STR},
        "latitude",
        "longitude",
    ),
    "twilio/quick-reply": _shape(
        {"body": _STR, "actions": "quick_reply_actions"}, "body", "actions", body=1024
    ),
    "twilio/call-to-action": _shape(
        {"body": _STR, "actions": "call_actions"}, "body", "actions", body=1024
    ),
    "twilio/list-picker": _shape(
        {"body": _STR, "button": _STR, "items": "list_items"},
        "body",
        "button",
        "items",
        body=1024,
    ),
    "twilio/card": _shape(
        {"title": _STR, "subtitle": _STR, "media": _STRS, "actions": "card_actions"}, "title"
    ),
    "whatsapp/card": _shape(
        {
            "body": _STR,
            "footer": _STR,
            "media": _STRS,
            "header_text": _STR,
            "actions": "card_actions",
        },
        "body",
        body=1024,
    ),
    "whatsapp/authentication": _shape(
        {
            "add_security_recommendation": _BOOL,
            "code_expiration_minutes": _NUMBER,
            "actions": "auth_actions",
        },
        "actions",
    ),
    "twilio/carousel": _shape({"body": _STR, "cards": "carousel_cards"}, "body", "cards"),
}
_LOOSE_TYPES: Final = frozenset(
    {"twilio/catalog", "twilio/flows", "twilio/schedule", "whatsapp/flows"}
)
KNOWN_TYPES: Final = frozenset(_TYPES) | _LOOSE_TYPES


def without_nulls(value: Any) -> Any:
    """``value`` with every ``null`` object member left out, at any depth."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def clean_types(raw: Any) -> dict[str, dict[str, Any]]:
    """``types`` as stored: checked, without nulls; 21000 naming the first problem."""
    if not isinstance(raw, dict):
        raise _invalid("types is required and must be an object keyed by content type")
    types: dict[str, dict[str, Any]] = without_nulls(raw)
    if not types:
        raise _invalid("types must hold at least one content type")
    for name, value in types.items():
        if name not in KNOWN_TYPES:
            known = ", ".join(sorted(KNOWN_TYPES))
            raise _invalid(f"types: unknown content type {name!r} (known: {known})")
        if not isinstance(value, dict):
            raise _invalid(f"types.{name} must be an object")
        if name in _TYPES:
            _check(value, _TYPES[name], f"types.{name}")
    card = types.get("twilio/card")
    if card is not None and len(card) < 2:
        raise _invalid("types.twilio/card needs a title and at least one other field")
    return types


def _check(value: dict[str, Any], shape: _Shape, where: str) -> None:
    for name in value:
        if name not in shape.fields:
            raise _invalid(f"{where}: unknown field {name!r}")
    for name in sorted(shape.required):
        if name not in value or value[name] == "":
            raise _invalid(f"{where}.{name} is required")
    for name, kind in shape.fields.items():
        if name in value:
            _check_field(value[name], kind, f"{where}.{name}")
    for name, most in shape.limits:
        if name in value and len(value[name]) > most:
            unit = "entries" if isinstance(value[name], list) else "characters"
            raise _invalid(f"{where}.{name} has more than {most} {unit}")


def _check_field(value: Any, kind: str, where: str) -> None:
    if kind == _STR:
        if not isinstance(value, str):
            raise _invalid(f"{where} must be a string")
    elif kind == _NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid(f"{where} must be a number")
    elif kind == _BOOL:
        if not isinstance(value, bool):
            raise _invalid(f"{where} must be true or false")
    elif kind == _STRS:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _invalid(f"{where} must be a list of strings")
    else:
        shape, allowed, least, most = _LISTS[kind]
        if not isinstance(value, list) or not least <= len(value) <= most:
            raise _invalid(f"{where} must be a list of {least} to {most} entries")
        for index, item in enumerate(value):
            at = f"{where}[{index}]"
            if not isinstance(item, dict):
                raise _invalid(f"{at} must be an object")
            _check(item, shape, at)
            if allowed is not None and "type" in item and item["type"] not in allowed:
                choices = ", ".join(sorted(allowed))
                raise _invalid(f"{at}.type must be one of {choices}, not {item['type']!r}")
            if item.get("webview_size", "NONE") not in _WEBVIEW:
                raise _invalid(f"{at}.webview_size must be one of {', '.join(sorted(_WEBVIEW))}")


def clean_variables(raw: Any) -> dict[str, str]:
    """A template's ``variables``: an object of strings (null: none)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise _invalid("variables must be an object whose values are strings")
    return dict(raw)


# --- Placeholders and sending ----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
_NAME = re.compile(r"[A-Za-z0-9_]+")
_BODY_VALUE_BAD = re.compile(r"[\n\t]| {5,}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def placeholders(text: str) -> list[str]:
    """The placeholder names in ``text``, in order; 21656 for a malformed or empty one."""
    names = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1).strip()
        if not _NAME.fullmatch(name):
            raise TwilioError(BAD_VARIABLES, f"The placeholder {match.group(0)!r} is not valid")
        names.append(name)
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise TwilioError(BAD_VARIABLES, f"A placeholder in {text[:80]!r} is not closed")
    return names


def parse_content_variables(raw: str | None) -> dict[str, str]:
    """``ContentVariables``: a JSON object string of placeholder names to values (21656)."""
    if raw is None or raw.strip() == "":
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise TwilioError(BAD_VARIABLES, "ContentVariables must be a JSON object string") from None
    if not isinstance(data, dict):
        raise TwilioError(BAD_VARIABLES, "ContentVariables must be a JSON object string")
    if len(data) > MAX_VARIABLES:
        raise TwilioError(BAD_VARIABLES, f"ContentVariables has more than {MAX_VARIABLES} pairs")
    values: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TwilioError(BAD_VARIABLES, f"ContentVariables {name!r} must be a string")
        values[str(name)] = str(value)
    return values


@dataclass(frozen=True, slots=True)
class Rendered:
    """A template as one message shows it: the type sent, its fields with the placeholders
    filled, and what the Message resource records (``body``, media URLs)."""

    content_type: str
    payload: dict[str, Any]
    body: str
    media: list[str]
    variables: dict[str, str]  # every value the placeholders took


def type_for(types: Mapping[str, Any], channel: Channel) -> str | None:
    """The content type a message on ``channel`` carries (None: the channel cannot show it)."""
    for name in _CHANNEL_TYPES.get(channel, _PLAIN):
        if name in types:
            return name
    if channel is not Channel.WHATSAPP:
        for name in _RICH_ORDER:
            if isinstance(types.get(name), dict) and types[name].get("body"):
                return name  # shown as its body text ("defaults to a text message")
    return None


def render(content: Content, given: Mapping[str, str], channel: Channel) -> Rendered:
    """What a send of ``content`` with ``ContentVariables`` ``given`` to ``channel`` shows."""
    chosen = type_for(content.types, channel)
    if chosen is None:
        raise TwilioError(
            NO_TRANSLATION,
            f"Content {content.sid} has no content type that the {channel.value} channel can show",
        )
    payload = content.types[chosen]
    values = {**content.variables, **given}
    used: dict[str, str] = {}
    body_names = (
        set(placeholders(payload["body"])) if isinstance(payload.get("body"), str) else set()
    )
    for text in _strings(payload):
        for name in placeholders(text):
            value = values.get(name)
            if value is None or value == "":
                raise TwilioError(
                    BAD_VARIABLES,
                    f"ContentVariables has no value for {{{{{name}}}}} and the template has "
                    "no default for it",
                )
            if name in body_names and _BODY_VALUE_BAD.search(value):
                raise TwilioError(
                    BAD_VARIABLES,
                    f"The value of {{{{{name}}}}} has a newline, a tab or more than 4 spaces "
                    "in a row",
                )
            used[name] = value
    if chosen == "whatsapp/authentication":  # the code is {{1}}, though no field names it
        if not values.get("1"):
            raise TwilioError(BAD_VARIABLES, "ContentVariables has no code for {{1}}")
        used["1"] = values["1"]
    filled = _fill(payload, used)
    media = list(filled.get("media") or []) if chosen != "twilio/carousel" else []
    if channel is Channel.SMS and chosen not in _PLAIN:
        media = []  # a rich type on SMS goes as its body text
    return Rendered(chosen, filled, _body(chosen, filled, used), media, used)


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1).strip()], value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def _body(content_type: str, payload: Mapping[str, Any], values: Mapping[str, str]) -> str:
    """The Message ``body`` of a send (SPEC §16.7, inferred): the type's text."""
    if isinstance(payload.get("body"), str):
        return str(payload["body"])
    if content_type == "twilio/card":
        return "\n".join(str(payload[k]) for k in ("title", "subtitle") if payload.get(k))
    if content_type == "twilio/location":
        return str(payload.get("label") or payload.get("address") or "")
    if content_type == "whatsapp/authentication":
        # WhatsApp writes an authentication template's text itself around the code ({{1}}).
        text = f"{values.get('1', '')} is your verification code."
        if payload.get("add_security_recommendation"):
            text += " For your security, do not share this code."
        if payload.get("code_expiration_minutes") is not None:
            text += f" This code expires in {payload['code_expiration_minutes']:g} minutes."
        return text
    return ""


# --- Interactive replies ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tap:
    """What the handset sends when the user taps a button or picks a list item."""

    payload: str  # ButtonPayload: the button's or item's id
    text: str  # ButtonText (and Body): its visible label
    button_type: str  # ButtonType: REPLY (quick replies, list items) or ACTION (other buttons)


def tappable(content_type: str, payload: Mapping[str, Any]) -> list[Tap]:
    """The buttons and list items of a sent type that a user can tap, by id."""
    taps: list[Tap] = []
    if content_type == "twilio/list-picker":
        for item in payload.get("items", []):
            taps.append(Tap(str(item["id"]), str(item["item"]), "REPLY"))
    actions = list(payload.get("actions", []))
    for card in payload.get("cards", []):
        actions.extend(card.get("actions", []))
    for action in actions:
        key = action.get("id")
        if key is None:
            # A quick reply without an id posts back its title (Twilio's docs: id optional).
            key = (
                action.get("title") if action.get("type", "QUICK_REPLY") == "QUICK_REPLY" else None
            )
        if key is None or "title" not in action:
            continue
        kind = "REPLY" if action.get("type", "QUICK_REPLY") == "QUICK_REPLY" else "ACTION"
        taps.append(Tap(str(key), str(action["title"]), kind))
    return taps


def find_tap(content_type: str, payload: Mapping[str, Any], button: str) -> Tap:
    """The button or list item ``button`` names; 21000 naming the ids there are."""
    taps = tappable(content_type, payload)
    for tap in taps:
        if tap.payload == button:
            return tap
    ids = ", ".join(repr(t.payload) for t in taps) or "none"
    raise _invalid(
        f"ButtonPayload {button!r} is not a button or list item of that message "
        f"({content_type}; ids: {ids})"
    )


# --- Approval and the window -----------------------------------------------------------------


def check_approval_request(content: Content, name: Any, category: Any) -> tuple[str, str, str]:
    """The approval request's name and category, and the type it submits (21000 otherwise)."""
    if not isinstance(name, str) or not name:
        raise _invalid("name is required")
    if not _TEMPLATE_NAME.fullmatch(name):
        raise _invalid(f"name {name!r} may hold only lower-case letters, digits and underscores")
    if not isinstance(category, str) or not category:
        raise _invalid("category is required")
    if category.upper() not in CATEGORIES:
        raise _invalid(f"category must be one of {', '.join(sorted(CATEGORIES))}")
    submitted = type_for(content.types, Channel.WHATSAPP)
    if submitted is None or submitted in NOT_SUBMITTABLE:
        raise _invalid(f"A {submitted} content cannot be submitted for WhatsApp approval")
    return name, category.upper(), submitted


def approval_problem(content: Content, content_type: str) -> str | None:
    """Why WhatsApp's review would reject the template (None: it passes)."""
    payload = content.types[content_type]
    body = payload.get("body")
    if isinstance(body, str):
        stripped = body.strip()
        if stripped.startswith("{{") or stripped.endswith("}}"):
            return "The body may not start or end with a variable."
        if re.search(r"\}\}\s*\{\{", body):
            return "The body may not have two variables side by side."
    for text in _strings(payload):
        for name in placeholders(text):
            if not content.variables.get(name):
                return f"The variable {{{{{name}}}}} has no sample value."
    return None


def window_refusal(
    *, last_inbound: datetime | None, now: datetime, content_type: str | None, approved: bool
) -> int | None:
    """63016 for a WhatsApp message the customer service window does not allow, else None.

    An approved template may open a conversation, unless its type cannot; anything else needs
    the user's last message within the past 24 hours."""
    if approved and content_type not in SESSION_ONLY:
        return None
    if last_inbound is not None and now - last_inbound <= WINDOW:
        return None
    return OUTSIDE_WINDOW
