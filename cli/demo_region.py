"""The demo region `pilotflow dev` seeds: real towns of the Lille metropolis, made-up companies.

Plain data, so the seed, the start-up banner and the tests read the same facts.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from core.settings import Settings

# Every demo user signs in with this password; the admin's comes from the settings.
DEMO_PASSWORD = "demo-pilotflow"
DEMO_DOMAIN = "demo.pilotflow.example"


@dataclass(frozen=True)
class DemoTown:
    name: str
    code: str  # the INSEE code of the commune


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


TOWNS = (
    DemoTown("Lille", "59350"),
    DemoTown("Roubaix", "59512"),
    DemoTown("Tourcoing", "59599"),
    DemoTown("Villeneuve-d'Ascq", "59009"),
    DemoTown("Marcq-en-Barœul", "59378"),
    DemoTown("Lambersart", "59328"),
)

COMPANIES = (
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


def demo_users() -> list[DemoUser]:
    """One officer per town and one user per company (the admin comes from the settings)."""
    officers = [
        DemoUser(
            f"officer.{slug(t.name)}@{DEMO_DOMAIN}",
            f"Officer, {t.name}",
            "town_officer",
            town=t.name,
        )
        for t in TOWNS
    ]
    staff = [
        DemoUser(
            f"team.{slug(c.name)}@{DEMO_DOMAIN}",
            f"{c.name} team",
            "company",
            company=c.name,
            locale=c.locale,
        )
        for c in COMPANIES
    ]
    return officers + staff


def officer_email(town: str) -> str:
    return f"officer.{slug(town)}@{DEMO_DOMAIN}"


def company_user_email(company: str) -> str:
    return f"team.{slug(company)}@{DEMO_DOMAIN}"


@dataclass
class Credentials:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, password

    def text(self) -> str:
        width = max(len(email) for _, email, _ in self.rows)
        return "\n".join(f"  {role:<13} {email:<{width}}  {pw}" for role, email, pw in self.rows)


def credentials(settings: Settings, *, demo: bool) -> Credentials:
    """Who can sign in: the admin from the settings, and the demo users if the region is seeded."""
    rows = [("admin", settings.admin_email, settings.admin_password)]
    if demo:
        rows += [(u.role, u.email, DEMO_PASSWORD) for u in demo_users()]
    return Credentials(rows)
