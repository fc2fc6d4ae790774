"""The demo region's accounts, named and generated, sign in through the API as themselves."""

from httpx import AsyncClient

from cli import demo_region as demo
from cli.seed import seed_reference_data
from core.db import create_engine, create_sessionmaker
from core.settings import Settings
from tests.service.conftest import sign_in


async def test_named_and_generated_demo_accounts_sign_in(
    client: AsyncClient, settings: Settings
) -> None:
    engine = create_engine(settings.effective_database_url)
    try:
        region = await seed_reference_data(create_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    generated = next(u for u in demo.demo_users() if u.role == "town_officer" and u.town == "Hem")
    marcq, verdi = "Marcq-en-Barœul", "Verdi Énergie"
    accounts = [
        (demo.officer_email("Lille"), "town_officer", region.towns["Lille"], None),
        (demo.officer_email(marcq), "town_officer", region.towns[marcq], None),
        (demo.company_user_email(verdi), "company", None, region.companies[verdi]),
        (generated.email, "town_officer", region.towns["Hem"], None),
    ]
    for email, role, town_id, company_id in accounts:
        headers = await sign_in(client, email, demo.DEMO_PASSWORD)
        me = (await client.get("/api/v1/me", headers=headers)).json()
        assert (me["email"], me["role"]) == (email, role)
        assert (me.get("town_id"), me.get("company_id")) == (town_id, company_id)
    refused = {"email": generated.email, "password": "not-the-demo-password"}
    assert (await client.post("/api/v1/auth/token", json=refused)).status_code == 401
