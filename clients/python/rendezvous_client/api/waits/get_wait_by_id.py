from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.wait_read import WaitRead
from typing import cast



def _get_kwargs(
    wait_id: str,

) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/waits/-/{wait_id}".format(wait_id=quote(str(wait_id), safe=""),),
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WaitRead | None:
    if response.status_code == 200:
        response_200 = WaitRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | WaitRead]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    wait_id: str,
    *,
    client: AuthenticatedClient,

) -> Response[Problem | WaitRead]:
    """ Get Wait By Id

     Any wait, open or long finished, by its id.

    Args:
        wait_id (str): A wait's server id

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WaitRead]
     """


    kwargs = _get_kwargs(
        wait_id=wait_id,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    wait_id: str,
    *,
    client: AuthenticatedClient,

) -> Problem | WaitRead | None:
    """ Get Wait By Id

     Any wait, open or long finished, by its id.

    Args:
        wait_id (str): A wait's server id

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WaitRead
     """


    return sync_detailed(
        wait_id=wait_id,
client=client,

    ).parsed

async def asyncio_detailed(
    wait_id: str,
    *,
    client: AuthenticatedClient,

) -> Response[Problem | WaitRead]:
    """ Get Wait By Id

     Any wait, open or long finished, by its id.

    Args:
        wait_id (str): A wait's server id

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WaitRead]
     """


    kwargs = _get_kwargs(
        wait_id=wait_id,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    wait_id: str,
    *,
    client: AuthenticatedClient,

) -> Problem | WaitRead | None:
    """ Get Wait By Id

     Any wait, open or long finished, by its id.

    Args:
        wait_id (str): A wait's server id

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WaitRead
     """


    return (await asyncio_detailed(
        wait_id=wait_id,
client=client,

    )).parsed
