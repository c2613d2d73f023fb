from enum import StrEnum

class BatchReadFinishedByType0(StrEnum):
    ABORT = "abort"
    CREATED_EMPTY = "created_empty"
    PENDING_SET = "pending_set"
    REPORT = "report"

    def __str__(self) -> str:
        return str(self.value)
