from enum import StrEnum

class BatchReadStatus(StrEnum):
    FINISHED = "finished"
    OPEN = "open"

    def __str__(self) -> str:
        return str(self.value)
