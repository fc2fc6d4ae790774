"""The signed unsubscribe link of every company email: no sign-in, a confirmation, then done."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response

from service.deps import SessionDep, SettingsDep
from service.pages.flash import Flash, redirect
from service.pages.i18n import translator
from service.pages.rendering import page_locale, render
from service.pages.routing import page_router
from service.use_cases import companies

router = page_router(prefix="/unsubscribe")

Token = Annotated[str, Path(max_length=300)]


def _bad_link(request: Request) -> Response:
    return render(request, "unsubscribe.html", {"company": None}, status_code=404)


@router.get("/{token}")
async def confirm(
    *, request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> Response:
    """Which company the link stops invitations for, and a button to confirm."""
    company = await companies.company_of_link(session, settings, token)
    if company is None:
        return _bad_link(request)
    return render(request, "unsubscribe.html", {"company": company, "token": token})


@router.post("/{token}")
async def unsubscribe(
    *, request: Request, token: Token, session: SessionDep, settings: SettingsDep
) -> Response:
    """No more invitations by email for this company."""
    if await companies.unsubscribe(session, settings, token) is None:
        return _bad_link(request)
    _ = translator(page_locale(request))
    done = Flash("success", _("Done: your company will no longer receive invitations by email."))
    return redirect(f"/unsubscribe/{token}", settings, flash=done)
