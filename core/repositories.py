"""Queries on reference data and users; repositories add and flush, their caller commits."""

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Base, Company, Theme, Town, User

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    """Get, list and add one model's rows by primary key."""

    model: type[M]
    key: ClassVar[InstrumentedAttribute[Any]]
    order: ClassVar[InstrumentedAttribute[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> M | None:
        return await self.session.get(self.model, key)

    async def all(self) -> Sequence[M]:
        # Class access: a mapped attribute read through an instance would try to load a value.
        cls = type(self)
        result = await self.session.execute(select(self.model).order_by(cls.order, cls.key))
        return result.scalars().all()

    async def add(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        return row

    async def flush(self) -> None:
        await self.session.flush()

    async def missing(self, keys: Iterable[str]) -> list[str]:
        """The given keys that have no row, in the order given."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        column = type(self).key
        result = await self.session.execute(select(column).where(column.in_(wanted)))
        found = set(result.scalars())
        return [key for key in wanted if key not in found]

    async def _one_where(self, column: InstrumentedAttribute[Any], value: Any) -> M | None:
        result = await self.session.execute(select(self.model).where(column == value))
        return result.scalar_one_or_none()


class UserRepository(Repository[User]):
    model = User
    key = User.id
    order = User.email

    async def by_email(self, email: str) -> User | None:
        return await self._one_where(User.email, email.strip().lower())


class ThemeRepository(Repository[Theme]):
    model = Theme
    key = Theme.code
    order = Theme.code


class TownRepository(Repository[Town]):
    model = Town
    key = Town.id
    order = Town.name

    async def by_name(self, name: str) -> Town | None:
        return await self._one_where(Town.name, name)

    async def by_code(self, code: str) -> Town | None:
        return await self._one_where(Town.code, code)


class CompanyRepository(Repository[Company]):
    model = Company
    key = Company.id
    order = Company.name
