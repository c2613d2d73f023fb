from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_deliveries_status_type_0 import ListDeliveriesStatusType0
from ...models.page_delivery_read import PageDeliveryRead
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListDeliveriesStatusType0 | None | Unset = UNSET,
    subject_id: None | str | Unset = UNSET,
    subject_kind: None | str | Unset = UNSET,

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
    elif isinstance(status, ListDeliveriesStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_subject_id: None | str | Unset
    if isinstance(subject_id, Unset):
        json_subject_id = UNSET
    else:
        json_subject_id = subject_id
    params["subject_id"] = json_subject_id

    json_subject_kind: None | str | Unset
    if isinstance(subject_kind, Unset):
        json_subject_kind = UNSET
    else:
        json_subject_kind = subject_kind
    params["subject_kind"] = json_subject_kind


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/deliveries",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageDeliveryRead | Problem | None:
    if response.status_code == 200:
        response_200 = PageDeliveryRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageDeliveryRead | Problem]:
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
    status: ListDeliveriesStatusType0 | None | Unset = UNSET,
    subject_id: None | str | Unset = UNSET,
    subject_kind: None | str | Unset = UNSET,

) -> Response[PageDeliveryRead | Problem]:
    """ List Deliveries

     Callbacks, oldest first; ``?status=dead`` lists the ones that gave up.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListDeliveriesStatusType0 | None | Unset):
        subject_id (None | str | Unset):
        subject_kind (None | str | Unset): What the subject is (gather, wait, run, job, batch,
            task…); with subject_id, the subject's callbacks are found by its index instead of among
            the namespace's

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageDeliveryRead | Problem]
     """


    kwargs = _get_kwargs(
        limit=limit,
cursor=cursor,
status=status,
subject_id=subject_id,
subject_kind=subject_kind,

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
    status: ListDeliveriesStatusType0 | None | Unset = UNSET,
    subject_id: None | str | Unset = UNSET,
    subject_kind: None | str | Unset = UNSET,

) -> PageDeliveryRead | Problem | None:
    """ List Deliveries

     Callbacks, oldest first; ``?status=dead`` lists the ones that gave up.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListDeliveriesStatusType0 | None | Unset):
        subject_id (None | str | Unset):
        subject_kind (None | str | Unset): What the subject is (gather, wait, run, job, batch,
            task…); with subject_id, the subject's callbacks are found by its index instead of among
            the namespace's

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageDeliveryRead | Problem
     """


    return sync_detailed(
        client=client,
limit=limit,
cursor=cursor,
status=status,
subject_id=subject_id,
subject_kind=subject_kind,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    status: ListDeliveriesStatusType0 | None | Unset = UNSET,
    subject_id: None | str | Unset = UNSET,
    subject_kind: None | str | Unset = UNSET,

) -> Response[PageDeliveryRead | Problem]:
    """ List Deliveries

     Callbacks, oldest first; ``?status=dead`` lists the ones that gave up.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListDeliveriesStatusType0 | None | Unset):
        subject_id (None | str | Unset):
        subject_kind (None | str | Unset): What the subject is (gather, wait, run, job, batch,
            task…); with subject_id, the subject's callbacks are found by its index instead of among
            the namespace's

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageDeliveryRead | Problem]
     """


    kwargs = _get_kwargs(
        limit=limit,
cursor=cursor,
status=status,
subject_id=subject_id,
subject_kind=subject_kind,

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
    status: ListDeliveriesStatusType0 | None | Unset = UNSET,
    subject_id: None | str | Unset = UNSET,
    subject_kind: None | str | Unset = UNSET,

) -> PageDeliveryRead | Problem | None:
    """ List Deliveries

     Callbacks, oldest first; ``?status=dead`` lists the ones that gave up.

    Args:
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page
        status (ListDeliveriesStatusType0 | None | Unset):
        subject_id (None | str | Unset):
        subject_kind (None | str | Unset): What the subject is (gather, wait, run, job, batch,
            task…); with subject_id, the subject's callbacks are found by its index instead of among
            the namespace's

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageDeliveryRead | Problem
     """


    return (await asyncio_detailed(
        client=client,
limit=limit,
cursor=cursor,
status=status,
subject_id=subject_id,
subject_kind=subject_kind,

    )).parsed
