"""Reading one row's cells into values, noting each problem against its column."""

from core.onboarding.model import Problem
from core.onboarding.parsing import Row
from core.onboarding.rules import (
    EMAIL_PATTERN,
    FORMULA_STARTS,
    LIMITS,
    LIST_SEPARATOR,
    LOCALES,
    MAX_ITEMS,
    ONE_LINE_FORBIDDEN,
    TEXT_FORBIDDEN,
    safe_echo,
)
from workflows.messages import N_


class Checker:
    """Reads one row's cells, noting each problem against its column."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.problems: list[Problem] = []
        if row.extra_cells:
            self.add("extra_cells", "", N_("this line has more cells than the header"))

    def add(self, kind: str, column: str, template: str, /, **values: str) -> None:
        self.problems.append(Problem(kind, column, template, values))

    def missing(self, column: str) -> None:
        self.add("missing", column, N_("%(column)s is required"), column=column)

    def too_long(self, column: str, limit: int) -> None:
        self.add(
            "too_long",
            column,
            N_("%(column)s is longer than %(limit)s characters"),
            column=column,
            limit=str(limit),
        )

    def bad_characters(self, column: str) -> None:
        self.add(
            "bad_characters",
            column,
            N_("%(column)s holds characters that are not allowed (NUL, control)"),
            column=column,
        )

    def problems_about(self, column: str) -> bool:
        return any(problem.column == column for problem in self.problems)

    def raw(self, column: str) -> str:
        return self.row.cells.get(column, "").strip()

    def one_line(self, column: str, *, required: bool = False, limit: int = 200) -> str:
        value = self.raw(column)
        if ONE_LINE_FORBIDDEN.search(value):
            self.bad_characters(column)
            return ""
        if required and not value:
            self.missing(column)
        elif len(value) > limit:
            self.too_long(column, limit)
            return ""
        return value

    def name(self, column: str = "name", *, required: bool = True) -> str:
        value = " ".join(self.one_line(column, required=required, limit=LIMITS["name"]).split())
        if value.startswith(FORMULA_STARTS):
            self.add(
                "formula",
                column,
                N_("%(column)s may not start with = + - or @ (a spreadsheet formula)"),
                column=column,
            )
            return ""
        return value

    def email(self, column: str = "email") -> str:
        value = self.one_line(column, required=True, limit=LIMITS["email"]).lower()
        if value and not EMAIL_PATTERN.match(value):
            self.add(
                "bad_email",
                column,
                N_("%(value)s is not an email address"),
                value=safe_echo(value[:80]),
            )
            return ""
        return value

    def locale(self) -> str:
        value = self.one_line("locale", limit=8).lower() or "fr"
        if value not in LOCALES:
            self.add(
                "bad_locale",
                "locale",
                N_("unknown language %(value)s: fr or en"),
                value=safe_echo(value),
            )
            return "fr"
        return value

    def items(self, column: str, *, limit: int = MAX_ITEMS) -> list[str]:
        value = self.one_line(column, limit=10_000)
        items = list(dict.fromkeys(i.strip() for i in value.split(LIST_SEPARATOR) if i.strip()))
        if len(items) > limit:
            self.add(
                "too_many",
                column,
                N_("%(column)s lists more than %(limit)s items"),
                column=column,
                limit=str(limit),
            )
            return []
        return items

    def description(self) -> str:
        value = self.row.cells.get("description", "")
        if TEXT_FORBIDDEN.search(value):
            self.bad_characters("description")
            return ""
        if len(value) > LIMITS["description"]:
            self.too_long("description", LIMITS["description"])
            return ""
        return value.strip()
