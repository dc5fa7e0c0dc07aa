"""Write the catalogue's tables into README.md's "Supported meters" section.

The tables (SMETS2 approved meters, SMETS1 meters for adoption by the DCC, the
SMETS1 migration cohorts) come from ``han/catalogue.py``'s ``render_markdown``,
the same data the SMETS version and DCC migration sensors use, so the README
cannot disagree with the integration. They go between the two marker lines
below; everything else in the README is left as it is. Run it from the
repository root after changing ``han/data/catalogue.json``:

    scripts/run python scripts/gen_readme.py           # rewrite the section
    scripts/run python scripts/gen_readme.py --check   # exit 1 if it is stale

tests/test_docs.py fails when the README's section is stale.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
import sys
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CATALOGUE_PY = REPO / "custom_components" / "smets" / "han" / "catalogue.py"
BEGIN = "<!-- BEGIN GENERATED: supported meters (scripts/gen_readme.py) -->"
END = "<!-- END GENERATED: supported meters -->"


def _load_catalogue() -> ModuleType:
    """Import catalogue.py on its own (no package, no Home Assistant)."""
    spec = importlib.util.spec_from_file_location("_smets_catalogue", CATALOGUE_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def render(readme: str, tables: str) -> str:
    """Return ``readme`` with the generated section replaced by ``tables``."""
    head, found_begin, rest = readme.partition(BEGIN)
    _old, found_end, tail = rest.partition(END)
    if not found_begin or not found_end:
        msg = f"README.md has no {BEGIN!r} ... {END!r} section"
        raise SystemExit(msg)
    return f"{head}{BEGIN}\n\n{tables}\n{END}{tail}"


def main() -> int:
    """Rewrite (or with --check, compare) the README's generated section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if README.md is stale"
    )
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    wanted = render(current, _load_catalogue().render_markdown())
    if args.check:
        if wanted != current:
            print("README.md: the supported meters section is stale; run")
            print("  scripts/run python scripts/gen_readme.py")
            return 1
        print("README.md: the supported meters section is up to date")
        return 0
    if wanted != current:
        README.write_text(wanted, encoding="utf-8")
        print("README.md: supported meters section rewritten")
    else:
        print("README.md: already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
