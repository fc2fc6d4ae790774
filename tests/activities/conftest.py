"""The seeded region and the SMTP sink that the email activities' tests share."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.smtp_sink import SmtpSink
from tests.activities.test_notifications import seed
from tests.support.smtp import running_sink


@pytest.fixture
async def region(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The read model seeded with the towns, companies and users of `seed`."""
    await seed(sessions)
    return sessions


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[SmtpSink]:
    """A real SMTP server on loopback that keeps every message in `mailbox/`."""
    with running_sink(tmp_path / "mailbox") as smtp:
        yield smtp
