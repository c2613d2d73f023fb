from enum import StrEnum

class RunCreateEventsItem(StrEnum):
    PHASE_ENTERED = "phase.entered"
    RUN_CANCELLED = "run.cancelled"
    RUN_PAUSED = "run.paused"
    RUN_REDRIVEN = "run.redriven"
    RUN_RESUMED = "run.resumed"
    STEP_COMPLETED = "step.completed"
    STEP_FAILED = "step.failed"
    STEP_SKIPPED = "step.skipped"
    STEP_SUCCEEDED = "step.succeeded"
    TASK_FAILED = "task.failed"
    TASK_RETRY_SCHEDULED = "task.retry_scheduled"

    def __str__(self) -> str:
        return str(self.value)
