from enum import StrEnum

class ListGathersOrder(StrEnum):
    ID = "id"
    VALUE_1 = "-resolved_at"

    def __str__(self) -> str:
        return str(self.value)
