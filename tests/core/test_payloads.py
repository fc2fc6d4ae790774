"""Every converter of the process (one per workflow instance, in the sandbox) shares adapters."""

import importlib.util
from pathlib import Path
from typing import Annotated

import pytest

import workflows
from cli.worker import compile_workflow_bytecode
from core.payloads import PayloadConverter, type_adapter
from tests.support.sample_pilot import sample_pilot_state
from workflows.contracts import PilotState


def test_two_converters_build_a_types_adapter_once_and_read_the_same_value() -> None:
    state = sample_pilot_state()
    first, second = PayloadConverter(), PayloadConverter()
    payloads = first.to_payloads([state])
    type_adapter.cache_clear()

    read_by_first = first.from_payloads(payloads, [PilotState])
    read_by_second = second.from_payloads(payloads, [PilotState])

    assert read_by_first == read_by_second == [state]
    assert type_adapter.cache_info().misses == 1
    assert type_adapter.cache_info().hits == 1


def test_an_unhashable_hint_is_read_without_the_cache() -> None:
    converter = PayloadConverter()
    payloads = converter.to_payloads([[1, 2]])
    unhashable = Annotated[list[int], {"note": "a dict in the metadata"}]
    with pytest.raises(TypeError):
        hash(unhashable)
    type_adapter.cache_clear()

    assert converter.from_payloads(payloads, [unhashable]) == [[1, 2]]
    assert type_adapter.cache_info().currsize == 0


def test_the_worker_writes_the_workflows_bytecode_the_sandbox_reads() -> None:
    source = Path(workflows.__file__).parent / "pilot.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)

    assert compile_workflow_bytecode()

    assert cached.exists()
    assert cached.stat().st_mtime >= source.stat().st_mtime
