"""From HTML forms to the JSON API's body schemas, and their errors back beside each field."""

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from service.errors import Invalid
from service.pages.i18n import Translate
from workflows.messages import N_

FORM_ERROR = ""  # the key of an error about the whole form, not one field

# Pydantic's error types, said for people; `%(...)s` take values from the error's context.
_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "finite_number": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "date_parsing": N_("Enter a date."),
    "date_from_datetime_parsing": N_("Enter a date."),
    "date_type": N_("Enter a date."),
    "greater_than_equal": N_("Enter a value of at least %(ge)s."),
    "less_than_equal": N_("Enter a value of at most %(le)s."),
    "string_too_long": N_("Enter at most %(max_length)s characters."),
    "too_long": N_("Give at most %(max_length)s items."),
    "literal_error": N_("Choose one of the options."),
    "enum": N_("Choose one of the options."),
    "bool_parsing": N_("Choose one of the options."),
    "string_pattern_mismatch": N_("This contains characters that are not allowed here."),
}
# Under a minimum of one a text is empty (`string_too_short` above); under more, it is short.
_TOO_SHORT = N_("Enter at least %(min_length)s characters.")
_EMAIL_FIELDS = ("email", "contact_email")
# The one-time key a page puts in its form: a double click or a resent form acts once.
_SUBMISSION_KEY = re.compile(r"^[0-9a-f]{32}$")


def text_fields(form: FormData) -> dict[str, str]:
    """Every text field's first value, as typed, to show the form again."""
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def text(form: FormData, name: str, *, limit: int = 10_000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def submission_key(form: FormData) -> str | None:
    """The key the page made when it rendered the form, the action's idempotency key."""
    key = text(form, "submission_key")
    return key if _SUBMISSION_KEY.match(key) else None


def optional(form: FormData, name: str) -> str | None:
    """The field's text, or None when left empty (the schema then says what is missing)."""
    value = text(form, name).strip()
    return value or None


def choices(form: FormData, name: str) -> list[str]:
    """The values of a group of checkboxes."""
    return [value for value in form.getlist(name) if isinstance(value, str)]


def tags(form: FormData, name: str) -> list[str]:
    """Comma-separated words, e.g. `iot, lighting`."""
    return [tag.strip() for tag in text(form, name).split(",") if tag.strip()]


def message(error: dict[str, Any], _: Translate) -> str:
    """One pydantic error said for people, in the reader's language."""
    kind = error["type"]
    context: dict[str, Any] = error.get("ctx", {})
    about_email = any(part in _EMAIL_FIELDS for part in error.get("loc", ()))
    if kind == "string_pattern_mismatch" and about_email:
        return _("Enter an email address such as name@example.org.")
    if kind == "string_too_short" and context["min_length"] > 1:
        return _(_TOO_SHORT) % context
    if kind == "value_error":
        # Our validators raise their `N_` text; pydantic keeps the exception in the context.
        return _(str(context["error"]))
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error["msg"])
    return _(template) % {key: str(value) for key, value in context.items()}


def field_errors(
    error: ValidationError,
    _: Translate,
    field_of: Callable[[Sequence[str | int]], str] | None = None,
) -> dict[str, str]:
    """Each field's first error; `field_of` names the form field of an error's location."""
    name = field_of or default_field_of
    errors: dict[str, str] = {}
    for item in error.errors():
        errors.setdefault(name(item["loc"]), message(dict(item), _))
    return errors


def default_field_of(loc: Sequence[str | int]) -> str:
    """The body field an error is about; `()` is the whole form.

    Later parts are left out: they name a list item or, for an optional field, the branch of
    its type that failed (`("title", "constrained-str")`).
    """
    return str(loc[0]) if loc else FORM_ERROR


def row_field_of(loc: Sequence[str | int], rows: list[int], parts: Sequence[str]) -> str | None:
    """`("kpis", 0, "baseline")` is the input `kpi-<row>-baseline` of the row it came from."""
    index = next((part for part in loc[1:] if isinstance(part, int)), None)
    if index is None or index >= len(rows):
        return None
    part = next((str(p) for p in loc[1:] if p in parts), parts[0])
    return f"kpi-{rows[index]}-{part}"


def invalid_field(error: Invalid) -> str:
    """The form field an API 422 names, e.g. `("body", "theme")` is `theme`."""
    return default_field_of([part for part in error.loc if part != "body"])
