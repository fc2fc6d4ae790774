"""The pages' words: written in English in the code and templates, shown in French by default.

A text is its own msgid, gettext-style: `_("Sign in")` reads as English in a template and
is looked up in the locale's catalog (core.i18n) for a French reader. A test checks that
every text the code and templates mark has its French.
"""

from collections.abc import Callable
from functools import partial

from core.i18n import DEFAULT_LOCALE, LOCALES, normalize_locale, translate

__all__ = ["DEFAULT_LOCALE", "LOCALES", "Translate", "normalize_locale", "translator"]

Translate = Callable[[str], str]


def translator(locale: str) -> Translate:
    """The function that puts a text into this locale (English texts stay as written)."""
    return partial(translate, normalize_locale(locale))
