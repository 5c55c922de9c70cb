"""Reading a record back: the inverse of ``CallRecord.as_json()``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from runner.store._errors import RecordError
from runner.types import (
    TERMINAL_STATES,
    CallRecord,
    Direction,
    EndReason,
    Lifecycle,
    Speaker,
    TranscriptEntry,
    Turn,
)


@dataclasses.dataclass(frozen=True)
class _Shape:
    """The keys one dataclass's JSON object may and must have."""

    what: str
    keys: frozenset[str]
    required: frozenset[str]
    #: Keys as_json() adds for readers of the export; computed, so dropped on the way in.
    derived: frozenset[str] = frozenset()


def _shape(cls: type[Any], what: str, derived: frozenset[str] = frozenset()) -> _Shape:
    fields = dataclasses.fields(cls)
    required = {
        field.name
        for field in fields
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    }
    return _Shape(what, frozenset(field.name for field in fields), frozenset(required), derived)


_RECORD = _shape(CallRecord, "record", derived=frozenset({"said"}))
_TURN = _shape(Turn, "turn", derived=frozenset({"latency", "listen_wait"}))
_ENTRY = _shape(TranscriptEntry, "transcript entry")


def record_from_json(data: Mapping[str, Any]) -> CallRecord:
    """Rebuild a ``CallRecord`` from ``as_json()`` output, enums and nested dataclasses too.

    Raises ``RecordError`` for anything else: a missing or unknown key, a value outside
    its enum, a list that is not a list.
    """
    call_id = data.get("id") if isinstance(data, Mapping) and isinstance(data.get("id"), str) else None
    try:
        values = _values(data, _RECORD)
        values["direction"] = Direction(values["direction"])
        if "lifecycle" in values:
            values["lifecycle"] = _lifecycle(values["lifecycle"])
        if values.get("end_reason") is not None:
            values["end_reason"] = EndReason(values["end_reason"])
        values["transcript"] = [_entry(entry) for entry in _list(values, "transcript")]
        values["turns"] = [Turn(**_values(turn, _TURN)) for turn in _list(values, "turns")]
        return CallRecord(**values)
    except ValueError as error:
        raise RecordError(str(error), call_id) from None


def _entry(data: Any) -> TranscriptEntry:
    values = _values(data, _ENTRY)
    values["speaker"] = Speaker(values["speaker"])
    return TranscriptEntry(**values)


def _values(data: Any, shape: _Shape) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a {shape.what} object, found {type(data).__name__}")
    missing = sorted(shape.required - data.keys())
    if missing:
        raise ValueError(f"{shape.what} has no {', '.join(missing)}")
    # A key this version does not know would be lost on the next save: refuse it instead.
    unknown = sorted(data.keys() - shape.keys - shape.derived)
    if unknown:
        raise ValueError(f"unknown {shape.what} key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    return {key: value for key, value in data.items() if key in shape.keys}


def _list(values: Mapping[str, Any], key: str) -> list[Any]:
    items = values.get(key, [])
    if not isinstance(items, list):
        raise ValueError(f"expected a list for {key}, found {type(items).__name__}")
    return items


def _lifecycle(value: Any) -> str:
    # The field holds a Lifecycle state while the call runs, then the EndReason it ended with.
    if value in TERMINAL_STATES:
        return EndReason(value)
    return Lifecycle(value)
