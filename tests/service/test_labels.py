"""Every coded value the pages show has a label, in English and in French."""

from enum import StrEnum

import pytest

from core.models import NotificationStatus
from service.pages import labels
from service.pages.i18n import translator
from workflows.contracts import CandidateStatus, Decision, EventKind, ReviewDecision, WaitingOn
from workflows.stages import Role, Stage

LABELLED: list[tuple[str, type[StrEnum]]] = [
    ("stage", Stage),
    ("candidate", CandidateStatus),
    ("role", Role),
    ("waiting_on", WaitingOn),
    ("decision", ReviewDecision),
    ("decision", Decision),
    ("email_status", NotificationStatus),
    ("event", EventKind),
]


@pytest.mark.parametrize(("kind", "codes"), LABELLED)
def test_every_member_has_a_label_in_both_languages(kind: str, codes: type[StrEnum]) -> None:
    table = labels.LABELS[kind]
    for code in codes:
        english = table[code]
        assert english and english != code.value, (kind, code)
        assert translator("fr")(english) != english, (kind, code, english)
        assert translator("en")(english) == english


def test_a_table_holds_no_code_its_enums_lack() -> None:
    for kind in {kind for kind, _codes in LABELLED}:
        members = {c.value for k, codes in LABELLED if k == kind for c in codes}
        assert set(labels.LABELS[kind]) == members, kind


def test_a_member_without_a_label_fails_at_import() -> None:
    with pytest.raises(ValueError, match="WaitingOn companies"):
        labels._every(WaitingOn, {WaitingOn.ADMIN: "a", WaitingOn.TOWN: "b"})
