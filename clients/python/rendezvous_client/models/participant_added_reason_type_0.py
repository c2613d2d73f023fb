from enum import StrEnum

class ParticipantAddedReasonType0(StrEnum):
    QUORUM = "quorum"
    TIMEOUT = "timeout"

    def __str__(self) -> str:
        return str(self.value)
