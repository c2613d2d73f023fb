from enum import StrEnum

class GatherCreateOnFailure(StrEnum):
    FAIL_FAST = "fail_fast"
    WAIT_ALL = "wait_all"

    def __str__(self) -> str:
        return str(self.value)
