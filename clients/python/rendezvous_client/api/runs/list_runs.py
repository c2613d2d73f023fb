from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_runs_order import ListRunsOrder
from ...models.list_runs_status_type_0 import ListRunsStatusType0
from ...models.page_run_read import PageRunRead
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    workflow: None | str | Unset = UNSET,
    status: ListRunsStatusType0 | None | Unset = UNSET,
    order: ListRunsOrder | Unset = ListRunsOrder.ID,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_workflow: None | str | Unset
    if isinstance(workflow, Unset):
        json_workflow = UNSET
    else:
        json_workflow = workflow
    params["workflow"] = json_workflow

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListRunsStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/runs",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageRunRead | Problem | None:
    if response.status_code == 200:
        response_200 = PageRunRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageRunRead | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    workflow: None | str | Unset = UNSET,
    status: ListRunsStatusType0 | None | Unset = UNSET,
    order: ListRunsOrder | Unset = ListRunsOrder.ID,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> Response[PageRunRead | Problem]:
    """ List Runs

     Runs by id, without their steps; ``?status=failed&order=-finished_at``: the failed ones, the latest
    first.

    Args:
        workflow (None | str | Unset): Only this workflow's
        status (ListRunsStatusType0 | None | Unset): Only runs in this status
        order (ListRunsOrder | Unset): `id`, or `-finished_at`: the latest finished first, of one
            ended `status` Default: ListRunsOrder.ID.
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageRunRead | Problem]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
status=status,
order=order,
limit=limit,
cursor=cursor,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    workflow: None | str | Unset = UNSET,
    status: ListRunsStatusType0 | None | Unset = UNSET,
    order: ListRunsOrder | Unset = ListRunsOrder.ID,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> PageRunRead | Problem | None:
    """ List Runs

     Runs by id, without their steps; ``?status=failed&order=-finished_at``: the failed ones, the latest
    first.

    Args:
        workflow (None | str | Unset): Only this workflow's
        status (ListRunsStatusType0 | None | Unset): Only runs in this status
        order (ListRunsOrder | Unset): `id`, or `-finished_at`: the latest finished first, of one
            ended `status` Default: ListRunsOrder.ID.
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageRunRead | Problem
     """


    return sync_detailed(
        client=client,
workflow=workflow,
status=status,
order=order,
limit=limit,
cursor=cursor,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    workflow: None | str | Unset = UNSET,
    status: ListRunsStatusType0 | None | Unset = UNSET,
    order: ListRunsOrder | Unset = ListRunsOrder.ID,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> Response[PageRunRead | Problem]:
    """ List Runs

     Runs by id, without their steps; ``?status=failed&order=-finished_at``: the failed ones, the latest
    first.

    Args:
        workflow (None | str | Unset): Only this workflow's
        status (ListRunsStatusType0 | None | Unset): Only runs in this status
        order (ListRunsOrder | Unset): `id`, or `-finished_at`: the latest finished first, of one
            ended `status` Default: ListRunsOrder.ID.
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageRunRead | Problem]
     """


    kwargs = _get_kwargs(
        workflow=workflow,
status=status,
order=order,
limit=limit,
cursor=cursor,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    workflow: None | str | Unset = UNSET,
    status: ListRunsStatusType0 | None | Unset = UNSET,
    order: ListRunsOrder | Unset = ListRunsOrder.ID,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> PageRunRead | Problem | None:
    """ List Runs

     Runs by id, without their steps; ``?status=failed&order=-finished_at``: the failed ones, the latest
    first.

    Args:
        workflow (None | str | Unset): Only this workflow's
        status (ListRunsStatusType0 | None | Unset): Only runs in this status
        order (ListRunsOrder | Unset): `id`, or `-finished_at`: the latest finished first, of one
            ended `status` Default: ListRunsOrder.ID.
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageRunRead | Problem
     """


    return (await asyncio_detailed(
        client=client,
workflow=workflow,
status=status,
order=order,
limit=limit,
cursor=cursor,

    )).parsed
