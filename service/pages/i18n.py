"""The pages' words: written in English in the code and templates, shown in French by default.

A text is its own msgid, gettext-style: `_("Sign in")` reads as English in a template and
is looked up in the locale's catalog (core.i18n) for a French reader. A test checks that
every text the code and templates mark has its French.
"""

from collections.abc import Callable
from functools import partial

from core.i18n import DEFAULT_LOCALE, LOCALES, normalize_locale, translate
from service.errors import DomainError

__all__ = ["DEFAULT_LOCALE", "LOCALES", "Translate", "normalize_locale", "said", "translator"]

Translate = Callable[[str], str]


def translator(locale: str) -> Translate:
    """The function that puts a text into this locale (English texts stay as written)."""
    return partial(translate, normalize_locale(locale))


def said(error: DomainError, _: Translate) -> str:
    """What a refusal says, in the reader's language: its template, then its values.

    A refusal from the workflow comes as filled-in English without values; `_` reads it back.
    """
    return _(error.template) % error.values if error.values else _(error.template)
