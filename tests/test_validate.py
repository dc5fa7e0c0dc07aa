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
}


@pytest.mark.parametrize("name", CHECKS)
def test_real_files_are_valid(name: str) -> None:
    assert CHECKS[name](INTEGRATION) == []


def test_hacs_json_is_valid() -> None:
    assert validators.check_hacs(REPO, minimum_leg_ha()) == []


def test_brand_images() -> None:
    for name, size in (
        ("icon.png", 256),
        ("icon@2x.png", 512),
        ("logo.png", 256),
        ("logo@2x.png", 512),
    ):
        data = (INTEGRATION / "brand" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        height = int.from_bytes(data[20:24], "big")
        assert (width, height) == (size, size), name


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
    ],
)
def test_broken_hacs_json_is_caught(tmp_path: Path, hacs: dict, tested: str) -> None:
    (tmp_path / "hacs.json").write_text(json.dumps(hacs))
    assert validators.check_hacs(tmp_path, tested) != []
