from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.page_job_item_read import PageJobItemRead
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    job_id: str,
    set_name: str,
    *,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

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
        "url": "/v1/jobs/{job_id}/sets/{set_name}".format(job_id=quote(str(job_id), safe=""),set_name=quote(str(set_name), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageJobItemRead | Problem | None:
    if response.status_code == 200:
        response_200 = PageJobItemRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PageJobItemRead | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: str,
    set_name: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> Response[PageJobItemRead | Problem]:
    """ List Job Set Items

     One set across every batch of the job (e.g. all its errored ids, with reasons and batch index).

    Args:
        job_id (str): A client-chosen id
        set_name (str): pending, skipped, errored or any name
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageJobItemRead | Problem]
     """


    kwargs = _get_kwargs(
        job_id=job_id,
set_name=set_name,
limit=limit,
cursor=cursor,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    job_id: str,
    set_name: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> PageJobItemRead | Problem | None:
    """ List Job Set Items

     One set across every batch of the job (e.g. all its errored ids, with reasons and batch index).

    Args:
        job_id (str): A client-chosen id
        set_name (str): pending, skipped, errored or any name
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageJobItemRead | Problem
     """


    return sync_detailed(
        job_id=job_id,
set_name=set_name,
client=client,
limit=limit,
cursor=cursor,

    ).parsed

async def asyncio_detailed(
    job_id: str,
    set_name: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> Response[PageJobItemRead | Problem]:
    """ List Job Set Items

     One set across every batch of the job (e.g. all its errored ids, with reasons and batch index).

    Args:
        job_id (str): A client-chosen id
        set_name (str): pending, skipped, errored or any name
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageJobItemRead | Problem]
     """


    kwargs = _get_kwargs(
        job_id=job_id,
set_name=set_name,
limit=limit,
cursor=cursor,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    job_id: str,
    set_name: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,

) -> PageJobItemRead | Problem | None:
    """ List Job Set Items

     One set across every batch of the job (e.g. all its errored ids, with reasons and batch index).

    Args:
        job_id (str): A client-chosen id
        set_name (str): pending, skipped, errored or any name
        limit (int | Unset): Page size Default: 100.
        cursor (None | str | Unset): next_cursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageJobItemRead | Problem
     """


    return (await asyncio_detailed(
        job_id=job_id,
set_name=set_name,
client=client,
limit=limit,
cursor=cursor,

    )).parsed
