"""The README's settings table names every setting, so an operator can find each one."""

from core.settings import PROJECT_ROOT, Settings


def test_every_setting_is_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [
        name for name in Settings.model_fields if f"`PILOTFLOW_{name.upper()}`" not in readme
    ]
    assert missing == []
