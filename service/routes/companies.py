"""Partner companies: admins manage them, each company edits its own profile."""

from fastapi import APIRouter, status

from service.deps import AdminOrCompany, AdminUser, CurrentUser, SessionDep
from service.errors import error_responses
from service.schemas.common import IdPath
from service.schemas.reference import (
    CompanyCreate,
    CompanyProfile,
    CompanyPublic,
    CompanyUpdate,
)
from service.use_cases import companies

router = APIRouter(
    prefix="/api/v1/companies", tags=["companies"], responses=error_responses(401, 403)
)


@router.get("")
async def list_companies(*, session: SessionDep, user: AdminOrCompany) -> list[CompanyPublic]:
    """Every company for an admin; a company user sees only its own."""
    return await companies.list_companies(session, user)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_company(
    *, body: CompanyCreate, session: SessionDep, _admin: AdminUser
) -> CompanyPublic:
    """Add a partner company (admin); its themes and areas must exist."""
    return await companies.create_company(session, body)


@router.get("/{company_id}", responses=error_responses(404))
async def read_company(
    *, company_id: IdPath, session: SessionDep, user: CurrentUser
) -> CompanyPublic | CompanyProfile:
    """One company: any for an admin, its own for a company user.

    A town officer reads the public profile (CompanyProfile) of a company that is a
    candidate on one of its town's pilots or the partner of a pilot it may see; 404 for
    any other company.
    """
    return await companies.read_company_or_profile(session, user, company_id)


@router.patch("/{company_id}", responses=error_responses(404))
async def update_company(
    *, company_id: IdPath, body: CompanyUpdate, session: SessionDep, user: AdminOrCompany
) -> CompanyPublic:
    """Edit a profile and email preferences; only an admin (de)activates a company."""
    return await companies.update_company(session, user, company_id, body)
