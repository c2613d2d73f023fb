from enum import StrEnum

class ListBatchesStatusType0(StrEnum):
    FINISHED = "finished"
    OPEN = "open"

    def __str__(self) -> str:
        return str(self.value)
