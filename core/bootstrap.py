"""What every region needs before anyone can sign in: the first admin, from the settings."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import User
from core.security import hash_password
from core.settings import Settings


async def ensure_first_admin(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> User:
    """The admin named by `admin_email`, created with `admin_password` if absent.

    An existing user keeps its password: the setting only seeds a new region. Safe to call
    from several processes starting at once (API replicas): the loser of the race reads the
    winner's row.
    """
    email = settings.admin_email.strip().lower()
    async with sessions() as session:
        existing = await _find(session, email)
        if existing is not None:
            return existing
        admin = User(
            email=email,
            name="Administrator",
            role="admin",
            password_hash=hash_password(settings.admin_password),
        )
        session.add(admin)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            winner = await _find(session, email)
            if winner is None:
                raise
            return winner
        return admin


async def _find(session: AsyncSession, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
