"""The demo region `pilotflow dev` seeds: real towns of the Lille metropolis, made-up companies.

Plain data, so the seed, the start-up banner and the tests read the same facts.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from cli.demo_people import COMPANY_COUNT, Generator, Person
from core.onboarding import COLUMNS as ONBOARDING_COLUMNS
from core.settings import Settings
from core.towns import load_towns

# Every demo user signs in with this password; the admin's comes from the settings.
DEMO_PASSWORD = "demo-pilotflow"
DEMO_DOMAIN = "demo.pilotflow.example"


@dataclass(frozen=True)
class DemoTown:
    name: str
    code: str  # the INSEE code of the commune
    population: int = 0


@dataclass(frozen=True)
class DemoCompany:
    name: str
    themes: tuple[str, ...]
    tags: tuple[str, ...]
    # Town names served; empty means the whole region.
    areas: tuple[str, ...] = ()
    description: str = ""
    locale: str = "fr"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    town: str | None = None
    company: str | None = None
    locale: str = "fr"


def _load_towns() -> tuple[DemoTown, ...]:
    return tuple(DemoTown(t.name, t.insee_code, t.population) for t in load_towns())


# All the towns of the metropolis (reference/towns-mel.csv), largest first.
TOWNS = _load_towns()
# The towns the hand-written companies and pilots of the demo play in, and the banner shows.
FEATURED_TOWNS = (
    "Lille",
    "Roubaix",
    "Tourcoing",
    "Villeneuve-d'Ascq",
    "Marcq-en-Barœul",
    "Lambersart",
)

# Hand-written: the README, the demo pilots and the tests name them.
NAMED_COMPANIES = (
    DemoCompany(
        "Verdi Énergie",
        ("efficient-city",),
        ("energy", "public-lighting", "iot", "smart-grid"),
        description="Connected public lighting and energy management for towns.",
    ),
    DemoCompany(
        "Circulab Nord",
        ("efficient-city",),
        ("waste", "recycling", "circular-economy", "sensors", "iot"),
        areas=("Roubaix", "Tourcoing"),
        description="Fill-level sensors and collection rounds for sorting points.",
    ),
    DemoCompany(
        "Mobilis Flandres",
        ("efficient-city", "european-city"),
        ("mobility", "bike", "open-data", "logistics"),
        description="Shared cargo bikes and mobility data.",
        locale="en",
    ),
    DemoCompany(
        "Solidaires & Co",
        ("creative-city",),
        ("elderly-care", "volunteering", "social-innovation"),
        areas=("Lille", "Villeneuve-d'Ascq", "Lambersart"),
        description="A cooperative that organises neighbourly visits to older people.",
    ),
    DemoCompany(
        "Classe Numérique",
        ("creative-city",),
        ("education", "digital-inclusion", "schools"),
        description="Digital workshops for pupils, parents and teachers.",
    ),
    DemoCompany(
        "Partage Quartier",
        ("creative-city",),
        ("sharing-economy", "civic-tech", "participation"),
        areas=("Lille", "Roubaix"),
        description="Lending libraries of tools and objects, run by the neighbourhood.",
    ),
    DemoCompany(
        "EuroLink Conseil",
        ("european-city",),
        ("attractiveness", "tourism", "multilingual", "events", "europe"),
        description="Attractiveness campaigns and European funding applications.",
        locale="en",
    ),
    DemoCompany(
        "CivicData Lab",
        ("efficient-city", "creative-city", "european-city"),
        ("open-data", "civic-tech", "participation", "sensors"),
        description="Open data platforms and citizen dashboards.",
    ),
)


def slug(name: str) -> str:
    """`Marcq-en-Barœul` → `marcq-en-baroeul`: ASCII for email addresses."""
    text = name.replace("œ", "oe").replace("Œ", "Oe").replace("&", "and")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def company_contact_email(company: DemoCompany) -> str:
    return f"contact@{slug(company.name)}.example"


def officer_email(town: str) -> str:
    return f"officer.{slug(town)}@{DEMO_DOMAIN}"


def company_user_email(company: str) -> str:
    return f"team.{slug(company)}@{DEMO_DOMAIN}"


@cache
def _generated() -> tuple[tuple[DemoCompany, ...], tuple[DemoUser, ...]]:
    """The generated companies and people, drawn once per process and always the same."""
    generator = Generator()
    officers = generator.officers([(t.name, t.population) for t in TOWNS])
    taken = {c.name for c in NAMED_COMPANIES}
    companies = generator.companies(
        COMPANY_COUNT - len(NAMED_COMPANIES), [t.name for t in TOWNS], taken
    )
    emails = _Emails()
    users = [
        DemoUser(emails.of(o.person), o.person.name, "town_officer", town=o.town) for o in officers
    ]
    users += [
        DemoUser(emails.of(p), p.name, "company", company=c.name, locale=c.locale)
        for c in companies
        for p in c.staff
    ]
    specs = tuple(
        DemoCompany(c.name, c.themes, c.tags, c.areas, c.description, c.locale) for c in companies
    )
    return specs, tuple(users)


class _Emails:
    """`first.last@`, then `first.last2@`...: unique, in the order people are drawn."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def of(self, person: Person) -> str:
        base = f"{slug(person.first)}.{slug(person.last)}".replace("-", "")
        n = self._seen[base] = self._seen.get(base, 0) + 1
        return f"{base}{n if n > 1 else ''}@{DEMO_DOMAIN}"


def companies() -> tuple[DemoCompany, ...]:
    """The hand-written companies, then the generated ones: COMPANY_COUNT in all."""
    return NAMED_COMPANIES + _generated()[0]


def demo_users() -> list[DemoUser]:
    """The named accounts (`officer.<town>` for every town, `team.<company>` for every company),
    then the generated people; the admin comes from the settings."""
    officers = [
        DemoUser(officer_email(t.name), f"Officer, {t.name}", "town_officer", town=t.name)
        for t in TOWNS
    ]
    teams = [
        DemoUser(
            company_user_email(c.name), f"{c.name} team", "company", company=c.name, locale=c.locale
        )
        for c in companies()
    ]
    return officers + teams + list(_generated()[1])


def onboarding_csv() -> str:
    """The whole demo region as an onboarding file (README "Onboarding in bulk").

    The seed does not import it: an import invites every new user by email and sets no
    password, while demo users share one password and must not get hundreds of invitations.
    It shares the import's natural keys (town code, company name, email), so importing this
    file into a seeded region finds every line unchanged and invites no one (a test checks).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ONBOARDING_COLUMNS)
    for t in TOWNS:
        writer.writerow(["town", t.name, t.code, "", "", "", "", "", "", "", ""])
    for c in companies():
        areas, themes, tags = ("|".join(x) for x in (c.areas, c.themes, c.tags))
        email = company_contact_email(c)
        writer.writerow(
            ["company", c.name, "", email, "", "", themes, tags, areas, c.locale, c.description]
        )
    for u in demo_users():
        kind = "officer" if u.role == "town_officer" else "company_user"
        writer.writerow(
            [kind, u.name, "", u.email, u.town or "", u.company or "", "", "", "", u.locale, ""]
        )
    return out.getvalue()


@dataclass
class Credentials:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, password
    more: str = ""

    def text(self) -> str:
        width = max(len(email) for _, email, _ in self.rows)
        lines = [f"  {role:<13} {email:<{width}}  {pw}" for role, email, pw in self.rows]
        return "\n".join(lines + ([f"  {self.more}"] if self.more else []))


ACCOUNTS_FILE = "demo-accounts.csv"


def credentials(settings: Settings, *, demo: bool) -> Credentials:
    """Who can sign in: the admin from the settings, and a few demo users if the region is seeded.

    The region has hundreds of users: the banner shows the featured ones and says where the
    whole list is (the seed writes it into the data directory).
    """
    rows = [("admin", settings.admin_email, settings.admin_password)]
    if not demo:
        return Credentials(rows)
    rows += [("town_officer", officer_email(t), DEMO_PASSWORD) for t in FEATURED_TOWNS]
    rows += [("company", company_user_email(c.name), DEMO_PASSWORD) for c in NAMED_COMPANIES]
    users = demo_users()
    officers = sum(u.role == "town_officer" for u in users)
    more = (
        f"... {len(users) - len(rows) + 1} more ({officers} officers in {len(TOWNS)} towns, "
        f"{len(companies())} companies), same password: {settings.data_dir / ACCOUNTS_FILE}"
    )
    return Credentials(rows, more)
