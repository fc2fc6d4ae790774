"""The reader's language: which locale, its gettext catalog, and dates and numbers by Babel.

Texts are written in English in the code and templates and looked up in
`locales/<locale>/LC_MESSAGES/messages.po` (see the README's translators' workflow). The
catalogs are compiled in memory when first used, so there is no build step to forget.
Pages and emails both use this module; neither owns it.
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from functools import cache, lru_cache
from gettext import NullTranslations
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from core.settings import PROJECT_ROOT

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
LOCALES_DIR = PROJECT_ROOT / "locales"
# The CLDR data each language is written with: British English writes `1 April 2025, 17:45`.
_FORMATS = {"fr": "fr_FR", "en": "en_GB"}
# A named placeholder of a message that carries values: `cannot %(action)s a pilot`.
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Where texts are kept in English with their values filled in (see `translate`).
_FILLED_IN = ("workflows/", "activities/")
# Longer texts are not theirs (a name, an offer): not worth matching against every pattern.
_LONGEST_FILLED_IN = 500


def _region_zone() -> tzinfo:
    """Where the pilots run: moments are shown in its local time (UTC without tz data)."""
    try:
        return ZoneInfo("Europe/Paris")
    except ZoneInfoNotFoundError:
        return UTC


REGION_ZONE = _region_zone()


def normalize_locale(locale: str | None) -> str:
    """One of LOCALES: `en-GB` gives `en`, anything unknown gives French."""
    language = (locale or "").split("-")[0].split("_")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


@cache
def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


@cache
def translations(locale: str) -> NullTranslations:
    """The gettext catalog of a locale, compiled from its .po (fuzzy entries left out)."""
    compiled = BytesIO()
    write_mo(compiled, _catalog(locale), use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


@cache
def _messages_with_values(locale: str) -> list[tuple[re.Pattern[str], str]]:
    """The workflow's and activities' msgids with placeholders, as patterns reading values back.

    Only those: a template's `%(what)s: %(title)s` would read back any text with a colon.
    """
    patterns = []
    for message in _catalog(locale):
        msgid = message.id
        if not isinstance(msgid, str) or not _PLACEHOLDER.search(msgid):
            continue
        if not any(path.startswith(_FILLED_IN) for path, _line in message.locations):
            continue
        parts = _PLACEHOLDER.split(msgid)
        # Literal text and placeholder names alternate: `a %(b)s c` splits to `a `, `b`, ` c`.
        regex = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
            for index, part in enumerate(parts)
        )
        patterns.append((re.compile(regex + r"\Z", re.DOTALL), msgid))
    return patterns


def translate(locale: str, text: str) -> str:
    """A text in this locale, including one the workflow or matching filled with values.

    The workflow and the matching activity keep English texts (their wire format); a text
    like `meets 2 of 3 needs: iot` is read back against its msgid `meets %(met)s of ...` and
    said again in the reader's language with the same values.
    """
    catalog = translations(normalize_locale(locale))
    translated = catalog.gettext(text)
    if translated != text or len(text) > _LONGEST_FILLED_IN:
        return translated
    for pattern, msgid in _messages_with_values(normalize_locale(locale)):
        match = pattern.match(text)
        if match:
            return catalog.gettext(msgid) % match.groupdict()
    return text


def plural(locale: str, singular: str, plural_: str, count: int) -> str:
    """The form of a counted text for `count`, by the locale's plural rule."""
    return translations(normalize_locale(locale)).ngettext(singular, plural_, count)


def _local(value: date | str, zone: tzinfo) -> date:
    """A date as it is, a datetime in the region's time zone."""
    if isinstance(value, str):
        # Temporal's JSON converter hands `date` fields over as ISO strings.
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(zone)
    return value


def format_date(value: date | str | None, locale: str, zone: tzinfo = REGION_ZONE) -> str:
    """`1er avril 2025`, `1 April 2025`."""
    if value is None:
        return ""
    locale = normalize_locale(locale)
    day = _local(value, zone)
    # CLDR has no ordinal day; French writes the first of the month `1er`.
    pattern = "d'er' MMMM y" if locale == "fr" and day.day == 1 else "long"
    return dates.format_date(day, pattern, locale=_FORMATS[locale])


def format_datetime(value: datetime | str | None, locale: str, zone: tzinfo = REGION_ZONE) -> str:
    """`1er avril 2025 à 17h45`, `1 April 2025 at 17:45`."""
    if value is None:
        return ""
    locale = normalize_locale(locale)
    moment = _local(value, zone)
    day = format_date(moment, locale, zone)
    if not isinstance(moment, datetime):
        return day
    catalog = translations(locale)
    # Translators: a Babel time pattern; French writes `17h45`.
    time = dates.format_time(moment, catalog.gettext("HH:mm"), locale=_FORMATS[locale])
    return catalog.gettext("%(date)s at %(time)s") % {"date": day, "time": time}


# Babel takes a while over each number, and emails repeat the same few (issue 10).
@lru_cache(maxsize=4096)
def format_number(value: float | None, locale: str) -> str:
    """`1 234,5` in French, `1,234.5` in English; no useless decimals."""
    if value is None:
        return ""
    return numbers.format_decimal(value, "#,##0.##", locale=_FORMATS[normalize_locale(locale)])


@lru_cache(maxsize=4096)
def format_euros(value: float | None, locale: str) -> str:
    """Whole euros where the locale writes its currency: `48 500 €`, `€48,500`."""
    if value is None:
        return ""
    formats = _FORMATS[normalize_locale(locale)]
    standard = Locale.parse(formats).currency_formats["standard"].pattern
    whole = standard.replace(".00", "")
    return numbers.format_currency(value, "EUR", whole, locale=formats, currency_digits=False)


def install(env: Environment, zone: tzinfo = REGION_ZONE) -> None:
    """Give a Jinja environment gettext (`_`, `ngettext`, `{% trans %}`) and Babel's filters.

    Each reads the locale from the template's context, so one environment serves every
    language: `_("Sign in")` and `ngettext("%(num)d town", "%(num)d towns", n)` for literal
    texts (newstyle gettext marks the result safe and formats it with `%`), and
    `value | translated` for a text held in a variable, which may come from people: a
    name, a matching reason, a refusal. Its result is escaped like any value.
    """
    env.add_extension("jinja2.ext.i18n")

    def by_locale(function: Callable[..., str]) -> Callable[..., str]:
        @pass_context
        def with_locale(context: Context, *args: Any) -> str:
            return function(normalize_locale(context.get("locale")), *args)

        return with_locale

    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=by_locale(lambda locale, text: translations(locale).gettext(text)),
        ngettext=by_locale(plural),
        newstyle=True,
    )
    env.filters.update(
        translated=by_locale(translate),
        date=by_locale(lambda locale, value: format_date(value, locale, zone)),
        datetime=by_locale(lambda locale, value: format_datetime(value, locale, zone)),
        number=by_locale(lambda locale, value: format_number(value, locale)),
        euros=by_locale(lambda locale, value: format_euros(value, locale)),
    )
