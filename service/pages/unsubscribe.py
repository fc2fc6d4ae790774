"""The signed unsubscribe link of every company email: no sign-in, a confirmation, then done."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Company
from core.repositories import CompanyRepository
from core.settings import Settings
from core.signing import verify
from service.deps import SessionDep, SettingsDep
from service.pages.flash import Flash, redirect
from service.pages.i18n import translator
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router

router = page_router(prefix="/unsubscribe")

Token = Annotated[str, Path(max_length=300)]


async def _company(session: AsyncSession, settings: Settings, token: str) -> Company | None:
    """The company the link was signed for; None for a link we did not sign."""
    company_id = verify(token, settings.secret_key)
    return await CompanyRepository(session).get(company_id) if company_id else None


def _bad_link(request: Request) -> Response:
    return render(request, "unsubscribe.html", {"company": None}, status_code=404)


@router.get("/{token}")
async def confirm(
    *, request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> Response:
    """Which company the link stops invitations for, and a button to confirm."""
    company = await _company(session, settings, token)
    if company is None:
        return _bad_link(request)
    return render(request, "unsubscribe.html", {"company": company, "token": token})


@router.post("/{token}")
async def unsubscribe(
    *, request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> Response:
    """No more invitations by email for this company."""
    company = await _company(session, settings, token)
    if company is None:
        return _bad_link(request)
    company.unsubscribed = True
    _ = translator(page_locale(request))
    done = Flash("success", _("Done: your company will no longer receive invitations by email."))
    return redirect(f"/unsubscribe/{token}", settings, flash=done)
