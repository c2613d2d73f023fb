"""/v1/caller (who the key is), /v1/namespace (the signing secret), /v1/namespaces and /v1/keys (admin)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.access import reads, service
from app.access.schemas import (
    CallerRead,
    KeyCreate,
    KeyCreated,
    KeyRead,
    NamespaceCreate,
    NamespaceInfo,
    NamespaceName,
    NamespaceRead,
)
from app.config import Settings
from app.core.caller import Caller
from app.core.pagination import Page
from app.deliveries import signing
from app.deps import AdminDep, CallerDep, CursorQuery, LimitQuery, RuntimeDep, SecretReaderDep
from app.errors import Forbidden, NotFound, responses

router = APIRouter(tags=["access"])
KeyId = Annotated[str, Path(pattern=r"^key_[0-9a-z]{26}$", description="An API key's id")]


def is_operator(caller: Caller, settings: Settings) -> bool:
    """Admin keys of the admin namespace (and dev mode) manage every namespace; other admins their own."""
    return caller.key_id is None or caller.namespace == settings.admin_namespace


def _scope(caller: Caller, settings: Settings, namespace: str | None) -> str | None:
    """The namespace an admin request acts on: None means all (operator listing everything)."""
    if is_operator(caller, settings):
        return namespace
    if namespace is not None and namespace != caller.namespace:
        raise NotFound(f"namespace {namespace!r} does not exist")
    return caller.namespace


@router.get("/v1/caller", operation_id="getCaller")
async def get_caller(rt: RuntimeDep, caller: CallerDep) -> CallerRead:
    """The namespace and role of the request's key, for any key: what a client (the console) may offer."""
    return CallerRead(namespace=caller.namespace, role=caller.role, key_id=caller.key_id, dev=rt.settings.dev)


@router.get("/v1/namespace", operation_id="getNamespace", responses=responses(403))
async def get_namespace(rt: RuntimeDep, caller: SecretReaderDep) -> NamespaceRead:
    """The caller's namespace and its webhook signing secret (``whsec_…``); write and admin keys."""
    row = await rt.db.run(lambda tx: signing.ensure(tx, caller.namespace))
    return NamespaceRead.from_row(row)


@router.post(
    "/v1/namespace/rotate-signing-secret", operation_id="rotateSigningSecret", responses=responses(403)
)
async def rotate_signing_secret(rt: RuntimeDep, caller: AdminDep) -> NamespaceRead:
    """A new signing secret; the previous one keeps signing too (two signatures) for the grace period."""
    grace = timedelta(hours=rt.settings.signing_secret_grace_hours)
    row = await rt.db.run(lambda tx: signing.rotate(tx, caller.namespace, grace=grace))
    return NamespaceRead.from_row(row)


@router.get("/v1/namespaces", operation_id="listNamespaces", responses=responses(403, 422))
async def list_namespaces(
    rt: RuntimeDep, caller: AdminDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> Page[NamespaceInfo]:
    """Every namespace for the operator; an admin of another namespace sees its own."""
    only = _scope(caller, rt.settings, None)
    async with rt.db.read() as conn:
        return await reads.list_namespaces(conn, only=only, limit=limit, cursor=cursor)


@router.post(
    "/v1/namespaces",
    operation_id="createNamespace",
    status_code=status.HTTP_201_CREATED,
    responses={**responses(403, 422), 200: {"model": NamespaceInfo, "description": "It existed already"}},
)
async def create_namespace(
    body: NamespaceCreate, response: Response, rt: RuntimeDep, caller: AdminDep
) -> NamespaceInfo:
    """Create a namespace (201; 200 when it exists). Operator only."""
    if not is_operator(caller, rt.settings):
        raise Forbidden("only admin keys of the admin namespace create namespaces")
    row, created = await rt.db.run(lambda tx: signing.create(tx, body.name))
    if not created:
        response.status_code = status.HTTP_200_OK
    return NamespaceInfo.from_row(row)


@router.get("/v1/keys", operation_id="listKeys", responses=responses(403, 404, 422))
async def list_keys(
    rt: RuntimeDep,
    caller: AdminDep,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
    namespace: Annotated[NamespaceName | None, Query()] = None,
) -> Page[KeyRead]:
    """API keys (never the keys themselves), oldest first; the operator may list any namespace's."""
    scope = _scope(caller, rt.settings, namespace)
    async with rt.db.read() as conn:
        return await reads.list_keys(conn, namespace=scope, limit=limit, cursor=cursor)


@router.post(
    "/v1/keys",
    operation_id="createKey",
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 422),
)
async def create_key(body: KeyCreate, rt: RuntimeDep, caller: AdminDep) -> KeyCreated:
    """A new key, shown once in ``key``. In the caller's namespace unless the operator names another."""
    namespace = _scope(caller, rt.settings, body.namespace) or caller.namespace
    row, key = await rt.db.run(
        lambda tx: service.create_key(tx, namespace=namespace, role=body.role, name=body.name)
    )
    return KeyCreated.with_key(row, key)


@router.delete("/v1/keys/{key_id}", operation_id="revokeKey", responses=responses(403, 404, 422))
async def revoke_key(key_id: KeyId, rt: RuntimeDep, caller: AdminDep) -> KeyRead:
    """Revoke a key: it stops working at once here, and within the key cache's lifetime on other replicas."""
    scope = _scope(caller, rt.settings, None)
    row = await rt.db.run(lambda tx: service.revoke_key(tx, key_id=key_id, namespace=scope))
    rt.keys.forget(key_id)
    return KeyRead.from_row(row)
