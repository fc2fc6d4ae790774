"""The onboarding file's format: its limits, columns and value rules, read and planned alike."""

import re
import unicodedata

MAX_FILE_BYTES = 900_000  # under the API's 1 MB body limit, with room for a form's envelope
MAX_ROWS = 5_000
COLUMNS = (
    "kind",
    "name",
    "code",
    "email",
    "town",
    "company",
    "themes",
    "tags",
    "areas",
    "locale",
    "description",
)
LIST_SEPARATOR = "|"  # between the themes, tags or areas of one cell
LOCALES = ("fr", "en")
# The same rules as the API's bodies (service/schemas/common.py; a test keeps them equal).
EMAIL = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
TOWN_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
THEME_CODE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
EMAIL_PATTERN = re.compile(EMAIL)
TOWN_CODE_PATTERN = re.compile(TOWN_CODE)
THEME_CODE_PATTERN = re.compile(THEME_CODE)
ONE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIMITS = {"name": 200, "email": 320, "description": 5000, "tag": 64}
MAX_ITEMS = 50  # themes or tags of one company
MAX_AREAS = 200


def safe_echo(text: str) -> str:
    """`text` as it may be shown back: a leading formula character is quoted, as OWASP says,
    so a report pasted into a spreadsheet cannot run a formula.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def is_email(text: str) -> bool:
    """Whether `text` is an address the API would take (ASCII, no header tricks)."""
    return len(text) <= LIMITS["email"] and EMAIL_PATTERN.match(text) is not None


def normalized(name: str) -> str:
    """How names are compared: Unicode-normalized, trimmed, case-folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()
