"""The user documentation keeps up with the code.

README.md's supported meters tables are the catalogue's own (scripts/gen_readme.py
writes them); every action, entity, event, device trigger and option the
integration has is named in the documentation; the anchors the integration links
to exist; and every local link in the documents resolves.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import re
from types import ModuleType

import pytest
import yaml

from custom_components.smets import LEARN_MORE_URL
from custom_components.smets.han.catalogue import render_markdown

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "smets"
README = REPO / "README.md"
ENTITIES = REPO / "docs" / "entities.md"
DOCUMENTS = [README, REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]

_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _gen_readme() -> ModuleType:
    path = REPO / "scripts" / "gen_readme.py"
    spec = importlib.util.spec_from_file_location("_gen_readme", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _strings() -> dict:
    return json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """Return the anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(document: Path) -> set[str]:
    text = _FENCE.sub("", document.read_text(encoding="utf-8"))
    return {slug(heading) for heading in _HEADING.findall(text)}


def test_supported_meters_tables_are_the_catalogue() -> None:
    readme = README.read_text(encoding="utf-8")
    assert _gen_readme().render(readme, render_markdown()) == readme, (
        "README.md's supported meters tables are stale: "
        "run scripts/run python scripts/gen_readme.py"
    )


def test_learn_more_link_points_at_a_readme_heading() -> None:
    anchor = LEARN_MORE_URL.partition("#")[2]
    assert anchor in anchors(README)


def test_every_action_is_documented() -> None:
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text())
    readme = README.read_text(encoding="utf-8")
    entities = ENTITIES.read_text(encoding="utf-8")
    for name, service in services.items():
        assert f"smets.{name}" in readme
        assert f"smets.{name}" in entities
        for field in service.get("fields", {}):
            assert f"`{field}`" in entities, f"smets.{name} field {field}"


def test_every_entity_is_documented() -> None:
    entities = ENTITIES.read_text(encoding="utf-8")
    for platform, keys in _strings()["entity"].items():
        for key, entity in keys.items():
            name = entity["name"].replace(" {tier}", "")
            assert name in entities, f"{platform}.{key}: {name!r}"
            for state in entity.get("state", {}).values():
                assert state in entities, f"{platform}.{key} state {state!r}"


def test_every_device_trigger_and_event_is_documented() -> None:
    entities = ENTITIES.read_text(encoding="utf-8")
    triggers = _strings()["device_automation"]["trigger_type"]
    for trigger, name in triggers.items():
        assert f"| {name} |" in entities, trigger
    for event in ("smets_alert", "smets_message"):
        assert f"`{event}`" in entities
        assert f"`{event}`" in README.read_text(encoding="utf-8")


def test_every_option_is_documented() -> None:
    readme = README.read_text(encoding="utf-8")
    for label in _strings()["options"]["step"]["init"]["data"].values():
        assert label in readme


def _local_links() -> list[tuple[Path, str]]:
    links = []
    for document in DOCUMENTS:
        text = _FENCE.sub("", document.read_text(encoding="utf-8"))
        links += [
            (document, target)
            for target in _LINK.findall(text)
            if not re.match(r"[a-z]+:", target)
        ]
    return links


@pytest.mark.parametrize(
    ("document", "target"),
    _local_links(),
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_local_links_resolve(document: Path, target: str) -> None:
    path_text, _, anchor = target.partition("#")
    path = (document.parent / path_text).resolve() if path_text else document
    assert path.exists(), f"{document.name}: {target}"
    if anchor:
        assert anchor in anchors(path), f"{document.name}: {target}"
