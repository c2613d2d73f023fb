from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.watch_response_200 import WatchResponse200
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,
    batch_job: None | str | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_gather: None | str | Unset
    if isinstance(gather, Unset):
        json_gather = UNSET
    else:
        json_gather = gather
    params["gather"] = json_gather

    json_run: None | str | Unset
    if isinstance(run, Unset):
        json_run = UNSET
    else:
        json_run = run
    params["run"] = json_run

    json_wait: None | str | Unset
    if isinstance(wait, Unset):
        json_wait = UNSET
    else:
        json_wait = wait
    params["wait"] = json_wait

    json_batch_job: None | str | Unset
    if isinstance(batch_job, Unset):
        json_batch_job = UNSET
    else:
        json_batch_job = batch_job
    params["batch_job"] = json_batch_job


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/watch",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WatchResponse200 | None:
    if response.status_code == 200:
        response_200 = WatchResponse200.from_dict(response.text)



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | WatchResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,
    batch_job: None | str | Unset = UNSET,

) -> Response[Problem | WatchResponse200]:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``,
    ``batch_job``): ``event: change`` at once and whenever what a read of it shows moves. For pages that
    stay open; the stream ends after ``RENDEZVOUS_WATCH_SECONDS`` (a minute; connect again).

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):
        batch_job (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WatchResponse200]
     """


    kwargs = _get_kwargs(
        gather=gather,
run=run,
wait=wait,
batch_job=batch_job,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,
    batch_job: None | str | Unset = UNSET,

) -> Problem | WatchResponse200 | None:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``,
    ``batch_job``): ``event: change`` at once and whenever what a read of it shows moves. For pages that
    stay open; the stream ends after ``RENDEZVOUS_WATCH_SECONDS`` (a minute; connect again).

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):
        batch_job (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WatchResponse200
     """


    return sync_detailed(
        client=client,
gather=gather,
run=run,
wait=wait,
batch_job=batch_job,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,
    batch_job: None | str | Unset = UNSET,

) -> Response[Problem | WatchResponse200]:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``,
    ``batch_job``): ``event: change`` at once and whenever what a read of it shows moves. For pages that
    stay open; the stream ends after ``RENDEZVOUS_WATCH_SECONDS`` (a minute; connect again).

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):
        batch_job (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WatchResponse200]
     """


    kwargs = _get_kwargs(
        gather=gather,
run=run,
wait=wait,
batch_job=batch_job,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,
    batch_job: None | str | Unset = UNSET,

) -> Problem | WatchResponse200 | None:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``,
    ``batch_job``): ``event: change`` at once and whenever what a read of it shows moves. For pages that
    stay open; the stream ends after ``RENDEZVOUS_WATCH_SECONDS`` (a minute; connect again).

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):
        batch_job (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WatchResponse200
     """


    return (await asyncio_detailed(
        client=client,
gather=gather,
run=run,
wait=wait,
batch_job=batch_job,

    )).parsed
