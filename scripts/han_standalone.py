"""Run a module of the HAN library without the Home Assistant integration around it.

``custom_components/smets/__init__.py`` is the Home Assistant integration and
imports Home Assistant; the HAN library below it (``han/``) does not need it.
Python runs a package's ``__init__`` before any module inside it, so this
runner registers the two parent packages as plain namespaces first.

    scripts/run python scripts/han_standalone.py smets_dev bench
"""

from __future__ import annotations

from pathlib import Path
import runpy
import sys
import types

ROOT = Path(__file__).resolve().parent.parent


def isolate() -> None:
    """Make ``custom_components.smets`` importable without running its ``__init__``.

    The repository's root goes on the path too, for the development tools
    (``smets_dev``) beside the integration.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for name, path in (
        ("custom_components", ROOT / "custom_components"),
        ("custom_components.smets", ROOT / "custom_components" / "smets"),
    ):
        if name not in sys.modules:
            module = types.ModuleType(name)
            module.__path__ = [str(path)]
            sys.modules[name] = module


if __name__ == "__main__":
    isolate()
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
