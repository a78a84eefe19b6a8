"""The URL map of the Twilio surface; handler names follow Twilio's operation ids."""

from __future__ import annotations

from starlette.routing import Route

from switchboard.api import (
    accounts,
    content,
    events,
    media_content,
    messages,
    numbers,
    services,
    short_codes,
)

A = "/2010-04-01/Accounts/{account_sid}"
SE = "/v1/Subscriptions/{subscription_sid}/SubscribedEvents"

TWILIO_ROUTES = [
    Route("/2010-04-01/Accounts.json", accounts.create_account, methods=["POST"]),
    Route("/2010-04-01/Accounts.json", accounts.list_accounts, methods=["GET"]),
    Route("/2010-04-01/Accounts/{sid}.json", accounts.fetch_account, methods=["GET"]),
    Route("/2010-04-01/Accounts/{sid}.json", accounts.update_account, methods=["POST"]),
    Route(f"{A}/Keys.json", accounts.create_new_key, methods=["POST"]),
    Route(f"{A}/Keys.json", accounts.list_keys, methods=["GET"]),
    Route(f"{A}/Keys/{{sid}}.json", accounts.fetch_key, methods=["GET"]),
    Route(f"{A}/Keys/{{sid}}.json", accounts.update_key, methods=["POST"]),
    Route(f"{A}/Keys/{{sid}}.json", accounts.delete_key, methods=["DELETE"]),
    Route(f"{A}/Messages.json", messages.create_message, methods=["POST"]),
    Route(f"{A}/Messages.json", messages.list_messages, methods=["GET"]),
    Route(f"{A}/Messages/{{sid}}.json", messages.fetch_message, methods=["GET"]),
    Route(f"{A}/Messages/{{sid}}.json", messages.update_message, methods=["POST"]),
    Route(f"{A}/Messages/{{sid}}.json", messages.delete_message, methods=["DELETE"]),
    Route(f"{A}/Messages/{{message_sid}}/Media.json", messages.list_media, methods=["GET"]),
    Route(
        f"{A}/Messages/{{message_sid}}/Feedback.json",
        messages.create_message_feedback,
        methods=["POST"],
    ),
    Route(
        f"{A}/Messages/{{message_sid}}/Media/{{sid}}.json", messages.fetch_media, methods=["GET"]
    ),
    Route(
        f"{A}/Messages/{{message_sid}}/Media/{{sid}}.json",
        messages.delete_media,
        methods=["DELETE"],
    ),
    Route(
        f"{A}/Messages/{{message_sid}}/Media/{{sid}}",
        media_content.fetch_media_content,
        methods=["GET"],
    ),
    Route(f"{A}/IncomingPhoneNumbers.json", numbers.create_incoming_phone_number, methods=["POST"]),
    Route(f"{A}/IncomingPhoneNumbers.json", numbers.list_incoming_phone_numbers, methods=["GET"]),
    Route(
        f"{A}/IncomingPhoneNumbers/{{sid}}.json",
        numbers.fetch_incoming_phone_number,
        methods=["GET"],
    ),
    Route(
        f"{A}/IncomingPhoneNumbers/{{sid}}.json",
        numbers.update_incoming_phone_number,
        methods=["POST"],
    ),
    Route(
        f"{A}/IncomingPhoneNumbers/{{sid}}.json",
        numbers.delete_incoming_phone_number,
        methods=["DELETE"],
    ),
    Route(f"{A}/SMS/ShortCodes.json", short_codes.list_short_code, methods=["GET"]),
    Route(f"{A}/SMS/ShortCodes/{{sid}}.json", short_codes.fetch_short_code, methods=["GET"]),
    Route(f"{A}/SMS/ShortCodes/{{sid}}.json", short_codes.update_short_code, methods=["POST"]),
    Route("/v1/Services", services.create_service, methods=["POST"]),
    Route("/v1/Services", services.list_services, methods=["GET"]),
    Route("/v1/Services/{sid}", services.fetch_service, methods=["GET"]),
    Route("/v1/Services/{sid}", services.update_service, methods=["POST"]),
    Route("/v1/Services/{sid}", services.delete_service, methods=["DELETE"]),
    Route(
        "/v1/Services/{service_sid}/PhoneNumbers", services.create_phone_number, methods=["POST"]
    ),
    Route("/v1/Services/{service_sid}/PhoneNumbers", services.list_phone_numbers, methods=["GET"]),
    Route(
        "/v1/Services/{service_sid}/PhoneNumbers/{sid}",
        services.fetch_phone_number,
        methods=["GET"],
    ),
    Route(
        "/v1/Services/{service_sid}/PhoneNumbers/{sid}",
        services.delete_phone_number,
        methods=["DELETE"],
    ),
    Route("/v1/Services/{service_sid}/ShortCodes", services.create_short_code, methods=["POST"]),
    Route("/v1/Services/{service_sid}/ShortCodes", services.list_short_code, methods=["GET"]),
    Route(
        "/v1/Services/{service_sid}/ShortCodes/{sid}", services.fetch_short_code, methods=["GET"]
    ),
    Route(
        "/v1/Services/{service_sid}/ShortCodes/{sid}",
        services.delete_short_code,
        methods=["DELETE"],
    ),
    Route(
        "/v1/Services/{service_sid}/AlphaSenders", services.create_alpha_sender, methods=["POST"]
    ),
    Route("/v1/Services/{service_sid}/AlphaSenders", services.list_alpha_sender, methods=["GET"]),
    Route(
        "/v1/Services/{service_sid}/AlphaSenders/{sid}",
        services.fetch_alpha_sender,
        methods=["GET"],
    ),
    Route(
        "/v1/Services/{service_sid}/AlphaSenders/{sid}",
        services.delete_alpha_sender,
        methods=["DELETE"],
    ),
    Route(
        "/v1/Services/{service_sid}/DestinationAlphaSenders",
        services.create_destination_alpha_sender,
        methods=["POST"],
    ),
    Route(
        "/v1/Services/{service_sid}/DestinationAlphaSenders",
        services.list_destination_alpha_sender,
        methods=["GET"],
    ),
    Route(
        "/v1/Services/{service_sid}/DestinationAlphaSenders/{sid}",
        services.fetch_destination_alpha_sender,
        methods=["GET"],
    ),
    Route(
        "/v1/Services/{service_sid}/DestinationAlphaSenders/{sid}",
        services.delete_destination_alpha_sender,
        methods=["DELETE"],
    ),
    Route(
        "/v1/Services/{service_sid}/ChannelSenders",
        services.create_channel_sender,
        methods=["POST"],
    ),
    Route(
        "/v1/Services/{service_sid}/ChannelSenders", services.list_channel_sender, methods=["GET"]
    ),
    Route(
        "/v1/Services/{service_sid}/ChannelSenders/{sid}",
        services.fetch_channel_sender,
        methods=["GET"],
    ),
    Route(
        "/v1/Services/{service_sid}/ChannelSenders/{sid}",
        services.delete_channel_sender,
        methods=["DELETE"],
    ),
    # Events v1 (events.twilio.com)
    Route("/v1/Sinks", events.create_sink, methods=["POST"]),
    Route("/v1/Sinks", events.list_sinks, methods=["GET"]),
    Route("/v1/Sinks/{sid}", events.fetch_sink, methods=["GET"]),
    Route("/v1/Sinks/{sid}", events.update_sink, methods=["POST"]),
    Route("/v1/Sinks/{sid}", events.delete_sink, methods=["DELETE"]),
    Route("/v1/Sinks/{sid}/Test", events.create_sink_test, methods=["POST"]),
    Route("/v1/Sinks/{sid}/Validate", events.create_sink_validate, methods=["POST"]),
    Route("/v1/Subscriptions", events.create_subscription, methods=["POST"]),
    Route("/v1/Subscriptions", events.list_subscriptions, methods=["GET"]),
    Route("/v1/Subscriptions/{sid}", events.fetch_subscription, methods=["GET"]),
    Route("/v1/Subscriptions/{sid}", events.update_subscription, methods=["POST"]),
    Route("/v1/Subscriptions/{sid}", events.delete_subscription, methods=["DELETE"]),
    Route(
        f"{SE}",
        events.create_subscribed_event,
        methods=["POST"],
    ),
    Route(f"{SE}", events.list_subscribed_events, methods=["GET"]),
    Route(f"{SE}/{{type}}", events.fetch_subscribed_event, methods=["GET"]),
    Route(f"{SE}/{{type}}", events.update_subscribed_event, methods=["POST"]),
    Route(f"{SE}/{{type}}", events.delete_subscribed_event, methods=["DELETE"]),
    Route("/v1/Types", events.list_event_types, methods=["GET"]),
    Route("/v1/Types/{type}", events.fetch_event_type, methods=["GET"]),
    Route("/v1/Schemas/{id}", events.fetch_schema, methods=["GET"]),
    Route("/v1/Schemas/{id}/Versions", events.list_schema_versions, methods=["GET"]),
    Route(
        "/v1/Schemas/{id}/Versions/{schema_version}",
        events.fetch_schema_version,
        methods=["GET"],
    ),
    Route("/v1/Content", content.create_content, methods=["POST"]),
    Route("/v1/Content", content.list_content, methods=["GET"]),
    Route("/v1/Content/{sid}", content.fetch_content, methods=["GET"]),
    Route("/v1/Content/{sid}", content.update_content, methods=["PUT"]),
    Route("/v1/Content/{sid}", content.delete_content, methods=["DELETE"]),
    Route(
        "/v1/Content/{content_sid}/ApprovalRequests/whatsapp",
        content.create_approval_create,
        methods=["POST"],
    ),
    Route("/v1/Content/{sid}/ApprovalRequests", content.fetch_approval_fetch, methods=["GET"]),
    Route("/v1/ContentAndApprovals", content.list_content_and_approvals, methods=["GET"]),
    Route("/v1/LegacyContent", content.list_legacy_content, methods=["GET"]),
]
