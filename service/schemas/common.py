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

# Lone surrogates (from JSON escapes) cannot be stored or encoded; NUL breaks PostgreSQL.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# ASCII dot-atom addresses with a dotted domain: special-use names like `.local`, which the
# demo region uses, are accepted, and nothing can break out of an email header.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def _one_line(value: str) -> str:
    if _NOT_ONE_LINE.search(value):
        raise ValueError("must be one line of printable text")
    return value


def _text(value: str) -> str:
    if _NOT_TEXT.search(value):
        raise ValueError("must be printable text")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value) or len(value.partition("@")[0]) > 64:
        raise ValueError("must be an email address such as name@example.org")
    return value.lower()


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_one_line),
]
OptionalName = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_one_line)
]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_text)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_email)
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256), AfterValidator(_text)]
# What a sign-in takes: any such text, since a wrong one is simply refused (401).
LoginEmail = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_one_line)
]
LoginPassword = Annotated[str, StringConstraints(max_length=256), AfterValidator(_text)]
Locale = Literal["fr", "en"]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_one_line),
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
