"""The import tests' shared setup: a file posted to POST /api/v1/imports, what the region holds."""

from collections.abc import Mapping

from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.models import Company, Town, User


async def post_import(
    client: AsyncClient,
    headers: Mapping[str, str],
    text: str | bytes,
    *,
    content_type: str = "text/csv",
    **query: str,
) -> Response:
    """POST /api/v1/imports with `text` as the body (UTF-8 if a str) and `query` as parameters."""
    content = text.encode() if isinstance(text, str) else text
    return await client.post(
        "/api/v1/imports",
        content=content,
        headers=dict(headers) | {"content-type": content_type},
        params=query,
    )


async def counts(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    """How many towns, companies and users exist."""
    async with sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(Town)) or 0,
            await session.scalar(select(func.count()).select_from(Company)) or 0,
            await session.scalar(select(func.count()).select_from(User)) or 0,
        )
