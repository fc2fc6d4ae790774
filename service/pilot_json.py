"""The JSON API's pilots as bytes: each pilot's answer made once per stored state and reader.

Decoding, disclosing, validating and serialising each pilot of a list on every read was
most of a read's CPU (issue 10). The part of a pilot's answer that depends only on its
stored state and on how the reader relates to it (core.disclosure) is made once per process
and kept, keyed by the state's JSON text, so a hit is exact. What the reader may do now
(`allowed_actions`, which the clock decides too) is worked out on every read and put in its
place. The bytes are those FastAPI would write for `to_public`'s model: tests compare them.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from pydantic import TypeAdapter

from core.disclosure import Relation, Viewer, disclose, relation_of
from core.models import User
from core.pilot_repository import StoredState, decode_state
from service.pilots import actor_of, public_model, viewer_of
from service.schemas.pilots import PilotPublic
from workflows.contracts import Actor
from workflows.stages import allowed_actions

# A few kinds of reader (town side, admin, each company) times the pilots read most.
ANSWERS_KEPT = 8192

_PUBLIC = TypeAdapter(PilotPublic)
_ACTIONS_KEY = b'"allowed_actions":'


def pilot_json(stored: StoredState, user: User) -> bytes:
    """The pilot as this user may read it, with what they may do now: `PilotPublic` as JSON."""
    return _Reader.of(user).answer(stored)


def page_json(page: list[StoredState], next_cursor: str | None, user: User) -> bytes:
    """A page of pilots as this user may read them: `PilotPage` as JSON."""
    reader = _Reader.of(user)
    items = b",".join([reader.answer(stored) for stored in page])
    return b'{"items":[' + items + b'],"next_cursor":' + _json(next_cursor) + b"}"


@dataclass(frozen=True, slots=True)
class _Reader:
    """Who reads, as disclosure and the stage rules see them, and when: once per request."""

    viewer: Viewer
    actor: Actor
    now: datetime

    @classmethod
    def of(cls, user: User) -> "_Reader":
        return cls(viewer_of(user), actor_of(user), datetime.now(UTC))

    def answer(self, stored: StoredState) -> bytes:
        relation = relation_of(stored.state, self.viewer)
        before, after = _answer_around_actions(stored.document, relation, self.viewer.company_id)
        actions = allowed_actions(stored.state, self.actor, self.now)
        return before + _actions_json(tuple(actions)) + after


@lru_cache(maxsize=ANSWERS_KEPT)
def _answer_around_actions(
    document: str, relation: Relation, company_id: str | None
) -> tuple[bytes, bytes]:
    """The answer for this stored state and reader, cut where its allowed actions go.

    A string inside the answer cannot hold the key's unescaped quotes, so the first match
    is the key itself.
    """
    view = disclose(decode_state(document), relation, company_id=company_id)
    answer = _PUBLIC.dump_json(public_model(view, []))
    before, key, after = answer.partition(_ACTIONS_KEY + b"[]")
    assert key, "PilotPublic has an allowed_actions field"
    return before + _ACTIONS_KEY, after


@lru_cache(maxsize=256)
def _actions_json(actions: tuple[str, ...]) -> bytes:
    return _json(list(actions))


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
