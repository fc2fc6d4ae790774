"""The generated part of the demo region: officers for every town, ~100 companies.

Deterministic: one `random.Random(SEED)` draws everything in a fixed order from the
towns of reference/towns-mel.csv and the small word lists below, so every run (and every
machine) gets the same people with the same emails. No Faker: `pilotflow dev` ships in
the image, and a few fixed lists give plausible French names without a dependency.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass

SEED = 20_200_093_201  # fixed: the same region on every run (the EPCI's SIREN, for fun)
COMPANY_COUNT = 100  # named companies included
# The themes every region has (the schema's migration creates them); the seed checks it.
REGION_THEMES = ("efficient-city", "creative-city", "european-city")

FIRST_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise", "Clara", "Sarah",
    "Julie", "Pauline", "Marion", "Nathalie", "Sandrine", "Céline", "Aurélie", "Élodie",
    "Isabelle", "Sophie", "Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Maxime",
    "Antoine", "Mathieu", "Romain", "Kévin", "Jérôme", "Olivier", "Sébastien", "Franck",
    "Karim", "Yassine", "Mehdi", "Amina", "Fatima", "Bertrand", "Dominique", "Claude",
)  # fmt: skip
LAST_NAMES = (
    "Lefebvre", "Dubois", "Leroy", "Lemaire", "Lefèvre", "Delattre", "Vandenberghe",
    "Dupont", "Martin", "Bernard", "Petit", "Durand", "Moreau", "Lambert", "Fontaine",
    "Delcroix", "Vasseur", "Desmet", "Van Damme", "Verhaeghe", "Dhalluin", "Lecomte",
    "Carpentier", "Caron", "Deschamps", "Wattel", "Delannoy", "Descamps", "Duhamel",
    "Leclercq", "Boulanger", "Mercier", "Benali", "Haddad", "Nowak", "Kowalski", "Da Silva",
    "Ferreira", "Bouchez", "Desmarets", "Hennebelle", "Plouvier", "Masquelier", "Catteau",
)  # fmt: skip

# Company names: a stem and a form that says the trade; tags and a line of description per theme.
STEMS = (
    "Aqua", "Agora", "Beffroi", "Canal", "Civitas", "Deûle", "Domus", "Ecova", "Escaut",
    "Flandre", "Hélios", "Lys", "Marque", "Nordia", "Pévèle", "Scarpe", "Silva", "Solis",
    "Terra", "Urbis", "Vauban", "Weppes", "Ferrain", "Mélantois", "Carré", "Trèfle",
)  # fmt: skip
FORMS = {
    "efficient-city": ("Énergie", "Mobilité", "Environnement", "Réseaux", "Services"),
    "creative-city": ("Coop", "Lab", "Solidaire", "Atelier", "Culture"),
    "european-city": ("Europe", "Conseil", "Partners", "International"),
}
TAGS = {
    "efficient-city": (
        "energy", "public-lighting", "iot", "smart-grid", "waste", "recycling", "mobility",
        "bike", "water", "sensors", "logistics", "buildings",
    ),
    "creative-city": (
        "elderly-care", "volunteering", "social-innovation", "education", "digital-inclusion",
        "schools", "culture", "sharing-economy", "civic-tech", "participation",
    ),
    "european-city": (
        "attractiveness", "tourism", "multilingual", "events", "europe", "open-data",
        "cross-border", "funding",
    ),
}  # fmt: skip
TRADES = {
    "efficient-city": "services that cut a town's energy, waste and traffic",
    "creative-city": "projects with the inhabitants, schools and associations",
    "european-city": "the metropolis's reach across the border and in Europe",
}
GENERIC_TAGS = ("innovation", "consulting")


@dataclass(frozen=True)
class Person:
    first: str
    last: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class GeneratedOfficer:
    person: Person
    town: str


@dataclass(frozen=True)
class GeneratedCompany:
    name: str
    themes: tuple[str, ...]
    tags: tuple[str, ...]
    areas: tuple[str, ...]  # town names; empty means the whole region
    description: str
    locale: str
    staff: tuple[Person, ...]  # people besides the company's `team.` account


def officers_for(population: int) -> int:
    """1 to 4 officers per town, the larger towns more: 207 for the 95 towns of 2024."""
    if population >= 20_000:
        return 4
    if population >= 8_000:
        return 3
    return 2 if population >= 2_500 else 1


class Generator:
    """Draws people and companies from one seeded generator, always in the same order."""

    def __init__(self, seed: int = SEED) -> None:
        self._random = random.Random(seed)

    def person(self) -> Person:
        return Person(self._random.choice(FIRST_NAMES), self._random.choice(LAST_NAMES))

    def officers(self, towns: Sequence[tuple[str, int]]) -> list[GeneratedOfficer]:
        """The officers besides each town's `officer.<town>` account: one fewer than its due."""
        return [
            GeneratedOfficer(self.person(), name)
            for name, population in towns
            for _ in range(officers_for(population) - 1)
        ]

    def companies(
        self, count: int, towns: Sequence[str], taken: set[str]
    ) -> list[GeneratedCompany]:
        forms = [form for theme_forms in FORMS.values() for form in theme_forms]
        names = sorted(f"{stem} {form}" for stem in STEMS for form in forms)
        self._random.shuffle(names)
        fresh = [n for n in names if n not in taken]
        return [self._company(name, towns) for name in fresh[:count]]

    def _company(self, name: str, towns: Sequence[str]) -> GeneratedCompany:
        r = self._random
        main = next(theme for theme, forms in FORMS.items() if name.split(" ", 1)[1] in forms)
        others = [t for t in REGION_THEMES if t != main]
        themes = (main, *sorted(r.sample(others, r.choice((0, 0, 1)))))
        tags = tuple(r.sample(TAGS.get(main, GENERIC_TAGS), r.randint(2, 4)))
        areas = () if r.random() < 0.35 else tuple(r.sample(list(towns), r.randint(1, 6)))
        description = f"{name}: {TRADES.get(main, 'innovation for towns')}."
        locale = "en" if r.random() < 0.15 else "fr"
        staff = tuple(self.person() for _ in range(r.choice((0, 1, 1))))
        return GeneratedCompany(name, themes, tags, areas, description, locale, staff)
