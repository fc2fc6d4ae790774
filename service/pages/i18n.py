"""The pages' words: written in English in the code and templates, shown in French by default.

A text is its own key, gettext-style: `_("Sign in")` reads as English in a template and
is looked up in `FRENCH` for a French reader. A test checks that every text has its French.
"""

from collections.abc import Callable

from activities.email_rendering import DEFAULT_LOCALE, LOCALES, normalize_locale
from service.pages.french import FRENCH

__all__ = ["DEFAULT_LOCALE", "LOCALES", "Translate", "normalize_locale", "translator"]

Translate = Callable[[str], str]


def translator(locale: str) -> Translate:
    """The function that puts a text into this locale (English texts stay as written)."""
    if normalize_locale(locale) == "fr":
        return lambda text: FRENCH.get(text, text)
    return lambda text: text
