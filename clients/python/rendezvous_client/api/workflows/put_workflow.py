from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.put_workflow_body import PutWorkflowBody
from ...models.workflow_version_read import WorkflowVersionRead
from typing import cast



def _get_kwargs(
    name: str,
    *,
    body: PutWorkflowBody,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/workflows/{name}".format(name=quote(str(name), safe=""),),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | WorkflowVersionRead | None:
    if response.status_code == 200:
        response_200 = WorkflowVersionRead.from_dict(response.json())



        return response_200

    if response.status_code == 201:
        response_201 = WorkflowVersionRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | WorkflowVersionRead]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: str,
    *,
    client: AuthenticatedClient,
    body: PutWorkflowBody,

) -> Response[Problem | WorkflowVersionRead]:
    """ Put Workflow

     Store a definition: version 1 (201); the latest version again for the same body (200); the next
    version for a changed body, or for any body once the workflow was deleted (201).

    Args:
        name (str): A workflow's name
        body (PutWorkflowBody): A workflow definition: the phase form (distribot) or the DAG form
            (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WorkflowVersionRead]
     """


    kwargs = _get_kwargs(
        name=name,
body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    name: str,
    *,
    client: AuthenticatedClient,
    body: PutWorkflowBody,

) -> Problem | WorkflowVersionRead | None:
    """ Put Workflow

     Store a definition: version 1 (201); the latest version again for the same body (200); the next
    version for a changed body, or for any body once the workflow was deleted (201).

    Args:
        name (str): A workflow's name
        body (PutWorkflowBody): A workflow definition: the phase form (distribot) or the DAG form
            (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WorkflowVersionRead
     """


    return sync_detailed(
        name=name,
client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    name: str,
    *,
    client: AuthenticatedClient,
    body: PutWorkflowBody,

) -> Response[Problem | WorkflowVersionRead]:
    """ Put Workflow

     Store a definition: version 1 (201); the latest version again for the same body (200); the next
    version for a changed body, or for any body once the workflow was deleted (201).

    Args:
        name (str): A workflow's name
        body (PutWorkflowBody): A workflow definition: the phase form (distribot) or the DAG form
            (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | WorkflowVersionRead]
     """


    kwargs = _get_kwargs(
        name=name,
body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    name: str,
    *,
    client: AuthenticatedClient,
    body: PutWorkflowBody,

) -> Problem | WorkflowVersionRead | None:
    """ Put Workflow

     Store a definition: version 1 (201); the latest version again for the same body (200); the next
    version for a changed body, or for any body once the workflow was deleted (201).

    Args:
        name (str): A workflow's name
        body (PutWorkflowBody): A workflow definition: the phase form (distribot) or the DAG form
            (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | WorkflowVersionRead
     """


    return (await asyncio_detailed(
        name=name,
client=client,
body=body,

    )).parsed
