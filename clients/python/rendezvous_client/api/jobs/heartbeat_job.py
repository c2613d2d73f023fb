from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.job_heartbeat import JobHeartbeat
from ...models.job_read import JobRead
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    job_id: str,
    *,
    body: JobHeartbeat | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs/{job_id}/heartbeat".format(job_id=quote(str(job_id), safe=""),),
    }

    
    if isinstance(body, JobHeartbeat):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> JobRead | Problem | None:
    if response.status_code == 200:
        response_200 = JobRead.from_dict(response.json())



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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[JobRead | Problem]:
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
    body: JobHeartbeat | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> Response[JobRead | Problem]:
    """ Heartbeat Job

     Mark the job running and move its deadline. With timeout_seconds the deadline moves to now +
    that; without it, a job registered with heartbeat_seconds moves it to now + heartbeat_seconds, and
    others keep it. A job with a timeout_at (one registered with heartbeat_seconds, and every workflow
    attempt) never gets a deadline past it. A finished job (timed out, cancelled…) is 409 with
    the job, and nothing changes.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (JobHeartbeat | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobRead | Problem]
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
    body: JobHeartbeat | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> JobRead | Problem | None:
    """ Heartbeat Job

     Mark the job running and move its deadline. With timeout_seconds the deadline moves to now +
    that; without it, a job registered with heartbeat_seconds moves it to now + heartbeat_seconds, and
    others keep it. A job with a timeout_at (one registered with heartbeat_seconds, and every workflow
    attempt) never gets a deadline past it. A finished job (timed out, cancelled…) is 409 with
    the job, and nothing changes.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (JobHeartbeat | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobRead | Problem
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
    body: JobHeartbeat | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> Response[JobRead | Problem]:
    """ Heartbeat Job

     Mark the job running and move its deadline. With timeout_seconds the deadline moves to now +
    that; without it, a job registered with heartbeat_seconds moves it to now + heartbeat_seconds, and
    others keep it. A job with a timeout_at (one registered with heartbeat_seconds, and every workflow
    attempt) never gets a deadline past it. A finished job (timed out, cancelled…) is 409 with
    the job, and nothing changes.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (JobHeartbeat | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobRead | Problem]
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
    body: JobHeartbeat | None | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,

) -> JobRead | Problem | None:
    """ Heartbeat Job

     Mark the job running and move its deadline. With timeout_seconds the deadline moves to now +
    that; without it, a job registered with heartbeat_seconds moves it to now + heartbeat_seconds, and
    others keep it. A job with a timeout_at (one registered with heartbeat_seconds, and every workflow
    attempt) never gets a deadline past it. A finished job (timed out, cancelled…) is 409 with
    the job, and nothing changes.

    Args:
        job_id (str): A client-chosen id
        idempotency_key (str | Unset):
        body (JobHeartbeat | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobRead | Problem
     """


    return (await asyncio_detailed(
        job_id=job_id,
client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
