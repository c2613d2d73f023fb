from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_run_events_order import ListRunEventsOrder
from ...models.page_run_history_read import PageRunHistoryRead
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    run_id: str,
    *,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    order: ListRunEventsOrder | Unset = ListRunEventsOrder.ID,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/runs/{run_id}/events".format(run_id=quote(str(run_id), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageRunHistoryRead | Problem | None:
    if response.status_code == 200:
        response_200 = PageRunHistoryRead.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())



        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())



        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageRunHistoryRead | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    order: ListRunEventsOrder | Unset = ListRunEventsOrder.ID,

) -> Response[PageRunHistoryRead | Problem]:
    """ List Run Events

     The run's history, oldest first (``?order=-id``: the newest first): its transitions, dispatches,
    attempts with their errors, step ends, pauses, redrives and end.

    Args:
        run_id (str): A run's id
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        order (ListRunEventsOrder | Unset): `id`: the oldest first; `-id`: the newest first
            Default: ListRunEventsOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageRunHistoryRead | Problem]
     """


    kwargs = _get_kwargs(
        run_id=run_id,
limit=limit,
cursor=cursor,
order=order,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    run_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    order: ListRunEventsOrder | Unset = ListRunEventsOrder.ID,

) -> PageRunHistoryRead | Problem | None:
    """ List Run Events

     The run's history, oldest first (``?order=-id``: the newest first): its transitions, dispatches,
    attempts with their errors, step ends, pauses, redrives and end.

    Args:
        run_id (str): A run's id
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        order (ListRunEventsOrder | Unset): `id`: the oldest first; `-id`: the newest first
            Default: ListRunEventsOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageRunHistoryRead | Problem
     """


    return sync_detailed(
        run_id=run_id,
client=client,
limit=limit,
cursor=cursor,
order=order,

    ).parsed

async def asyncio_detailed(
    run_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    order: ListRunEventsOrder | Unset = ListRunEventsOrder.ID,

) -> Response[PageRunHistoryRead | Problem]:
    """ List Run Events

     The run's history, oldest first (``?order=-id``: the newest first): its transitions, dispatches,
    attempts with their errors, step ends, pauses, redrives and end.

    Args:
        run_id (str): A run's id
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        order (ListRunEventsOrder | Unset): `id`: the oldest first; `-id`: the newest first
            Default: ListRunEventsOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageRunHistoryRead | Problem]
     """


    kwargs = _get_kwargs(
        run_id=run_id,
limit=limit,
cursor=cursor,
order=order,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    run_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    order: ListRunEventsOrder | Unset = ListRunEventsOrder.ID,

) -> PageRunHistoryRead | Problem | None:
    """ List Run Events

     The run's history, oldest first (``?order=-id``: the newest first): its transitions, dispatches,
    attempts with their errors, step ends, pauses, redrives and end.

    Args:
        run_id (str): A run's id
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        order (ListRunEventsOrder | Unset): `id`: the oldest first; `-id`: the newest first
            Default: ListRunEventsOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageRunHistoryRead | Problem
     """


    return (await asyncio_detailed(
        run_id=run_id,
client=client,
limit=limit,
cursor=cursor,
order=order,

    )).parsed
