"""The admins' health page on the real stack: every service answers, and it counts the workers."""

from httpx import AsyncClient

from tests.e2e.conftest import ADMIN
from tests.pages.conftest import page_sign_in


async def test_the_health_page_shows_each_service_and_the_worker_polling(api: AsyncClient) -> None:
    await page_sign_in(api, *ADMIN)
    page = await api.get("/admin/health")
    assert page.status_code == 200, page.text
    assert page.text.count("badge-ok") == 4, page.text  # database, Temporal, SMTP, workers
    # The one worker process of the fixture polls both its queues, and counts once.
    assert "1 polling" in page.text
    assert "Does not answer" not in page.text


async def test_the_health_page_is_the_admins_only(api: AsyncClient) -> None:
    page = await api.get("/admin/health", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=/admin/health")
