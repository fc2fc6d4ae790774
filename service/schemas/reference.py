"""Themes, towns and companies: the reference data admins manage."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from service.schemas.common import (
    Body,
    Description,
    Email,
    Ids,
    Locale,
    Name,
    Patch,
    Tags,
    ThemeCode,
    ThemeCodes,
)

TownCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]


class ThemeCreate(Body):
    code: ThemeCode
    name: Name
    description: Description = ""


class ThemeUpdate(Patch):
    name: Name | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None


class ThemePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    description: str


class TownCreate(Body):
    name: Name
    code: TownCode | None = None


class TownPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    code: str | None


class CompanyCreate(Body):
    name: Name
    contact_email: Email
    themes: ThemeCodes
    tags: Tags
    areas: Ids = []
    description: Description = ""
    locale: Locale = "fr"


class CompanyUpdate(Patch):
    """Profile fields; `active` only an admin may change."""

    name: Name | SkipJsonSchema[None] = None
    contact_email: Email | SkipJsonSchema[None] = None
    themes: ThemeCodes | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    areas: Ids | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    locale: Locale | SkipJsonSchema[None] = None
    unsubscribed: StrictBool | SkipJsonSchema[None] = None
    active: StrictBool | SkipJsonSchema[None] = None


class CompanyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    contact_email: str
    themes: list[str]
    tags: list[str]
    areas: list[str]
    active: bool
    description: str
    locale: str
    unsubscribed: bool


class PastPilot(BaseModel):
    """One of a company's pilots as partner that has ended (core.disclosure.PAST_PILOT_FIELDS)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    town_id: str
    theme: str
    outcome: str
    trial_end: datetime | None


class CompanyProfile(BaseModel):
    """A company's public profile, as an officer who met it on a pilot reads it.

    No contact address, no email settings, and nothing of its answers, offers or scores.
    """

    id: str
    name: str
    description: str
    themes: list[str]
    tags: list[str]
    areas: list[str]
    past_pilots: list[PastPilot]
