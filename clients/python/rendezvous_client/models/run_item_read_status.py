from enum import StrEnum

class RunItemReadStatus(StrEnum):
    CANCELLED = "cancelled"
    DISPATCHED = "dispatched"
    FAILED = "failed"
    READY = "ready"
    RETRY_SCHEDULED = "retry_scheduled"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    THROTTLED = "throttled"
    TIMED_OUT = "timed_out"
    WAITING = "waiting"

    def __str__(self) -> str:
        return str(self.value)
