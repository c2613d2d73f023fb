from enum import StrEnum

class WaitReadStatus(StrEnum):
    CANCELLED = "cancelled"
    RESOLVED = "resolved"
    WAITING = "waiting"

    def __str__(self) -> str:
        return str(self.value)
