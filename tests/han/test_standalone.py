"""The HAN library runs without Home Assistant."""

import importlib
import pkgutil
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
