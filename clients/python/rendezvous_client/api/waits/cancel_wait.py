from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.wait_read import WaitRead
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    group_key: str,
    *,
    wait_id: None | str | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_wait_id: None | str | Unset
    if isinstance(wait_id, Unset):
        json_wait_id = UNSET
    else:
        json_wait_id = wait_id
    params["wait_id"] = json_wait_id


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/waits/{group_key}".format(group_key=quote(str(group_key), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WaitRead | None:
    if response.status_code == 200:
        response_200 = WaitRead.from_dict(response.json())



        return response_200

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
    group_key: str,
    *,
    client: AuthenticatedClient,
    wait_id: None | str | Unset = UNSET,

) -> Response[Problem | WaitRead]:
    """ Cancel Wait

     Cancel the group's open wait: no callback, ever. The next add starts a new wait. With ``?wait_id=``
    the cancel names the wait it means, so it cannot take a wait opened since that one was read.

    Args:
        group_key (str): A client-chosen id
        wait_id (None | str | Unset): Cancel only this wait: 404 when it is not a wait of this
            group, 409 when it has ended (another wait of the group may be open)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WaitRead]
     """


    kwargs = _get_kwargs(
        group_key=group_key,
wait_id=wait_id,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    group_key: str,
    *,
    client: AuthenticatedClient,
    wait_id: None | str | Unset = UNSET,

) -> Problem | WaitRead | None:
    """ Cancel Wait

     Cancel the group's open wait: no callback, ever. The next add starts a new wait. With ``?wait_id=``
    the cancel names the wait it means, so it cannot take a wait opened since that one was read.

    Args:
        group_key (str): A client-chosen id
        wait_id (None | str | Unset): Cancel only this wait: 404 when it is not a wait of this
            group, 409 when it has ended (another wait of the group may be open)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WaitRead
     """


    return sync_detailed(
        group_key=group_key,
client=client,
wait_id=wait_id,

    ).parsed

async def asyncio_detailed(
    group_key: str,
    *,
    client: AuthenticatedClient,
    wait_id: None | str | Unset = UNSET,

) -> Response[Problem | WaitRead]:
    """ Cancel Wait

     Cancel the group's open wait: no callback, ever. The next add starts a new wait. With ``?wait_id=``
    the cancel names the wait it means, so it cannot take a wait opened since that one was read.

    Args:
        group_key (str): A client-chosen id
        wait_id (None | str | Unset): Cancel only this wait: 404 when it is not a wait of this
            group, 409 when it has ended (another wait of the group may be open)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WaitRead]
     """


    kwargs = _get_kwargs(
        group_key=group_key,
wait_id=wait_id,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    group_key: str,
    *,
    client: AuthenticatedClient,
    wait_id: None | str | Unset = UNSET,

) -> Problem | WaitRead | None:
    """ Cancel Wait

     Cancel the group's open wait: no callback, ever. The next add starts a new wait. With ``?wait_id=``
    the cancel names the wait it means, so it cannot take a wait opened since that one was read.

    Args:
        group_key (str): A client-chosen id
        wait_id (None | str | Unset): Cancel only this wait: 404 when it is not a wait of this
            group, 409 when it has ended (another wait of the group may be open)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WaitRead
     """


    return (await asyncio_detailed(
        group_key=group_key,
client=client,
wait_id=wait_id,

    )).parsed
