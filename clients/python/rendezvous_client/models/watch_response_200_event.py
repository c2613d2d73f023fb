from enum import StrEnum

class WatchResponse200Event(StrEnum):
    CHANGE = "change"

    def __str__(self) -> str:
        return str(self.value)
