"""Objects loaded at start are frozen out of the collector's full passes, and only while
the process runs: garbage made meanwhile is still collected."""

import gc
import weakref

from fastapi import FastAPI

from core.garbage_collection import startup_objects_frozen


class Node:
    """An object that can hold itself in a cycle, which only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me: Node | None = None


def cycle() -> weakref.ref[Node]:
    node = Node()
    node.me = node
    return weakref.ref(node)


def test_what_is_alive_at_start_is_frozen_until_the_block_ends() -> None:
    loaded = Node()
    with startup_objects_frozen() as frozen:
        assert frozen > 0
        assert not any(o is loaded for o in gc.get_objects())  # out of every generation
    assert gc.get_freeze_count() == 0
    assert any(o is loaded for o in gc.get_objects())


def test_cycles_made_while_frozen_are_still_collected() -> None:
    with startup_objects_frozen():
        garbage = cycle()
        gc.collect()
        assert garbage() is None


def test_garbage_left_at_start_is_collected_not_frozen() -> None:
    gc.disable()  # so the cycle is still there when the block starts
    try:
        left = cycle()
        with startup_objects_frozen():
            pass
    finally:
        gc.enable()
    # Frozen objects are collected before they are frozen: only live ones are kept.
    assert left() is None


async def test_the_api_freezes_its_start_up_while_it_serves(app: FastAPI) -> None:
    # The `app` fixture is inside its lifespan: what it loaded is frozen now.
    assert gc.get_freeze_count() > 0
