from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_gathers_order import ListGathersOrder
from ...models.list_gathers_status_type_0 import ListGathersStatusType0
from ...models.page_gather_summary import PageGatherSummary
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListGathersStatusType0 | None | Unset = UNSET,
    order: ListGathersOrder | Unset = ListGathersOrder.ID,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListGathersStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/gathers",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageGatherSummary | Problem | None:
    if response.status_code == 200:
        response_200 = PageGatherSummary.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageGatherSummary | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListGathersStatusType0 | None | Unset = UNSET,
    order: ListGathersOrder | Unset = ListGathersOrder.ID,

) -> Response[PageGatherSummary | Problem]:
    """ List Gathers

     The namespace's gathers in id order (``?status=waiting``: the open ones), with their progress; a
    gather's members are read with ``GET /v1/gathers/{id}``. ``?status=failed&order=-resolved_at``: the
    gathers that failed, the latest first.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListGathersStatusType0 | None | Unset):
        order (ListGathersOrder | Unset): `id`, or `-resolved_at`: the latest ended first, of one
            ended `status` Default: ListGathersOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageGatherSummary | Problem]
     """


    kwargs = _get_kwargs(
        limit=limit,
cursor=cursor,
status=status,
order=order,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListGathersStatusType0 | None | Unset = UNSET,
    order: ListGathersOrder | Unset = ListGathersOrder.ID,

) -> PageGatherSummary | Problem | None:
    """ List Gathers

     The namespace's gathers in id order (``?status=waiting``: the open ones), with their progress; a
    gather's members are read with ``GET /v1/gathers/{id}``. ``?status=failed&order=-resolved_at``: the
    gathers that failed, the latest first.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListGathersStatusType0 | None | Unset):
        order (ListGathersOrder | Unset): `id`, or `-resolved_at`: the latest ended first, of one
            ended `status` Default: ListGathersOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageGatherSummary | Problem
     """


    return sync_detailed(
        client=client,
limit=limit,
cursor=cursor,
status=status,
order=order,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListGathersStatusType0 | None | Unset = UNSET,
    order: ListGathersOrder | Unset = ListGathersOrder.ID,

) -> Response[PageGatherSummary | Problem]:
    """ List Gathers

     The namespace's gathers in id order (``?status=waiting``: the open ones), with their progress; a
    gather's members are read with ``GET /v1/gathers/{id}``. ``?status=failed&order=-resolved_at``: the
    gathers that failed, the latest first.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListGathersStatusType0 | None | Unset):
        order (ListGathersOrder | Unset): `id`, or `-resolved_at`: the latest ended first, of one
            ended `status` Default: ListGathersOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageGatherSummary | Problem]
     """


    kwargs = _get_kwargs(
        limit=limit,
cursor=cursor,
status=status,
order=order,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListGathersStatusType0 | None | Unset = UNSET,
    order: ListGathersOrder | Unset = ListGathersOrder.ID,

) -> PageGatherSummary | Problem | None:
    """ List Gathers

     The namespace's gathers in id order (``?status=waiting``: the open ones), with their progress; a
    gather's members are read with ``GET /v1/gathers/{id}``. ``?status=failed&order=-resolved_at``: the
    gathers that failed, the latest first.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListGathersStatusType0 | None | Unset):
        order (ListGathersOrder | Unset): `id`, or `-resolved_at`: the latest ended first, of one
            ended `status` Default: ListGathersOrder.ID.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageGatherSummary | Problem
     """


    return (await asyncio_detailed(
        client=client,
limit=limit,
cursor=cursor,
status=status,
order=order,

    )).parsed
