"""How payloads cross Temporal: pydantic's JSON, with each type's adapter built once a process.

Pydantic reads and writes the dates, datetimes, enums and dataclasses of the contracts. It
reads the JSON the default converter wrote, so recorded histories still replay; it writes a
UTC datetime with `Z` where that wrote `+00:00`, the same instant to both.

temporalio's pydantic converter caches a `TypeAdapter` per type, but in the converter
object, and the workflow sandbox builds a new converter for every workflow instance it
starts. Every pilot the worker took on (a new pilot, or one that woke from its timer after
leaving the worker's cache) rebuilt the adapter of `PilotInput`, its whole tree of
dataclasses: 14 % of the pilots' worker's CPU in a burst (issue 10, docs/PERFORMANCE.md).
Here the adapters live in this module, outside the sandbox, shared by every converter. The
contracts' classes pass through the sandbox (workflows/pilot.py), so a type is the same
object in every instance and its adapter is built once.
"""

import functools
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

# Types are few (the contracts' inputs and results); the bound only guards against a leak.
MAX_ADAPTERS = 256


@functools.lru_cache(maxsize=MAX_ADAPTERS)
def type_adapter(type_hint: Any) -> TypeAdapter[Any]:
    """The one adapter of this type in this process."""
    return TypeAdapter(type_hint)


class SharedAdaptersJSONConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic's JSON converter, reading through the process's shared adapters."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        hint = Any if type_hint is None else type_hint
        try:
            adapter = type_adapter(hint)
        except TypeError:  # an unhashable hint: pydantic's own path, uncached
            return super().from_payload(payload, type_hint)
        return adapter.validate_json(payload.data)


class PayloadConverter(CompositePayloadConverter):
    """The default encodings, with JSON through `SharedAdaptersJSONConverter`."""

    def __init__(self) -> None:
        json_converter = SharedAdaptersJSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = DataConverter(payload_converter_class=PayloadConverter)
