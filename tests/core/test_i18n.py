"""Dates, numbers and counted texts are written by Babel the way each language writes them."""

from datetime import UTC, date, datetime

import pytest

from core.i18n import format_date, format_datetime, format_euros, format_number, plural


@pytest.mark.parametrize(
    ("locale", "first", "other"),
    [("fr", "1er avril 2025", "14 juillet 2025"), ("en", "1 April 2025", "14 July 2025")],
)
def test_dates_read_as_each_language_writes_them(locale: str, first: str, other: str) -> None:
    assert format_date(date(2025, 4, 1), locale) == first
    assert format_date("2025-07-14", locale) == other


def test_a_moment_is_shown_in_the_regions_time_zone() -> None:
    # 15:45 UTC in July is 17:45 in Lille.
    moment = datetime(2025, 7, 14, 15, 45, tzinfo=UTC)
    assert format_datetime(moment, "fr") == "14 juillet 2025 à 17h45"
    assert format_datetime(moment.isoformat(), "en") == "14 July 2025 at 17:45"
    assert format_datetime(None, "fr") == ""


def test_numbers_and_euros_use_the_languages_separators() -> None:
    assert format_number(7421.5, "fr") == "7\u202f421,5"
    assert format_number(7421.5, "en") == "7,421.5"
    assert format_number(12000.0, "en") == "12,000"
    assert format_euros(48500, "fr") == "48\u202f500\u00a0€"
    assert format_euros(48500, "en") == "€48,500"


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("fr", 0, "0 jour"),
        ("fr", 1, "1 jour"),
        ("fr", 2, "2 jours"),
        ("en", 0, "0 days"),
        ("en", 1, "1 day"),
    ],
)
def test_counted_texts_follow_each_languages_plural_rule(
    locale: str, count: int, expected: str
) -> None:
    assert plural(locale, "%(num)d day", "%(num)d days", count) % {"num": count} == expected
