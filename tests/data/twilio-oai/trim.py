"""Rebuild the trimmed OpenAPI copies in this folder from Twilio's full specs.

Usage: python tests/data/twilio-oai/trim.py /path/to/twilio-oai/spec/json [one-file.json]

Keeps only the paths switchboard serves (every operation on them, with its parameters, request
body and responses) and the component schemas they reference, transitively. Nothing else is
changed, so each kept operation is byte-for-byte Twilio's contract for that operation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

KEEP = {
    "twilio_api_v2010.json": [
        "/2010-04-01/Accounts.json",
        "/2010-04-01/Accounts/{Sid}.json",
        "/2010-04-01/Accounts/{AccountSid}/Keys.json",
        "/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json",
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
        "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media.json",
        "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json",
        "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Feedback.json",
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
        "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
        "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes.json",
        "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes/{Sid}.json",
    ],
    "twilio_messaging_v1.json": [
        "/v1/Services",
        "/v1/Services/{Sid}",
        "/v1/Services/{ServiceSid}/PhoneNumbers",
        "/v1/Services/{ServiceSid}/PhoneNumbers/{Sid}",
        "/v1/Services/{ServiceSid}/ShortCodes",
        "/v1/Services/{ServiceSid}/ShortCodes/{Sid}",
        "/v1/Services/{ServiceSid}/AlphaSenders",
        "/v1/Services/{ServiceSid}/AlphaSenders/{Sid}",
        "/v1/Services/{ServiceSid}/DestinationAlphaSenders",
        "/v1/Services/{ServiceSid}/DestinationAlphaSenders/{Sid}",
        "/v1/Services/{MessagingServiceSid}/ChannelSenders",
        "/v1/Services/{MessagingServiceSid}/ChannelSenders/{Sid}",
    ],
    "twilio_events_v1.json": [
        "/v1/Types",
        "/v1/Types/{Type}",
        "/v1/Schemas/{Id}",
        "/v1/Schemas/{Id}/Versions",
        "/v1/Schemas/{Id}/Versions/{SchemaVersion}",
        "/v1/Sinks",
        "/v1/Sinks/{Sid}",
        "/v1/Sinks/{Sid}/Test",
        "/v1/Sinks/{Sid}/Validate",
        "/v1/Subscriptions",
        "/v1/Subscriptions/{Sid}",
        "/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents",
        "/v1/Subscriptions/{SubscriptionSid}/SubscribedEvents/{Type}",
    ],
    "twilio_content_v1.json": [
        "/v1/Content",
        "/v1/Content/{Sid}",
        "/v1/Content/{ContentSid}/ApprovalRequests/whatsapp",
        "/v1/Content/{Sid}/ApprovalRequests",
        "/v1/ContentAndApprovals",
        "/v1/LegacyContent",
    ],
}


def refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def trim(spec: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    kept_paths = {path: spec["paths"][path] for path in paths}
    schemas = spec["components"]["schemas"]
    wanted: set[str] = set()
    todo = refs(kept_paths)
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo |= refs(schemas[name]) - wanted
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec.get("servers", []),
        "paths": kept_paths,
        "components": {
            "securitySchemes": spec["components"].get("securitySchemes", {}),
            "schemas": {name: schemas[name] for name in sorted(wanted)},
        },
    }


def main(source: str, only: str | None = None) -> None:
    for name, paths in KEEP.items():
        if only is not None and name != only:
            continue
        spec = json.loads((Path(source) / name).read_text(encoding="utf-8"))
        out = trim(spec, paths)
        (HERE / name).write_text(json.dumps(out, indent=1, sort_keys=False) + "\n", "utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
