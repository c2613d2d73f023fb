"""Path convertors. ``jobid``: a job id in a path stops before its own sub-resource segments.

``/v1/jobs/{job_id:jobid}`` therefore never swallows ``/v1/jobs/a/batches/1`` or ``/v1/jobs/a/seal``, so a
method a sub-resource does not have is a 405 instead of reaching the job's own routes. Import this module
before declaring such routes.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

from app.core.ids import RESERVED_GATHER_PATH, RESERVED_JOB_PATH


class JobIdConvertor(Convertor[str]):
    regex = rf"(?:(?!{RESERVED_JOB_PATH})[\s\S])+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class ClientIdConvertor(Convertor[str]):
    """A client id in a path, never starting ``-/`` (valid ids start with a letter or digit), so
    ``/v1/waits/-/{wait_id}`` is never read as a group key; other bad ids reach validation (422)."""

    regex = r"(?!-/)[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class GatherIdConvertor(Convertor[str]):
    regex = rf"(?:(?!{RESERVED_GATHER_PATH})[\s\S])+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("jobid", JobIdConvertor())
register_url_convertor("gatherid", GatherIdConvertor())
register_url_convertor("clientid", ClientIdConvertor())
