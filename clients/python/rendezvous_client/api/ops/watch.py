from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,

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


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/watch",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = response.text
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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
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

) -> Response[Problem | str]:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``):
    ``event: change`` at once and whenever what a read of it shows moves. For pages that stay open.

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        gather=gather,
run=run,
wait=wait,

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

) -> Problem | str | None:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``):
    ``event: change`` at once and whenever what a read of it shows moves. For pages that stay open.

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return sync_detailed(
        client=client,
gather=gather,
run=run,
wait=wait,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    gather: None | str | Unset = UNSET,
    run: None | str | Unset = UNSET,
    wait: None | str | Unset = UNSET,

) -> Response[Problem | str]:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``):
    ``event: change`` at once and whenever what a read of it shows moves. For pages that stay open.

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
     """


    kwargs = _get_kwargs(
        gather=gather,
run=run,
wait=wait,

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

) -> Problem | str | None:
    """ Watch

     Server-sent events about one subject (exactly one of ``gather``, ``run``, a wait's ``group key``):
    ``event: change`` at once and whenever what a read of it shows moves. For pages that stay open.

    Args:
        gather (None | str | Unset):
        run (None | str | Unset):
        wait (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
     """


    return (await asyncio_detailed(
        client=client,
gather=gather,
run=run,
wait=wait,

    )).parsed
