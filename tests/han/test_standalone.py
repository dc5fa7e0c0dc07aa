"""The HAN library runs without Home Assistant."""

import importlib
from pathlib import Path
import pkgutil
import subprocess
import sys

import pytest

from custom_components.smets import han


def test_no_home_assistant_import(pytestconfig: pytest.Config) -> None:
    if pytestconfig.pluginmanager.has_plugin("homeassistant"):
        pytest.skip("run with -p no:homeassistant (as scripts/test does) to check this")
    for module in pkgutil.walk_packages(
        han.__path__, prefix="custom_components.smets.han."
    ):
        if module.name.endswith("__main__"):
            continue
        importlib.import_module(module.name)
    loaded = sorted(
        name for name in sys.modules if name.split(".")[0] == "homeassistant"
    )
    assert loaded == []


def test_the_development_command_line_runs_without_home_assistant(
    tmp_path: Path,
) -> None:
    """``scripts/han_standalone.py smets_dev`` (what scripts/bench runs), from any folder."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "han_standalone.py"
    done = subprocess.run(
        [sys.executable, str(script), "smets_dev", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "bench" in done.stdout
