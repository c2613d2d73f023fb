from enum import StrEnum

class ListWaitsStatusType0(StrEnum):
    CANCELLED = "cancelled"
    RESOLVED = "resolved"
    WAITING = "waiting"

    def __str__(self) -> str:
        return str(self.value)
