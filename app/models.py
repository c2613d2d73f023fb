"""Every table, imported in one place for alembic's autogenerate and for tests."""

from app.access.models import api_keys, idempotency_keys
from app.batches.models import batch_items, batch_ledgers, batches
from app.core.db import metadata
from app.core.replicas import replicas
from app.deliveries.models import deliveries, delivery_attempts, namespaces
from app.gathers.models import gather_members, gathers
from app.jobs.models import jobs
from app.waits.models import wait_participants, waits
from app.workflows.models import handlers, workflow_versions, workflows
from app.workflows.run_models import run_history, run_items, run_steps, runs

__all__ = [
    "api_keys",
    "batch_items",
    "batch_ledgers",
    "batches",
    "deliveries",
    "delivery_attempts",
    "gather_members",
    "gathers",
    "handlers",
    "idempotency_keys",
    "jobs",
    "metadata",
    "namespaces",
    "replicas",
    "run_history",
    "run_items",
    "run_steps",
    "runs",
    "wait_participants",
    "waits",
    "workflow_versions",
    "workflows",
]
