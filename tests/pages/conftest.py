"""The pages through httpx, on the app and the database of the service tests.

A signed-in browser here is an httpx client with the pages' cookies, reading English
(the texts as written) unless it chose French, and sending each form with the token its
page carried.
"""

import re

import pytest
from httpx import AsyncClient

from tests.service.conftest import (  # noqa: F401 (fixtures of the service tests)
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    admin,
    app,
    client,
    make_company,
    make_theme,
    make_town,
    make_user,
    settings,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_of(browser: AsyncClient, path: str) -> str:
    """The CSRF token of the form on this page."""
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


async def page_sign_in(
    browser: AsyncClient, email: str, password: str = PASSWORD, *, locale: str = "en"
) -> None:
    """Sign in through the sign-in form, then choose the language (English unless told)."""
    form = {"csrf_token": await csrf_of(browser, "/login"), "email": email, "password": password}
    signed_in = await browser.post("/login", data=form)
    assert signed_in.status_code == 303, signed_in.text
    home = signed_in.headers["location"]
    chosen = {"csrf_token": await csrf_of(browser, home), "locale": locale, "next": home}
    assert (await browser.post("/language", data=chosen)).status_code == 303


@pytest.fixture
async def admin_browser(client: AsyncClient) -> AsyncClient:  # noqa: F811 (the fixture above)
    """The test client, signed in on the pages as the first admin."""
    await page_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    return client
