"""The offline validators pass on the real files and fail on broken ones."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import shutil

import pytest

from . import validators

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "smets"


def minimum_leg_ha() -> str:
    """Return the Home Assistant version the minimum test leg runs."""
    for line in (REPO / "scripts" / "legs.conf").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "minimum":
            return fields[2]
    raise AssertionError("scripts/legs.conf has no minimum leg")


CHECKS: dict[str, Callable[[Path], list[str]]] = {
    "manifest": validators.check_manifest,
    "translations": validators.check_translations,
    "services": validators.check_services,
    "icons": validators.check_icons,
    "parallel_updates": validators.check_parallel_updates,
    "quality_scale": validators.check_quality_scale,
    "flow_strings": validators.check_flow_strings,
    "typed_entries": validators.check_typed_entries,
}


@pytest.mark.parametrize("name", CHECKS)
def test_real_files_are_valid(name: str) -> None:
    assert CHECKS[name](INTEGRATION) == []


def test_hacs_json_is_valid() -> None:
    assert validators.check_hacs(REPO, minimum_leg_ha()) == []


BRAND_IMAGES = {
    # Home Assistant's brand rules: icons square, 256 px (512 px for @2x);
    # a logo's shortest side 128-256 px (256-512 px for @2x). Ours are square.
    f"{dark}{kind}{suffix}.png": size
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for suffix, size in (("", 256), ("@2x", 512))
}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("name", BRAND_IMAGES)
def test_brand_images(name: str) -> None:
    data = (INTEGRATION / "brand" / name).read_bytes()
    size = BRAND_IMAGES[name]
    assert _png_size(data) == (size, size)
    # RGBA, 8 bits a channel: transparency, as the brand rules prefer
    assert data[24:26] == b"\x08\x06"
    if name.startswith("dark_"):
        # a variant drawn for dark themes, not a copy of the light image
        assert data != (INTEGRATION / "brand" / name.removeprefix("dark_")).read_bytes()


def test_no_unknown_brand_images() -> None:
    """Home Assistant reads only these names from brand/: anything else is a typo."""
    assert {p.name for p in (INTEGRATION / "brand").iterdir()} == set(BRAND_IMAGES)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """Return a writable copy of the integration's folder."""
    copy = tmp_path / "smets"
    shutil.copytree(
        INTEGRATION, copy, ignore=shutil.ignore_patterns("__pycache__", "brand")
    )
    return copy


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _reorder_manifest(data: dict) -> None:
    version = data.pop("version")
    items = list(data.items())
    data.clear()
    data.update({"version": version, **dict(items)})


BREAKAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "manifest key order": (
        "manifest",
        lambda d: _edit_json(d / "manifest.json", _reorder_manifest),
    ),
    "manifest missing key": (
        "manifest",
        lambda d: _edit_json(d / "manifest.json", lambda m: m.pop("iot_class")),
    ),
    "manifest wrong type": (
        "manifest",
        lambda d: _edit_json(
            d / "manifest.json", lambda m: m.update(config_flow="yes")
        ),
    ),
    "manifest pinned requirement": (
        "manifest",
        lambda d: _edit_json(
            d / "manifest.json", lambda m: m.update(requirements=["zigpy==2.4.0"])
        ),
    ),
    "manifest unknown key": (
        "manifest",
        lambda d: _edit_json(d / "manifest.json", lambda m: m.update(zz_extra=1)),
    ),
    "translation drift": (
        "translations",
        lambda d: _edit_json(
            d / "translations" / "en.json", lambda s: s["config"]["abort"].update(x="y")
        ),
    ),
    "service without strings": (
        "services",
        lambda d: (d / "services.yaml").write_text("ghost_action:\n  fields: {}\n"),
    ),
    "icon for unknown entity": (
        "icons",
        lambda d: _edit_json(
            d / "icons.json",
            lambda i: (
                i.setdefault("entity", {})
                .setdefault("sensor", {})
                .update(ghost={"default": "mdi:ghost"})
            ),
        ),
    ),
    "platform without PARALLEL_UPDATES": (
        "parallel_updates",
        lambda d: (d / "sensor.py").write_text('"""A sensor platform."""\n\nX = 1\n'),
    ),
    "quality scale rule missing": (
        "quality_scale",
        lambda d: (d / "quality_scale.yaml").write_text("rules:\n  brands: done\n"),
    ),
    "options flow on a plain ConfigEntry": (
        "typed_entries",
        lambda d: (d / "config_flow.py").write_text(
            (d / "config_flow.py")
            .read_text()
            .replace(
                "async_get_options_flow(config_entry: SmetsConfigEntry)",
                "async_get_options_flow(config_entry: ConfigEntry)",
            )
        ),
    ),
    "flow abort without string": (
        "flow_strings",
        lambda d: (d / "config_flow.py").write_text(
            (d / "config_flow.py").read_text()
            + '\n# self.async_abort(reason="no_such_reason")\n'
        ),
    ),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_broken_files_are_caught(broken: Path, breakage: str) -> None:
    check, damage = BREAKAGES[breakage]
    assert CHECKS[check](broken) == []
    damage(broken)
    assert CHECKS[check](broken) != []


def test_github_workflows_are_valid() -> None:
    assert validators.check_workflows(REPO) == []


def _workflow_edit(old: str, new: str) -> Callable[[Path], None]:
    def edit(repo: Path) -> None:
        for path in (repo / ".github" / "workflows").iterdir():
            path.write_text(path.read_text().replace(old, new))

    return edit


WORKFLOW_BREAKAGES: dict[str, Callable[[Path], None]] = {
    "no workflows": lambda repo: shutil.rmtree(repo / ".github"),
    "not YAML": _workflow_edit("jobs:", "jobs: [\n"),
    "HACS category": _workflow_edit("category: integration", "category: plugin"),
    "HACS action": _workflow_edit("hacs/action@main", "hacs/actions@main"),
    "hassfest action": _workflow_edit(
        "home-assistant/actions/hassfest@master", "home-assistant/hassfest@v1"
    ),
    "hassfest without checkout": _workflow_edit(
        "      - uses: actions/checkout@v4\n      - name: Home Assistant's hassfest",
        "      - name: Home Assistant's hassfest",
    ),
    "CI does not run .ci/run": _workflow_edit("run: .ci/run", "run: scripts/lint"),
    "not on pull requests": _workflow_edit("  pull_request:\n", ""),
}


@pytest.mark.parametrize("breakage", WORKFLOW_BREAKAGES)
def test_broken_workflows_are_caught(tmp_path: Path, breakage: str) -> None:
    shutil.copytree(REPO / ".github", tmp_path / ".github")
    assert validators.check_workflows(tmp_path) == []
    WORKFLOW_BREAKAGES[breakage](tmp_path)
    assert validators.check_workflows(tmp_path) != []


def test_licence_is_apache_2() -> None:
    """HACS rejects a repository without a licence; the README says Apache-2.0."""
    text = (REPO / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    # the whole text: its nine sections and the appendix
    for heading in (
        "1. Definitions.",
        "4. Redistribution.",
        "9. Accepting Warranty or Additional Liability.",
        "END OF TERMS AND CONDITIONS",
        "APPENDIX: How to apply the Apache License to your work.",
    ):
        assert heading in text, heading
    assert "Apache-2.0" in (REPO / "README.md").read_text()


@pytest.mark.parametrize(
    ("hacs", "tested"),
    [
        (
            {"name": "SMETS HAN", "homeassistant": "2026.3.0", "render_readme": True},
            "2026.3.4",
        ),
        ({"name": "SMETS HAN", "homeassistant": "2026.10.0"}, "2026.3.4"),
        ({"name": "SMETS HAN", "homeassistant": "2025.12.0"}, "2026.3.4"),
        ({"homeassistant": "2026.3.0"}, "2026.3.4"),
        ({"name": "SMETS HAN"}, "2026.3.4"),
        (
            {
                "name": "SMETS HAN",
                "homeassistant": "2026.3.0",
                "country": "United Kingdom",
            },
            "2026.3.4",
        ),
        (
            {"name": "SMETS HAN", "homeassistant": "2026.3.0", "domains": ["sensor"]},
            "2026.3.4",
        ),
    ],
)
def test_broken_hacs_json_is_caught(tmp_path: Path, hacs: dict, tested: str) -> None:
    (tmp_path / "hacs.json").write_text(json.dumps(hacs))
    assert validators.check_hacs(tmp_path, tested) != []
