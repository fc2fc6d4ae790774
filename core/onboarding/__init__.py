"""Onboarding in bulk: one CSV file of towns, officers, companies and company users (issue 11).

Pure code, no I/O: `parse` reads the file's bytes into rows, `plan` checks every row against
the region as it is (`Region`, loaded by the use case) and says, line by line, what an import
would create, what already exists unchanged, and every problem. The use case applies a plan
without problems in one transaction (service/use_cases/imports.py).

The format is the README's "Onboarding in bulk": a header line, then one row per line,
`,` or `;` between cells, UTF-8 with or without a byte order mark.

The modules: rules.py (the format's limits and value rules), parsing.py (bytes to rows),
model.py (regions, plans and their lines), cells.py (one row's values and their problems),
lookups.py (what a line's town or company names), planning.py (`plan`, line by line).
"""

from core.onboarding.model import (
    Action,
    ExistingCompany,
    ExistingTown,
    ExistingUser,
    Kind,
    NewCompany,
    NewTown,
    NewUser,
    Plan,
    PlannedLine,
    Problem,
    Ref,
    Region,
)
from core.onboarding.parsing import FileRefused, ParsedFile, Row, decode, parse
from core.onboarding.planning import plan
from core.onboarding.rules import (
    COLUMNS,
    EMAIL,
    FORMULA_STARTS,
    LIMITS,
    LIST_SEPARATOR,
    LOCALES,
    MAX_AREAS,
    MAX_FILE_BYTES,
    MAX_ITEMS,
    MAX_ROWS,
    THEME_CODE,
    TOWN_CODE,
    is_email,
    normalized,
    safe_echo,
)

__all__ = [
    "COLUMNS",
    "EMAIL",
    "FORMULA_STARTS",
    "LIMITS",
    "LIST_SEPARATOR",
    "LOCALES",
    "MAX_AREAS",
    "MAX_FILE_BYTES",
    "MAX_ITEMS",
    "MAX_ROWS",
    "THEME_CODE",
    "TOWN_CODE",
    "Action",
    "ExistingCompany",
    "ExistingTown",
    "ExistingUser",
    "FileRefused",
    "Kind",
    "NewCompany",
    "NewTown",
    "NewUser",
    "ParsedFile",
    "Plan",
    "PlannedLine",
    "Problem",
    "Ref",
    "Region",
    "Row",
    "decode",
    "is_email",
    "normalized",
    "parse",
    "plan",
    "safe_echo",
]
