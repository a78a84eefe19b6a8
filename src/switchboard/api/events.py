"""Event Streams (Events v1, ``events.twilio.com/v1``): Sinks, Subscriptions, their types, and
the catalogue of event types and schemas. Handlers are named after Twilio's operation ids."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.http import (
    base_url,
    json_response,
    list_url,
    no_content,
    own_account,
    services,
)
from switchboard.api.paging import fetch_page, page_query, v1_envelope
from switchboard.api.params import read_params
from switchboard.api.render import iso8601
from switchboard.domain.events import (
    EventSchema,
    EventType,
    Sink,
    SubscribedEvent,
    Subscription,
)
from switchboard.ports import InvalidPageToken, Page, PageRequest

T = TypeVar("T")


# --- Renderers ----------------------------------------------------------------------------------


def sink_json(sink: Sink, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/Sinks/{sink.sid}"
    return {
        "date_created": iso8601(sink.date_created),
        "date_updated": iso8601(sink.date_updated),
        "description": sink.description,
        "sid": sink.sid,
        "sink_configuration": sink.config.to_json(),
        "sink_type": sink.sink_type,
        "status": sink.status,
        "url": url,
        "links": {"sink_test": f"{url}/Test", "sink_validate": f"{url}/Validate"},
    }


def subscription_json(subscription: Subscription, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/Subscriptions/{subscription.sid}"
    return {
        "account_sid": subscription.account_sid,
        "sid": subscription.sid,
        "date_created": iso8601(subscription.date_created),
        "date_updated": iso8601(subscription.date_updated),
        "description": subscription.description,
        "sink_sid": subscription.sink_sid,
        "url": url,
        "links": {"subscribed_events": f"{url}/SubscribedEvents"},
    }


def subscribed_event_json(event: SubscribedEvent, base_url: str) -> dict[str, Any]:
    subscription = f"{base_url}/v1/Subscriptions/{event.subscription_sid}"
    return {
        "account_sid": event.account_sid,
        "type": event.type,
        "schema_version": event.schema_version,
        "subscription_sid": event.subscription_sid,
        "url": f"{subscription}/SubscribedEvents/{event.type}",
    }


def event_type_json(event_type: EventType, base_url: str) -> dict[str, Any]:
    schema = event_type.schema
    return {
        "type": event_type.type,
        "schema_id": schema.id,
        "date_created": iso8601(schema.date_created),
        "date_updated": iso8601(schema.date_created),
        "description": event_type.description,
        "status": "available",
        "documentation_url": "https://www.twilio.com/docs/events/event-types/messaging",
        "url": f"{base_url}/v1/Types/{event_type.type}",
        "links": {"schema": f"{base_url}/v1/Schemas/{schema.id}"},
    }


def schema_json(schema: EventSchema, base_url: str) -> dict[str, Any]:
    url = f"{base_url}/v1/Schemas/{schema.id}"
    return {
        "id": schema.id,
        "url": url,
        "links": {"versions": f"{url}/Versions"},
        "latest_version_date_created": iso8601(schema.date_created),
        "latest_version": schema.latest_version,
    }


def schema_version_json(schema: EventSchema, version: int, base_url: str) -> dict[str, Any]:
    return {
        "id": schema.id,
        "schema_version": version,
        "date_created": iso8601(schema.date_created),
        "url": f"{base_url}/v1/Schemas/{schema.id}/Versions/{version}",
        "raw": schema.url(version),
    }


def _in_memory(
    items: list[T], key: Callable[[T], str]
) -> Callable[[PageRequest], Awaitable[Page[T]]]:
    """Pages over a fixed list (the catalogue), with page tokens like the store's."""

    async def fetch(page: PageRequest) -> Page[T]:
        keys = [key(item) for item in items]
        start = 0
        if page.after is not None:
            if page.after not in keys:
                raise InvalidPageToken(page.after)
            start = keys.index(page.after) + 1
        shown = items[start : start + page.page_size]
        return Page(shown, start + page.page_size < len(items))

    return fetch


# --- Sinks --------------------------------------------------------------------------------------


async def create_sink(request: Request) -> Response:
    account = await own_account(request)
    sink = await services(request).events.create_sink(account, await read_params(request))
    return json_response(sink_json(sink, base_url(request)), 201)


async def list_sinks(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    query = page_query(params)
    svc = services(request).events
    page = await fetch_page(query, lambda p: svc.list_sinks(account, params, p), lambda s: s.sid)
    records = [sink_json(s, base_url(request)) for s in page.items]
    return json_response(
        v1_envelope("sinks", records, page, query, list_url(request), lambda s: s.sid)
    )


async def fetch_sink(request: Request) -> Response:
    account = await own_account(request)
    sink = await services(request).events.sink(account, request.path_params["sid"])
    return json_response(sink_json(sink, base_url(request)))


async def update_sink(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    sink = await services(request).events.update_sink(account, request.path_params["sid"], params)
    return json_response(sink_json(sink, base_url(request)))


async def delete_sink(request: Request) -> Response:
    account = await own_account(request)
    await services(request).events.delete_sink(account, request.path_params["sid"])
    return no_content()


async def create_sink_test(request: Request) -> Response:
    account = await own_account(request)
    await services(request).events.test_sink(account, request.path_params["sid"])
    return json_response({"result": "submitted"}, 201)


async def create_sink_validate(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    await services(request).events.validate_sink(account, request.path_params["sid"], params)
    return json_response({"result": "valid"}, 201)


# --- Subscriptions ------------------------------------------------------------------------------


async def create_subscription(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    subscription = await services(request).events.create_subscription(
        account, params, params.getlist("Types")
    )
    return json_response(subscription_json(subscription, base_url(request)), 201)


async def list_subscriptions(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    query = page_query(params)
    svc = services(request).events
    page = await fetch_page(
        query, lambda p: svc.list_subscriptions(account, params, p), lambda s: s.sid
    )
    records = [subscription_json(s, base_url(request)) for s in page.items]
    return json_response(
        v1_envelope("subscriptions", records, page, query, list_url(request), lambda s: s.sid)
    )


async def fetch_subscription(request: Request) -> Response:
    account = await own_account(request)
    found = await services(request).events.subscription(account, request.path_params["sid"])
    return json_response(subscription_json(found, base_url(request)))


async def update_subscription(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    updated = await services(request).events.update_subscription(
        account, request.path_params["sid"], params
    )
    return json_response(subscription_json(updated, base_url(request)))


async def delete_subscription(request: Request) -> Response:
    account = await own_account(request)
    await services(request).events.delete_subscription(account, request.path_params["sid"])
    return no_content()


async def create_subscribed_event(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    event = await services(request).events.add_subscribed_event(
        account, request.path_params["subscription_sid"], params
    )
    return json_response(subscribed_event_json(event, base_url(request)), 201)


async def list_subscribed_events(request: Request) -> Response:
    account = await own_account(request)
    query = page_query(await read_params(request))
    subscription_sid = request.path_params["subscription_sid"]
    svc = services(request).events
    page = await fetch_page(
        query,
        lambda p: svc.list_subscribed_events(account, subscription_sid, p),
        lambda e: e.type,
    )
    records = [subscribed_event_json(e, base_url(request)) for e in page.items]
    return json_response(
        v1_envelope("types", records, page, query, list_url(request), lambda e: e.type)
    )


async def fetch_subscribed_event(request: Request) -> Response:
    account = await own_account(request)
    path = request.path_params
    event = await services(request).events.subscribed_event(
        account, path["subscription_sid"], path["type"]
    )
    return json_response(subscribed_event_json(event, base_url(request)))


async def update_subscribed_event(request: Request) -> Response:
    account = await own_account(request)
    path = request.path_params
    event = await services(request).events.update_subscribed_event(
        account, path["subscription_sid"], path["type"], await read_params(request)
    )
    return json_response(subscribed_event_json(event, base_url(request)))


async def delete_subscribed_event(request: Request) -> Response:
    account = await own_account(request)
    path = request.path_params
    await services(request).events.remove_subscribed_event(
        account, path["subscription_sid"], path["type"]
    )
    return no_content()


# --- The catalogue ------------------------------------------------------------------------------


async def list_event_types(request: Request) -> Response:
    await own_account(request)
    params = await read_params(request)
    query = page_query(params)
    types = services(request).events.event_types(params.get("SchemaId") or None)
    page = await fetch_page(query, _in_memory(types, _type_key), _type_key)
    records = [event_type_json(t, base_url(request)) for t in page.items]
    return json_response(v1_envelope("types", records, page, query, list_url(request), _type_key))


def _type_key(event_type: EventType) -> str:
    return event_type.type


async def fetch_event_type(request: Request) -> Response:
    await own_account(request)
    found = services(request).events.event_type(request.path_params["type"])
    return json_response(event_type_json(found, base_url(request)))


async def fetch_schema(request: Request) -> Response:
    await own_account(request)
    found = services(request).events.schema(request.path_params["id"])
    return json_response(schema_json(found, base_url(request)))


async def list_schema_versions(request: Request) -> Response:
    await own_account(request)
    query = page_query(await read_params(request))
    schema = services(request).events.schema(request.path_params["id"])
    versions = list(range(1, schema.latest_version + 1))
    page = await fetch_page(query, _in_memory(versions, str), str)
    records = [schema_version_json(schema, v, base_url(request)) for v in page.items]
    return json_response(
        v1_envelope("schema_versions", records, page, query, list_url(request), str)
    )


async def fetch_schema_version(request: Request) -> Response:
    await own_account(request)
    path = request.path_params
    schema, version = services(request).events.schema_version(path["id"], path["schema_version"])
    return json_response(schema_version_json(schema, version, base_url(request)))
