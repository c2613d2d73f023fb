from enum import StrEnum

class WaitReadReasonType0(StrEnum):
    QUORUM = "quorum"
    TIMEOUT = "timeout"

    def __str__(self) -> str:
        return str(self.value)
