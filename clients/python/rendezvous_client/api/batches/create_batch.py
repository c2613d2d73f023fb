from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.batch_read import BatchRead
from ...models.item_list import ItemList
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    job_id: str,
    *,
    body: ItemList,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs/{job_id}/batches".format(job_id=quote(str(job_id), safe=""),),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> BatchRead | Problem | None:
    if response.status_code == 201:
        response_201 = BatchRead.from_dict(response.json())



        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())



        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())



        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())



        return response_413

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[BatchRead | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: ItemList,
    idempotency_key: str | Unset = UNSET,

) -> Response[BatchRead | Problem]:
    """ Create Batch

     The job's next batch (indices 1, 2, 3 … never reused); its ids start pending.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (ItemList): Ids of a batch or set: strings or integers (stored as strings); repeated
            ids count once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchRead | Problem]
     """


    kwargs = _get_kwargs(
        job_id=job_id,
body=body,
idempotency_key=idempotency_key,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: ItemList,
    idempotency_key: str | Unset = UNSET,

) -> BatchRead | Problem | None:
    """ Create Batch

     The job's next batch (indices 1, 2, 3 … never reused); its ids start pending.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (ItemList): Ids of a batch or set: strings or integers (stored as strings); repeated
            ids count once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchRead | Problem
     """


    return sync_detailed(
        job_id=job_id,
client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: ItemList,
    idempotency_key: str | Unset = UNSET,

) -> Response[BatchRead | Problem]:
    """ Create Batch

     The job's next batch (indices 1, 2, 3 … never reused); its ids start pending.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (ItemList): Ids of a batch or set: strings or integers (stored as strings); repeated
            ids count once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchRead | Problem]
     """


    kwargs = _get_kwargs(
        job_id=job_id,
body=body,
idempotency_key=idempotency_key,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient,
    body: ItemList,
    idempotency_key: str | Unset = UNSET,

) -> BatchRead | Problem | None:
    """ Create Batch

     The job's next batch (indices 1, 2, 3 … never reused); its ids start pending.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (ItemList): Ids of a batch or set: strings or integers (stored as strings); repeated
            ids count once.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchRead | Problem
     """


    return (await asyncio_detailed(
        job_id=job_id,
client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
