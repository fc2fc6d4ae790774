"""The sample onboarding file: the metropolis's real towns, an officer each, made-up companies.

`reference/onboarding-sample.csv` is this module's output for the shipped towns
(core/towns.py); the import page offers it as the demo. To write it again after
`pilotflow refresh-towns`: `.venv/bin/python -m core.onboarding_sample`.
"""

import csv
import io
import random
import re
import unicodedata
from collections.abc import Sequence

from core.onboarding import COLUMNS
from core.settings import PROJECT_ROOT
from core.towns import TownRecord, load_towns

SAMPLE_CSV = PROJECT_ROOT / "reference" / "onboarding-sample.csv"
DOMAIN = "sample.pilotflow.example"  # .example: never a real mailbox
THEMES = ("efficient-city", "creative-city", "european-city")
FIRST_NAMES = (
    "Camille", "Léa", "Hugo", "Inès", "Yanis", "Manon", "Louis", "Chloé", "Nathan", "Sarah",
    "Lucas", "Zoé", "Karim", "Emma", "Théo", "Fatou", "Jules", "Anaïs", "Malik", "Clara",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Lefebvre", "Benali", "Leroy", "Vandenberghe", "Lemaire",
    "Dupont", "Mercier", "Delattre", "Caron", "Haddad", "Vasseur", "Lambert", "Diallo",
)  # fmt: skip
PREFIXES = (
    "Lumen", "Verdi", "Agora", "Civi", "Urba", "Nordia", "Flandre", "Beffroi", "Deûle",
    "Terril", "Canopée", "Mosaïk",
)  # fmt: skip
SUFFIXES = (
    "Tech", "Lab", "Énergie", "Mobilité", "Conseil", "Numérique", "Solidaire", "Services",
    "Data", "Europe",
)  # fmt: skip
TAGS = {
    "efficient-city": ("energy", "public-lighting", "iot", "water", "waste", "mobility"),
    "creative-city": ("culture", "education", "seniors", "civic-tech", "sharing"),
    "european-city": ("tourism", "attractiveness", "languages", "events", "open-data"),
}


def slug(text: str) -> str:
    """Lower case ASCII with dashes: `Villeneuve-d'Ascq` is `villeneuve-d-ascq`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def sample_csv(towns: Sequence[TownRecord], companies: int = 100, seed: int = 2026) -> str:
    """The towns, one officer per town, then `companies` companies with one user each."""
    chance = random.Random(seed)
    rows: list[dict[str, str]] = []
    for town in towns:
        rows.append({"kind": "town", "name": town.name, "code": town.insee_code})
    for town in towns:
        person = f"{chance.choice(FIRST_NAMES)} {chance.choice(LAST_NAMES)}"
        rows.append(
            {
                "kind": "officer",
                "name": person,
                "email": f"officer.{slug(town.name)}@{DOMAIN}",
                "town": town.insee_code,
                "locale": "fr",
            }
        )
    names = [f"{prefix} {suffix}" for suffix in SUFFIXES for prefix in PREFIXES]
    for name in chance.sample(names, companies):
        themes = chance.sample(THEMES, chance.choice((1, 1, 2)))
        tags = chance.sample([tag for theme in themes for tag in TAGS[theme]], 3)
        # A third serve the whole region (no areas), the others one to three towns.
        served = [] if chance.random() < 1 / 3 else chance.sample(list(towns), chance.randint(1, 3))
        rows.append(
            {
                "kind": "company",
                "name": name,
                "email": f"contact@{slug(name)}.{DOMAIN}",
                "themes": "|".join(themes),
                "tags": "|".join(tags),
                "areas": "|".join(town.insee_code for town in served),
                "locale": "fr",
                "description": f"{name} : {', '.join(tags)}.",
            }
        )
        person = f"{chance.choice(FIRST_NAMES)} {chance.choice(LAST_NAMES)}"
        rows.append(
            {
                "kind": "company_user",
                "name": person,
                "email": f"team@{slug(name)}.{DOMAIN}",
                "company": name,
                "locale": chance.choice(("fr", "fr", "fr", "en")),
            }
        )
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return output.getvalue()


def write_sample() -> None:
    SAMPLE_CSV.write_text(sample_csv(load_towns()), encoding="utf-8")


if __name__ == "__main__":
    write_sample()
    print(f"wrote {SAMPLE_CSV}")
