from enum import StrEnum

class BulkResultResult(StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    UNCHANGED = "unchanged"

    def __str__(self) -> str:
        return str(self.value)
