"""Users and tokens."""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from service.schemas.common import (
    Body,
    Email,
    Id,
    Locale,
    LoginEmail,
    LoginPassword,
    OptionalName,
    Password,
    Patch,
)
from workflows.messages import N_
from workflows.stages import Role


class UserCreate(Body):
    """Without a password, the user is invited by email to choose one."""

    email: Email
    password: Password | None = None
    role: Role
    town_id: Id | None = None
    company_id: Id | None = None
    name: OptionalName = ""
    locale: Locale = "fr"

    @model_validator(mode="after")
    def _belongs_where_the_role_says(self) -> Self:
        needs_town = self.role == Role.TOWN_OFFICER
        needs_company = self.role == Role.COMPANY
        if needs_town != (self.town_id is not None):
            raise ValueError(N_("a town_officer needs a town_id, and only a town_officer has one"))
        if needs_company != (self.company_id is not None):
            raise ValueError(
                N_("a company user needs a company_id, and only a company user has one")
            )
        return self


class UserUpdate(Patch):
    """What an admin may change of a user."""

    name: OptionalName | SkipJsonSchema[None] = None
    locale: Locale | SkipJsonSchema[None] = None
    password: Password | SkipJsonSchema[None] = None
    active: StrictBool | SkipJsonSchema[None] = None
    receives_offers: StrictBool | SkipJsonSchema[None] = None


class ProfileUpdate(Patch):
    """What the profile page changes: the fields of MeUpdate other than the password."""

    name: OptionalName | SkipJsonSchema[None] = None
    locale: Locale | SkipJsonSchema[None] = None
    receives_offers: StrictBool | SkipJsonSchema[None] = None


class MeUpdate(Patch):
    """What users may change of themselves; a new password needs the current one."""

    name: OptionalName | SkipJsonSchema[None] = None
    locale: Locale | SkipJsonSchema[None] = None
    receives_offers: StrictBool | SkipJsonSchema[None] = None
    password: Password | SkipJsonSchema[None] = None
    current_password: LoginPassword | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _current_password_with_new(self) -> Self:
        if self.password is not None and self.current_password is None:
            raise ValueError(N_("changing the password needs current_password"))
        return self


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    town_id: str | None
    company_id: str | None
    locale: str


class TokenRequest(BaseModel):
    email: LoginEmail
    password: LoginPassword


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class PasswordResetRequest(Body):
    email: LoginEmail


class PasswordFromLink(Body):
    """The token of an emailed link (the last part of its address) and the new password."""

    token: Annotated[str, StringConstraints(max_length=1000)]
    password: Password
