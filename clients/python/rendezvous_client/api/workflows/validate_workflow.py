from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.problem import Problem
from ...models.validate_workflow_body import ValidateWorkflowBody
from ...models.validation import Validation
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: ValidateWorkflowBody,
    name: None | str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    params: dict[str, Any] = {}

    json_name: None | str | Unset
    if isinstance(name, Unset):
        json_name = UNSET
    else:
        json_name = name
    params["name"] = json_name


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/workflows/validate",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Validation | None:
    if response.status_code == 200:
        response_200 = Validation.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Validation]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ValidateWorkflowBody,
    name: None | str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> Response[Problem | Validation]:
    """ Validate Workflow

     Compile a definition as the PUT would: every fault and warning, and the graph; stores nothing.

    Args:
        name (None | str | Unset): Also check a workflow/name key against it
        idempotency_key (str | Unset):
        body (ValidateWorkflowBody): A workflow definition: the phase form (distribot) or the DAG
            form (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Validation]
     """


    kwargs = _get_kwargs(
        body=body,
name=name,
idempotency_key=idempotency_key,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    body: ValidateWorkflowBody,
    name: None | str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> Problem | Validation | None:
    """ Validate Workflow

     Compile a definition as the PUT would: every fault and warning, and the graph; stores nothing.

    Args:
        name (None | str | Unset): Also check a workflow/name key against it
        idempotency_key (str | Unset):
        body (ValidateWorkflowBody): A workflow definition: the phase form (distribot) or the DAG
            form (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Validation
     """


    return sync_detailed(
        client=client,
body=body,
name=name,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ValidateWorkflowBody,
    name: None | str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> Response[Problem | Validation]:
    """ Validate Workflow

     Compile a definition as the PUT would: every fault and warning, and the graph; stores nothing.

    Args:
        name (None | str | Unset): Also check a workflow/name key against it
        idempotency_key (str | Unset):
        body (ValidateWorkflowBody): A workflow definition: the phase form (distribot) or the DAG
            form (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Validation]
     """


    kwargs = _get_kwargs(
        body=body,
name=name,
idempotency_key=idempotency_key,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ValidateWorkflowBody,
    name: None | str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> Problem | Validation | None:
    """ Validate Workflow

     Compile a definition as the PUT would: every fault and warning, and the graph; stores nothing.

    Args:
        name (None | str | Unset): Also check a workflow/name key against it
        idempotency_key (str | Unset):
        body (ValidateWorkflowBody): A workflow definition: the phase form (distribot) or the DAG
            form (JobFlow); at most 262144 bytes as compact JSON

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Validation
     """


    return (await asyncio_detailed(
        client=client,
body=body,
name=name,
idempotency_key=idempotency_key,

    )).parsed
