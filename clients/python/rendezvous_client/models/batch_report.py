from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.errored_item import ErroredItem





T = TypeVar("T", bound="BatchReport")



@_attrs_define
class BatchReport:
    """ Outcomes of pending ids. ``processed`` may be a bare count: then the batch is done.

        Attributes:
            done (bool | None | Unset):
            errored (list[ErroredItem] | Unset):
            processed (int | list[int | str] | Unset):
            skipped (list[int | str] | Unset):
     """

    done: bool | None | Unset = UNSET
    errored: list[ErroredItem] | Unset = UNSET
    processed: int | list[int | str] | Unset = UNSET
    skipped: list[int | str] | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.errored_item import ErroredItem # noqa: PLC0415
        done: bool | None | Unset
        if isinstance(self.done, Unset):
            done = UNSET
        else:
            done = self.done

        errored: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errored, Unset):
            errored = []
            for errored_item_data in self.errored:
                errored_item = errored_item_data.to_dict()
                errored.append(errored_item)



        processed: int | list[int | str] | Unset
        if isinstance(self.processed, Unset):
            processed = UNSET
        elif isinstance(self.processed, list):
            processed = []
            for processed_type_0_item_data in self.processed:
                processed_type_0_item: int | str
                processed_type_0_item = processed_type_0_item_data
                processed.append(processed_type_0_item)


        else:
            processed = self.processed

        skipped: list[int | str] | Unset = UNSET
        if not isinstance(self.skipped, Unset):
            skipped = []
            for skipped_item_data in self.skipped:
                skipped_item: int | str
                skipped_item = skipped_item_data
                skipped.append(skipped_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if done is not UNSET:
            field_dict["done"] = done
        if errored is not UNSET:
            field_dict["errored"] = errored
        if processed is not UNSET:
            field_dict["processed"] = processed
        if skipped is not UNSET:
            field_dict["skipped"] = skipped

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.errored_item import ErroredItem # noqa: PLC0415
        d = dict(src_dict)
        def _parse_done(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        done = _parse_done(d.pop("done", UNSET))


        _errored = d.pop("errored", UNSET)
        errored: list[ErroredItem] | Unset = UNSET
        if _errored is not UNSET:
            errored = []
            for errored_item_data in _errored:
                errored_item = ErroredItem.from_dict(errored_item_data)



                errored.append(errored_item)


        def _parse_processed(data: object) -> int | list[int | str] | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                processed_type_0 = []
                _processed_type_0 = data
                for processed_type_0_item_data in (_processed_type_0):
                    def _parse_processed_type_0_item(data: object) -> int | str:
                        return cast(int | str, data)

                    processed_type_0_item = _parse_processed_type_0_item(processed_type_0_item_data)

                    processed_type_0.append(processed_type_0_item)

                return processed_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(int | list[int | str] | Unset, data)

        processed = _parse_processed(d.pop("processed", UNSET))


        _skipped = d.pop("skipped", UNSET)
        skipped: list[int | str] | Unset = UNSET
        if _skipped is not UNSET:
            skipped = []
            for skipped_item_data in _skipped:
                def _parse_skipped_item(data: object) -> int | str:
                    return cast(int | str, data)

                skipped_item = _parse_skipped_item(skipped_item_data)

                skipped.append(skipped_item)


        batch_report = cls(
            done=done,
            errored=errored,
            processed=processed,
            skipped=skipped,
        )

        return batch_report

