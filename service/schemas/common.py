"""Field types with the size limits and character rules every body shares."""

import re
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from workflows.messages import N_

# The rules are patterns so that the OpenAPI document states them. NUL breaks PostgreSQL.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# ASCII dot-atom addresses with a dotted domain: special-use names like `.local`, which the
# demo region uses, are accepted, and nothing can break out of an email header.
EMAIL = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
# JSON escapes like \ud800 decode to lone surrogates, which no database or encoder takes.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _encodable(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError(N_("must be valid Unicode text"))
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE),
    AfterValidator(_encodable),
]
OptionalName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200, pattern=ONE_LINE),
    AfterValidator(_encodable),
]
Description = Annotated[
    str, StringConstraints(max_length=5000, pattern=TEXT), AfterValidator(_encodable)
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=EMAIL, to_lower=True),
]
Password = Annotated[
    str, StringConstraints(min_length=8, max_length=256, pattern=TEXT), AfterValidator(_encodable)
]
# What a sign-in takes: any such text, since a wrong one is simply refused (401).
LoginEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=ONE_LINE),
    AfterValidator(_encodable),
]
LoginPassword = Annotated[
    str, StringConstraints(max_length=256, pattern=TEXT), AfterValidator(_encodable)
]
Locale = Literal["fr", "en"]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=ONE_LINE),
    AfterValidator(_encodable),
]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique)]
# Keys: what the database stores in String(32) / String(64) key columns.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
IdPath = Annotated[str, Path(pattern=ID_PATTERN)]
Ids = Annotated[list[Id], Field(max_length=200), AfterValidator(_unique)]
THEME_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ThemeCode = Annotated[str, StringConstraints(pattern=THEME_CODE_PATTERN)]
ThemeCodePath = Annotated[str, Path(pattern=THEME_CODE_PATTERN)]
ThemeCodes = Annotated[list[ThemeCode], Field(max_length=50), AfterValidator(_unique)]


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """A partial update: an absent field is left alone, an explicit null is refused."""

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(str(key) for key, value in data.items() if value is None)
            if nulls:
                raise ValueError(f"may not be null: {', '.join(nulls)}")
        return data
