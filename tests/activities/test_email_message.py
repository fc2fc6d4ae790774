"""build_message: the bytes sent are those of the email package's own compat32 folding."""

import re
from datetime import UTC, datetime
from email.header import Header
from email.policy import compat32

import pytest

from activities import email_delivery
from activities.email_delivery import build_message
from core.mailbox import parse_message
from core.models import Notification

FROM = "Pilotflow <noreply@pilotflow.example>"
LONG_LINK = "https://pilotflow.example/unsubscribe/" + "x" * 180


def row(subject: str) -> Notification:
    return Notification(
        id="n1",
        to_address="contact@lumina.example",
        subject=subject,
        body_text="Bonjour,\nun pilote vous attend.\n",
        body_html="<p>Bonjour, <strong>un pilote</strong> vous attend.</p>\n",
        created_at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        message_id="<0123456789abcdef@pilotflow>",
    )


@pytest.mark.parametrize(
    "subject",
    [
        "New pilot submitted: smart street lighting",
        "Invitation à un pilote : Éclairage public intelligent " * 4,
        "Modifications demandées : <script>alert(1)</script> Bcc: evil@x",
    ],
)
@pytest.mark.parametrize("unsubscribe", [None, LONG_LINK])
def test_the_message_is_byte_for_byte_what_compat32_folding_writes(
    monkeypatch: pytest.MonkeyPatch, subject: str, unsubscribe: str | None
) -> None:
    fast = build_message(row(subject), FROM, unsubscribe)
    monkeypatch.setattr(email_delivery, "_UNFOLDED", compat32.clone(max_line_length=None))
    assert fast == build_message(row(subject), FROM, unsubscribe)
    message = parse_message(fast)
    assert message["List-Unsubscribe"] == (f"<{unsubscribe}>" if unsubscribe else None)
    assert message["Subject"] == " ".join(subject.split())


def test_a_body_holding_the_boundary_line_still_parses_to_its_two_parts() -> None:
    """The boundary is not drawn at random and checked against the text: it is safe
    because the parts are base64, whose lines hold neither "-" nor "_"."""
    boundary = parse_message(build_message(row("Objet"), FROM, None)).get_boundary()
    assert boundary is not None
    assert re.fullmatch(r"[0-9A-Za-z'()+_,./:=?-]{1,70}", boundary)  # RFC 2046's bchars
    hostile = row("Objet")
    hostile.body_text = f"Bonjour,\n--{boundary}\nContent-Type: text/html\n\n<b>x</b>\n"
    hostile.body_html = f"<p>--{boundary}--</p>\n"
    message = parse_message(build_message(hostile, FROM, None))
    parts = message.get_payload()
    assert isinstance(parts, list) and len(parts) == 2
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["base64", "base64"]
    text, html = (part.get_payload(decode=True).decode() for part in parts)
    assert (text, html) == (hostile.body_text, hostile.body_html)


def test_a_value_that_is_not_one_line_of_ascii_is_folded_the_usual_way() -> None:
    policy = email_delivery._UNFOLDED
    assert policy.fold_binary("X-Note", "line one\r\n two") == compat32.clone(
        max_line_length=None
    ).fold_binary("X-Note", "line one\r\n two")
    encoded = Header("Éclairage", "utf-8", header_name="Subject")
    assert policy.fold_binary("Subject", encoded) == b"Subject: =?utf-8?q?=C3=89clairage?=\n"
