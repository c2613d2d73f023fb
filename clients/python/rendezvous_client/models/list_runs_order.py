from enum import StrEnum

class ListRunsOrder(StrEnum):
    ID = "id"
    VALUE_1 = "-finished_at"

    def __str__(self) -> str:
        return str(self.value)
