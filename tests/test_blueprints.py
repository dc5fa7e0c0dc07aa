"""The blueprints load in Home Assistant's blueprint loader and run."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import automation
from homeassistant.components.blueprint import models
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smets.push import meter_device_id

from .conftest import simulator_data, simulator_of

BLUEPRINTS = (
    Path(__file__).resolve().parent.parent / "blueprints" / "automation" / "smets"
)
NAMES = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A Pay-As-You-Go meter."""
    return simulator_data(prepayment=True)


def test_there_are_blueprints() -> None:
    assert NAMES == ["low_credit_notification.yaml", "meter_alert_notification.yaml"]


@pytest.mark.parametrize("name", NAMES)
def test_blueprint_is_valid(name: str) -> None:
    data = yaml_util.load_yaml_dict(BLUEPRINTS / name)
    blueprint = models.Blueprint(
        data, path=name, expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.validate() is None
    assert blueprint.name.startswith("SMETS HAN")


async def _use(
    hass: HomeAssistant, tmp_dir: Path, name: str, inputs: dict[str, Any]
) -> None:
    # The blueprint goes in a configuration folder of the test's own: the
    # default one lies in the shared test environment, outside the repository.
    hass.config.config_dir = str(tmp_dir)
    target = Path(hass.config.path("blueprints", "automation", "smets"))

    def copy() -> None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(BLUEPRINTS / name, target / name)

    await hass.async_add_executor_job(copy)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "use_blueprint": {"path": f"smets/{name}", "input": inputs}
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids(automation.DOMAIN)


async def test_meter_alert_blueprint_runs(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service_calls: list[ServiceCall],
    tmp_path: Path,
) -> None:
    device_id = meter_device_id(hass, init_integration, "esme")
    await _use(
        hass,
        tmp_path,
        "meter_alert_notification.yaml",
        {
            "meter": device_id,
            "severities": ["critical"],
            "notify": [
                {"action": "test.automation", "data": {"message": "{{ message }}"}}
            ],
        },
    )
    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_alert(0x8F49)  # info: not chosen
    await sim.send_alert(0x8F3F)  # tamper: critical
    await hass.async_block_till_done()
    assert len(service_calls) == 1
    assert "0x8F3F" in service_calls[0].data["message"]
    assert service_calls[0].data["message"].startswith("Electricity meter alert")


async def test_low_credit_blueprint_runs(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service_calls: list[ServiceCall],
    tmp_path: Path,
) -> None:
    await _use(
        hass,
        tmp_path,
        "low_credit_notification.yaml",
        {
            "low_credit": "binary_sensor.electricity_meter_low_credit",
            "credit": "sensor.electricity_meter_credit",
            "days_left": "sensor.electricity_meter_days_of_credit_left",
            "notify": [
                {"action": "test.automation", "data": {"message": "{{ message }}"}}
            ],
        },
    )
    hass.states.async_set("binary_sensor.electricity_meter_low_credit", "on")
    await hass.async_block_till_done()
    assert len(service_calls) == 1
    assert "credit is low" in service_calls[0].data["message"]
