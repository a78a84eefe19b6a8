"""Messaging Services and their sender pools (Messaging v1)."""

from __future__ import annotations

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
from switchboard.api.render import service_json, service_number_json, service_sender_json
from switchboard.domain.models import SenderKind


async def create_service(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    service = await services(request).messaging_services.create(account, params)
    return json_response(service_json(service, base_url(request)), 201)


async def list_services(request: Request) -> Response:
    account = await own_account(request)
    query = page_query(await read_params(request))
    svc = services(request).messaging_services
    page = await fetch_page(query, lambda p: svc.list(account, p), lambda s: s.sid)
    records = [service_json(s, base_url(request)) for s in page.items]
    url = list_url(request)
    return json_response(v1_envelope("services", records, page, query, url, lambda s: s.sid))


async def fetch_service(request: Request) -> Response:
    account = await own_account(request)
    service = await services(request).messaging_services.get(account, request.path_params["sid"])
    return json_response(service_json(service, base_url(request)))


async def update_service(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    service = await services(request).messaging_services.update(
        account, request.path_params["sid"], params
    )
    return json_response(service_json(service, base_url(request)))


async def delete_service(request: Request) -> Response:
    account = await own_account(request)
    await services(request).messaging_services.delete(account, request.path_params["sid"])
    return no_content()


async def create_phone_number(request: Request) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    entry = await services(request).messaging_services.add_number(
        account, request.path_params["service_sid"], params.text("PhoneNumberSid") or ""
    )
    return json_response(service_number_json(entry, base_url(request)), 201)


async def list_phone_numbers(request: Request) -> Response:
    account = await own_account(request)
    query = page_query(await read_params(request))
    service_sid = request.path_params["service_sid"]
    svc = services(request).messaging_services
    page = await fetch_page(
        query, lambda p: svc.list_numbers(account, service_sid, p), lambda e: e.sid
    )
    records = [service_number_json(e, base_url(request)) for e in page.items]
    url = list_url(request)
    return json_response(v1_envelope("phone_numbers", records, page, query, url, lambda e: e.sid))


async def fetch_phone_number(request: Request) -> Response:
    account = await own_account(request)
    path = request.path_params
    entry = await services(request).messaging_services.get_number(
        account, path["service_sid"], path["sid"]
    )
    return json_response(service_number_json(entry, base_url(request)))


async def delete_phone_number(request: Request) -> Response:
    account = await own_account(request)
    path = request.path_params
    await services(request).messaging_services.remove_number(
        account, path["service_sid"], path["sid"]
    )
    return no_content()


# The other pool sub-resources: ShortCodes, AlphaSenders, DestinationAlphaSenders, ChannelSenders


async def _add_sender(request: Request, kind: SenderKind) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    entry = await services(request).pool_senders.add(
        account, request.path_params["service_sid"], kind, params
    )
    return json_response(service_sender_json(entry, base_url(request)), 201)


async def _list_senders(request: Request, kind: SenderKind, key: str) -> Response:
    account = await own_account(request)
    params = await read_params(request)
    query = page_query(params)
    service_sid = request.path_params["service_sid"]
    country = (params.text("IsoCountryCode") or "").upper() or None
    svc = services(request).pool_senders
    page = await fetch_page(
        query, lambda p: svc.list(account, service_sid, kind, p, country), lambda e: e.sid
    )
    records = [service_sender_json(e, base_url(request)) for e in page.items]
    url = list_url(request)
    return json_response(v1_envelope(key, records, page, query, url, lambda e: e.sid))


async def _fetch_sender(request: Request, kind: SenderKind) -> Response:
    account = await own_account(request)
    path = request.path_params
    entry = await services(request).pool_senders.get(
        account, path["service_sid"], kind, path["sid"]
    )
    return json_response(service_sender_json(entry, base_url(request)))


async def _delete_sender(request: Request, kind: SenderKind) -> Response:
    account = await own_account(request)
    path = request.path_params
    await services(request).pool_senders.remove(account, path["service_sid"], kind, path["sid"])
    return no_content()


async def create_short_code(request: Request) -> Response:
    return await _add_sender(request, SenderKind.SHORT_CODE)


async def list_short_code(request: Request) -> Response:
    return await _list_senders(request, SenderKind.SHORT_CODE, "short_codes")


async def fetch_short_code(request: Request) -> Response:
    return await _fetch_sender(request, SenderKind.SHORT_CODE)


async def delete_short_code(request: Request) -> Response:
    return await _delete_sender(request, SenderKind.SHORT_CODE)


async def create_alpha_sender(request: Request) -> Response:
    return await _add_sender(request, SenderKind.ALPHA_SENDER)


async def list_alpha_sender(request: Request) -> Response:
    return await _list_senders(request, SenderKind.ALPHA_SENDER, "alpha_senders")


async def fetch_alpha_sender(request: Request) -> Response:
    return await _fetch_sender(request, SenderKind.ALPHA_SENDER)


async def delete_alpha_sender(request: Request) -> Response:
    return await _delete_sender(request, SenderKind.ALPHA_SENDER)


async def create_destination_alpha_sender(request: Request) -> Response:
    return await _add_sender(request, SenderKind.DESTINATION_ALPHA_SENDER)


async def list_destination_alpha_sender(request: Request) -> Response:
    return await _list_senders(request, SenderKind.DESTINATION_ALPHA_SENDER, "alpha_senders")


async def fetch_destination_alpha_sender(request: Request) -> Response:
    return await _fetch_sender(request, SenderKind.DESTINATION_ALPHA_SENDER)


async def delete_destination_alpha_sender(request: Request) -> Response:
    return await _delete_sender(request, SenderKind.DESTINATION_ALPHA_SENDER)


async def create_channel_sender(request: Request) -> Response:
    return await _add_sender(request, SenderKind.CHANNEL_SENDER)


async def list_channel_sender(request: Request) -> Response:
    return await _list_senders(request, SenderKind.CHANNEL_SENDER, "senders")


async def fetch_channel_sender(request: Request) -> Response:
    return await _fetch_sender(request, SenderKind.CHANNEL_SENDER)


async def delete_channel_sender(request: Request) -> Response:
    return await _delete_sender(request, SenderKind.CHANNEL_SENDER)
