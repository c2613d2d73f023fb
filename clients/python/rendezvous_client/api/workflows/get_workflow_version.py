from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.workflow_version_read import WorkflowVersionRead
from typing import cast



def _get_kwargs(
    name: str,
    version: int,

) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/workflows/{name}/versions/{version}".format(name=quote(str(name), safe=""),version=quote(str(version), safe=""),),
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WorkflowVersionRead | None:
    if response.status_code == 200:
        response_200 = WorkflowVersionRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | WorkflowVersionRead]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: str,
    version: int,
    *,
    client: AuthenticatedClient,

) -> Response[Problem | WorkflowVersionRead]:
    """ Get Workflow Version

     Any version, of a deleted workflow too (runs pinned to it may still be running).

    Args:
        name (str): A workflow's name
        version (int): A version number, from 1

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WorkflowVersionRead]
     """


    kwargs = _get_kwargs(
        name=name,
version=version,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    name: str,
    version: int,
    *,
    client: AuthenticatedClient,

) -> Problem | WorkflowVersionRead | None:
    """ Get Workflow Version

     Any version, of a deleted workflow too (runs pinned to it may still be running).

    Args:
        name (str): A workflow's name
        version (int): A version number, from 1

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WorkflowVersionRead
     """


    return sync_detailed(
        name=name,
version=version,
client=client,

    ).parsed

async def asyncio_detailed(
    name: str,
    version: int,
    *,
    client: AuthenticatedClient,

) -> Response[Problem | WorkflowVersionRead]:
    """ Get Workflow Version

     Any version, of a deleted workflow too (runs pinned to it may still be running).

    Args:
        name (str): A workflow's name
        version (int): A version number, from 1

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WorkflowVersionRead]
     """


    kwargs = _get_kwargs(
        name=name,
version=version,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    name: str,
    version: int,
    *,
    client: AuthenticatedClient,

) -> Problem | WorkflowVersionRead | None:
    """ Get Workflow Version

     Any version, of a deleted workflow too (runs pinned to it may still be running).

    Args:
        name (str): A workflow's name
        version (int): A version number, from 1

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WorkflowVersionRead
     """


    return (await asyncio_detailed(
        name=name,
version=version,
client=client,

    )).parsed
