"""Offline stand-ins for hassfest and the HACS action (neither runs here).

Each check takes the integration's folder (or the repository root) and returns
a list of problems; an empty list means the files are valid. tests/test_validate.py
runs them on the real files and on deliberately broken copies.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.const import Platform
from packaging.requirements import InvalidRequirement, Requirement
import yaml

MANIFEST_KEYS_REQUIRED = (
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "dependencies",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "requirements",
    "version",
)
MANIFEST_KEYS_OPTIONAL = (
    "after_dependencies",
    "usb",
    "quality_scale",
    "single_config_entry",
)
MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    "domain": str,
    "name": str,
    "codeowners": list,
    "config_flow": bool,
    "dependencies": list,
    "after_dependencies": list,
    "documentation": str,
    "integration_type": str,
    "iot_class": str,
    "issue_tracker": str,
    "loggers": list,
    "requirements": list,
    "usb": list,
    "version": str,
    "quality_scale": str,
    "single_config_entry": bool,
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
# hacs.json: the keys HACS documents for a repository (its schema rejects any
# other). "render_readme" is still accepted by that schema but no longer
# documented and read by nothing, so it counts as unknown here.
HACS_KEYS = {
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "name",
    "persistent_directory",
    "zip_release",
}
# What this repository needs: its name, and the oldest Home Assistant it runs on.
HACS_KEYS_REQUIRED = {"name", "homeassistant"}

QUALITY_SCALE_RULES = (
    # Bronze
    "action-setup appropriate-polling brands common-modules config-flow-test-coverage "
    "config-flow dependency-transparency docs-actions docs-conditions "
    "docs-high-level-description docs-installation-instructions "
    "docs-removal-instructions docs-triggers entity-event-setup "
    "entity-unique-id has-entity-name runtime-data test-before-configure "
    "test-before-setup unique-config-entry "
    # Silver
    "action-exceptions config-entry-unloading docs-configuration-parameters "
    "docs-installation-parameters entity-unavailable integration-owner "
    "log-when-unavailable parallel-updates reauthentication-flow test-coverage "
    # Gold
    "devices diagnostics discovery-update-info discovery docs-data-update docs-examples "
    "docs-known-limitations docs-supported-devices docs-supported-functions "
    "docs-troubleshooting docs-use-cases dynamic-devices entity-category "
    "entity-device-class entity-disabled-by-default entity-translations "
    "exception-translations icon-translations reconfiguration-flow repair-issues "
    "stale-devices "
    # Platinum
    "async-dependency inject-websession strict-typing"
).split()


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def check_manifest(integration: Path) -> list[str]:
    """Check manifest.json: keys, their order, their types and values."""
    problems: list[str] = []
    manifest = _load_json(integration / "manifest.json")
    keys = list(manifest)
    for key in MANIFEST_KEYS_REQUIRED:
        if key not in manifest:
            problems.append(f"manifest: missing key {key!r}")
    for key in keys:
        if key not in MANIFEST_KEYS_REQUIRED + MANIFEST_KEYS_OPTIONAL:
            problems.append(f"manifest: unknown key {key!r}")
    expected_order = keys[:2] + sorted(keys[2:])
    if keys[:2] != ["domain", "name"] or keys != expected_order:
        problems.append(
            f"manifest: keys must be domain, name, then alphabetical; got {keys}"
        )
    for key, value in manifest.items():
        wanted = MANIFEST_TYPES.get(key)
        if wanted is not None and not isinstance(value, wanted):
            problems.append(
                f"manifest: {key!r} must be {wanted}, not {type(value).__name__}"
            )
    if manifest.get("domain") != integration.name:
        problems.append("manifest: domain must equal the folder's name")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(
            f"manifest: iot_class {manifest.get('iot_class')!r} is not valid"
        )
    if manifest.get("integration_type") not in INTEGRATION_TYPES:
        problems.append("manifest: integration_type is not valid")
    if (
        manifest.get("config_flow") is True
        and not (integration / "config_flow.py").exists()
    ):
        problems.append("manifest: config_flow is true but config_flow.py is missing")
    version = manifest.get("version")
    if not isinstance(version, str) or not AwesomeVersion(version).valid:
        problems.append(f"manifest: version {version!r} is not a valid version")
    for url_key in ("documentation", "issue_tracker"):
        if not str(manifest.get(url_key, "")).startswith("https://"):
            problems.append(f"manifest: {url_key} must be an https URL")
    for owner in manifest.get("codeowners", []):
        if not str(owner).startswith("@"):
            problems.append(f"manifest: code owner {owner!r} must start with @")
    for raw in manifest.get("requirements", []):
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            problems.append(f"manifest: requirement {raw!r} is not valid")
            continue
        if any(spec.operator not in (">=", "!=") for spec in req.specifier) or not any(
            spec.operator == ">=" for spec in req.specifier
        ):
            problems.append(
                f"manifest: requirement {raw!r} must be a lower bound (>=), "
                "so it never fights Home Assistant's own pins"
            )
    return problems


def check_hacs(repo: Path, minimum_tested: str) -> list[str]:
    """Check hacs.json: only name and homeassistant, a version the tests cover."""
    problems: list[str] = []
    hacs = _load_json(repo / "hacs.json")
    if unknown := set(hacs) - HACS_KEYS:
        problems.append(f"hacs.json: unknown keys {sorted(unknown)}")
    if missing := HACS_KEYS_REQUIRED - set(hacs):
        problems.append(f"hacs.json: missing {sorted(missing)}")
    country = hacs.get("country", [])
    countries = [country] if isinstance(country, str) else country
    if not isinstance(countries, list) or not all(
        isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code) for code in countries
    ):
        problems.append("hacs.json: country must be ISO 3166-1 alpha-2 codes")
    if not isinstance(hacs.get("name"), str) or not hacs.get("name"):
        problems.append("hacs.json: name must be a non-empty string")
    declared = AwesomeVersion(str(hacs.get("homeassistant", "")))
    tested = AwesomeVersion(minimum_tested)
    if not declared.valid:
        problems.append("hacs.json: homeassistant is not a valid version")
    elif (
        declared > tested or str(declared).split(".")[:2] != str(tested).split(".")[:2]
    ):
        problems.append(
            f"hacs.json: homeassistant {declared} must be the release the minimum "
            f"test leg covers ({tested}: same year.month, not newer)"
        )
    return problems


# The GitHub workflows a HACS integration is expected to have (they run only
# on GitHub): the HACS action for the integration category, hassfest, and CI
# running the project's own checks.
HACS_ACTION = "hacs/action@main"
HASSFEST_ACTION = "home-assistant/actions/hassfest@master"
CHECKOUT_ACTION = re.compile(r"^actions/checkout@v\d+$")


def _workflow_steps(workflow: dict[Any, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """Return (job, index, step) for every step of every job."""
    steps: list[tuple[str, int, dict[str, Any]]] = []
    for job_name, job in (workflow.get("jobs") or {}).items():
        for index, step in enumerate((job or {}).get("steps") or []):
            steps.append((str(job_name), index, step if isinstance(step, dict) else {}))
    return steps


def check_workflows(repo: Path) -> list[str]:
    """Check .github/workflows: well-formed YAML with the HACS, hassfest and CI jobs."""
    problems: list[str] = []
    folder = repo / ".github" / "workflows"
    workflows: dict[str, dict[Any, Any]] = {}
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            problems.append(f"{path.name}: not valid YAML ({err})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path.name}: not a workflow")
            continue
        # YAML 1.1 (PyYAML) reads the key "on" as True
        triggers = data.get("on", data.get(True))
        if not triggers:
            problems.append(f"{path.name}: no 'on' triggers")
        elif not {"push", "pull_request"} <= set(
            triggers if isinstance(triggers, (dict, list)) else [triggers]
        ):
            problems.append(f"{path.name}: must run on push and pull_request")
        if not data.get("jobs"):
            problems.append(f"{path.name}: no jobs")
        for job, index, step in _workflow_steps(data):
            if "uses" not in step and "run" not in step:
                problems.append(
                    f"{path.name}: {job} step {index} neither uses nor runs"
                )
        workflows[path.name] = data
    steps = [
        (name, job, index, step)
        for name, workflow in workflows.items()
        for job, index, step in _workflow_steps(workflow)
    ]

    def checked_out_before(name: str, job: str, index: int) -> bool:
        return any(
            n == name
            and j == job
            and i < index
            and CHECKOUT_ACTION.match(str(s.get("uses", "")))
            for n, j, i, s in steps
        )

    hacs = [entry for entry in steps if entry[3].get("uses") == HACS_ACTION]
    if not hacs:
        problems.append(f"workflows: no step uses {HACS_ACTION}")
    for name, _job, _index, step in hacs:
        if (step.get("with") or {}).get("category") != "integration":
            problems.append(f"{name}: {HACS_ACTION} needs with: category: integration")
    hassfest = [entry for entry in steps if entry[3].get("uses") == HASSFEST_ACTION]
    if not hassfest:
        problems.append(f"workflows: no step uses {HASSFEST_ACTION}")
    for name, job, index, _step in hassfest:
        if not checked_out_before(name, job, index):
            problems.append(f"{name}: hassfest runs on a checkout: check out first")
    ci = [entry for entry in steps if ".ci/run" in str(entry[3].get("run", ""))]
    if not ci:
        problems.append("workflows: no step runs .ci/run")
    for name, job, index, _step in ci:
        if not checked_out_before(name, job, index):
            problems.append(f"{name}: .ci/run needs the repository checked out first")
    return problems


def check_translations(integration: Path) -> list[str]:
    """Check that translations/en.json is identical to strings.json."""
    strings = _load_json(integration / "strings.json")
    english = _load_json(integration / "translations" / "en.json")
    if strings != english:
        return [
            "translations/en.json differs from strings.json (copy strings.json over it)"
        ]
    return []


def check_services(integration: Path) -> list[str]:
    """Check services.yaml against the services section of strings.json."""
    problems: list[str] = []
    path = integration / "services.yaml"
    services: dict[str, Any] = {}
    if path.exists():
        services = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    strings = _load_json(integration / "strings.json").get("services", {})
    for name, spec in services.items():
        text = strings.get(name)
        if text is None:
            problems.append(f"services: {name} has no entry in strings.json")
            continue
        for key in ("name", "description"):
            if not text.get(key):
                problems.append(f"services: strings.json lacks {name}.{key}")
        for field in (spec or {}).get("fields", {}):
            field_text = text.get("fields", {}).get(field, {})
            if not field_text.get("name") or not field_text.get("description"):
                problems.append(
                    f"services: strings.json lacks name/description of {name}.{field}"
                )
        for field in text.get("fields", {}):
            if field not in (spec or {}).get("fields", {}):
                problems.append(
                    f"services: strings.json describes unknown field {name}.{field}"
                )
    for name in strings:
        if name not in services:
            problems.append(
                f"services: strings.json describes {name}, which services.yaml lacks"
            )
    return problems


def check_icons(integration: Path) -> list[str]:
    """Check icons.json against entity translation keys and services."""
    problems: list[str] = []
    icons = _load_json(integration / "icons.json")
    strings = _load_json(integration / "strings.json")
    entity_strings = strings.get("entity", {})
    for platform, keys in icons.get("entity", {}).items():
        for key, icon in keys.items():
            if key not in entity_strings.get(platform, {}):
                problems.append(
                    f"icons: entity {platform}.{key} has no translation key"
                )
            if not isinstance(icon, dict) or not str(
                icon.get("default", "")
            ).startswith("mdi:"):
                problems.append(
                    f"icons: entity {platform}.{key} needs a default mdi: icon"
                )
    services_path = integration / "services.yaml"
    services = set()
    if services_path.exists():
        services = set(yaml.safe_load(services_path.read_text(encoding="utf-8")) or {})
    service_icons = set(icons.get("services", {}))
    for missing in sorted(services - service_icons):
        problems.append(f"icons: service {missing} has no icon")
    for extra in sorted(service_icons - services):
        problems.append(f"icons: icon for unknown service {extra}")
    return problems


def check_parallel_updates(integration: Path) -> list[str]:
    """Check that every platform module sets PARALLEL_UPDATES."""
    problems: list[str] = []
    platforms = {platform.value for platform in Platform}
    for path in sorted(integration.glob("*.py")):
        if path.stem not in platforms:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
            if isinstance(target, ast.Name)
        }
        if "PARALLEL_UPDATES" not in names:
            problems.append(f"{path.name}: platform module without PARALLEL_UPDATES")
    return problems


def check_quality_scale(integration: Path) -> list[str]:
    """Check quality_scale.yaml lists every rule with a valid status."""
    problems: list[str] = []
    rules = yaml.safe_load((integration / "quality_scale.yaml").read_text())["rules"]
    for rule in QUALITY_SCALE_RULES:
        if rule not in rules:
            problems.append(f"quality_scale: rule {rule} is not listed")
    for rule, value in rules.items():
        if rule not in QUALITY_SCALE_RULES:
            problems.append(f"quality_scale: unknown rule {rule}")
        status = value["status"] if isinstance(value, dict) else value
        if status not in ("done", "todo", "exempt"):
            problems.append(f"quality_scale: {rule} has status {status!r}")
        if status == "exempt" and not (
            isinstance(value, dict) and value.get("comment")
        ):
            problems.append(
                f"quality_scale: exempt rule {rule} needs a comment saying why"
            )
    return problems


# Where Home Assistant's strict-typing and runtime-data rules want the typed
# entry alias (``type XConfigEntry = ConfigEntry[XData]``): module -> function
# -> which positional argument is the entry (1-based). hassfest checks these
# names only for core integrations; this is the same rule, offline.
TYPED_ENTRY_FUNCTIONS: dict[str, dict[str, int]] = {
    "__init__": {
        "async_migrate_entry": 2,
        "async_remove_config_entry_device": 2,
        "async_remove_entry": 2,
        "async_setup_entry": 2,
        "async_unload_entry": 2,
    },
    "diagnostics": {
        "async_get_config_entry_diagnostics": 2,
        "async_get_device_diagnostics": 2,
    },
    **{platform.value: {"async_setup_entry": 2} for platform in Platform},
}
_TYPED_ENTRY = re.compile(r"^[A-Za-z]+ConfigEntry$")


def _entry_argument_typed(
    function: ast.FunctionDef | ast.AsyncFunctionDef, position: int
) -> bool:
    if len(function.args.args) < position:
        return False
    annotation = function.args.args[position - 1].annotation
    return isinstance(annotation, ast.Name) and bool(_TYPED_ENTRY.match(annotation.id))


def check_typed_entries(integration: Path) -> list[str]:
    """Check the entry points take the typed entry alias, not a plain ConfigEntry."""
    problems: list[str] = []
    for module_name, functions in TYPED_ENTRY_FUNCTIONS.items():
        path = integration / f"{module_name}.py"
        if not path.exists():
            continue
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in module.body:
            if (
                isinstance(node, ast.AsyncFunctionDef)
                and node.name in functions
                and not _entry_argument_typed(node, functions[node.name])
            ):
                problems.append(
                    f"{path.name}: {node.name} does not take the typed entry"
                )
    flow = ast.parse((integration / "config_flow.py").read_text(encoding="utf-8"))
    for cls in (node for node in flow.body if isinstance(node, ast.ClassDef)):
        for node in cls.body:
            if (
                isinstance(node, ast.FunctionDef)
                and node.name == "async_get_options_flow"
                and not _entry_argument_typed(node, 1)
            ):
                problems.append(
                    f"config_flow.py: {cls.name}.async_get_options_flow does not take"
                    " the typed entry"
                )
    return problems


def check_flow_strings(integration: Path) -> list[str]:
    """Check every abort reason and error the config flow uses has a string."""
    problems: list[str] = []
    strings = _load_json(integration / "strings.json")
    sources = "".join(
        p.read_text(encoding="utf-8") for p in integration.glob("config_flow*.py")
    )
    config = strings.get("config", {})
    options = strings.get("options", {})
    for reason in re.findall(r'async_abort\(\s*reason="([a-z_]+)"', sources):
        if reason not in config.get("abort", {}) and reason not in options.get(
            "abort", {}
        ):
            problems.append(f"config flow: abort reason {reason} has no string")
    for error in re.findall(r'errors\["base"\]\s*=\s*"([a-z_]+)"', sources):
        if error not in config.get("error", {}) and error not in options.get(
            "error", {}
        ):
            problems.append(f"config flow: error {error} has no string")
    return problems
