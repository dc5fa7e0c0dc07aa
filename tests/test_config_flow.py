"""The config flow: every path, every error recovers, duplicates abort."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from decimal import Decimal
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_USB,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smets.const import (
    CONF_BILLING_DAY,
    CONF_CO2_FACTOR,
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_ESME_INTERVAL,
    CONF_ESTIMATE_HISTORY_COST,
    CONF_EXPORT_RATE,
    CONF_EXPORT_RATE_ENTITY,
    CONF_GAS_CV_OVERRIDE,
    CONF_GAS_FLOW,
    CONF_GAS_INTERVAL,
    CONF_GAS_PREPAYMENT,
    CONF_GAS_PRICE_ENTITY,
    CONF_HUB_ID,
    CONF_INSTALL_CODE,
    CONF_NETWORK,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_RADIO_TYPE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TARIFF_INTERVAL,
    CONF_TIERS,
    CONNECTION_RADIO,
    CONNECTION_SIMULATOR,
    DEFAULT_CO2_FACTOR,
    DEFAULT_ESME_INTERVAL,
    DEFAULT_GAS_INTERVAL,
    DEFAULT_TARIFF_INTERVAL,
    DOMAIN,
)
from custom_components.smets.han.ezsp import JOIN_REASONS
from custom_components.smets.han.ezsp_versions import supported_versions
from custom_components.smets.han.simulator import HanSimulator
from custom_components.smets.price_entities import PriceKind
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
)

from .conftest import hub_ieee, simulator_data
from .emulated_radio import (
    DEFAULT_LINE,
    PRINTED_CODE,
    ZBT2_LINE,
    line_settings,
    ports,
    printed,
    radio_entry_data,
)

SIMULATOR_INPUT = {
    CONF_PROFILE: "smets1",
    CONF_SEED: 7,
    CONF_TIERS: "4",
    CONF_PREPAYMENT: True,
    CONF_GAS_PREPAYMENT: True,
    CONF_GAS_FLOW: True,
    CONF_SOLAR: False,
}
SHORT_CODE = bytes(range(6))


@pytest.fixture
async def ncp(ezsp_version: int) -> AsyncGenerator[EmulatedNcp]:
    """A radio on a pseudo-terminal, listed as the machine's one serial port."""
    async with EmulatedNcp() as radio:
        with ports(radio):
            yield radio


def _port(path: str) -> dict[str, Any]:
    return {CONF_DEVICE_PATH: path, CONF_RADIO_TYPE: "ezsp"}


async def _start(hass: HomeAssistant, step: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["radio", "simulator"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def test_simulator_creates_entry(hass: HomeAssistant) -> None:
    result = await _start(hass, "simulator")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "simulator"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SIMULATOR_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Simulated SMETS1 meter (seed 7)"
    assert result["data"] == {
        CONF_CONNECTION: CONNECTION_SIMULATOR,
        CONF_PROFILE: "smets1",
        CONF_SEED: 7,
        CONF_TIERS: 4,
        CONF_PREPAYMENT: True,
        CONF_GAS_PREPAYMENT: True,
        CONF_GAS_FLOW: True,
        CONF_SOLAR: False,
    }
    # Unique per Comms Hub: the simulated hub's EUI64.
    assert result["result"].unique_id == hub_ieee(7)


async def test_simulator_suggests_a_free_seed(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data=simulator_data(seed=1), unique_id=hub_ieee(1)
    ).add_to_hass(hass)
    result = await _start(hass, "simulator")
    schema = result["data_schema"].schema
    seed = next(key for key in schema if key == CONF_SEED)
    assert seed.default() == 2


async def test_simulator_same_han_twice_aborts(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data=simulator_data(seed=7), unique_id=hub_ieee(7)
    ).add_to_hass(hass)
    result = await _start(hass, "simulator")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SIMULATOR_INPUT
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_simulator_error_recovers(hass: HomeAssistant) -> None:
    real_start = HanSimulator.start
    calls = 0

    async def failing_start(self: HanSimulator) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            self.radio_loss()  # nothing answers: discovery times out
        return await real_start(self)

    with (
        patch(
            "custom_components.smets.han.simulator.HanSimulator.start", failing_start
        ),
        patch("custom_components.smets.connection.REQUEST_TIMEOUT", 0.01),
    ):
        result = await _start(hass, "simulator")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], SIMULATOR_INPUT
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "cannot_connect"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], SIMULATOR_INPUT
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_radio_port_unplugged_recovers(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path
) -> None:
    result = await _start(hass, "radio")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "radio"
    # The detected ports are offered; any other path may be typed.
    selector = result["data_schema"].schema[CONF_DEVICE_PATH].config
    assert selector["options"] == [
        {"value": ncp.path, "label": f"{ncp.path} (Emulated EZSP NCP)"}
    ]
    assert selector["custom_value"] is True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(tmp_path / "ttyUSB9"))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(ncp.path)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair"
    assert ncp.problems == []


async def test_radio_that_does_not_answer(hass: HomeAssistant) -> None:
    async with EmulatedNcp(silent=True) as silent:
        with patch("custom_components.smets.han.radio.PROBE_TIMEOUT", 0.2):
            result = await _start(hass, "radio")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _port(silent.path)
            )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_radio_with_a_firmware_it_cannot_speak(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    version = max(supported_versions()) + 1  # newer than bellows has frames for
    async with EmulatedNcp(protocol_version=version) as newer:
        result = await _start(hass, "radio")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _port(newer.path)
        )
    assert result["errors"] == {"base": "unsupported_firmware"}
    assert f"firmware speaks EZSP v{version}" in caplog.text  # the details, in the log


async def test_pairing_shows_what_the_supplier_needs(
    hass: HomeAssistant, ncp: EmulatedNcp
) -> None:
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(ncp.path)
    )
    assert result["step_id"] == "pair"
    assert result["description_placeholders"] == {
        "eui64": DEFAULT_EUI64,
        "install_code": PRINTED_CODE,
        "certificate": "yes",
        "join_log": "",
    }
    # The code comes from the radio: nothing to type but the hub's ID, optional.
    assert list(result["data_schema"].schema) == [CONF_HUB_ID]


@pytest.mark.usefixtures("ezsp_version")
async def test_radio_without_install_code_or_certificate(
    hass: HomeAssistant,
) -> None:
    async with EmulatedNcp(install_code=None, has_certificate=False) as bare:
        with ports(bare):
            result = await _start(hass, "radio")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _port(bare.path)
            )
    assert result["description_placeholders"]["install_code"] == "-"
    assert result["description_placeholders"]["certificate"] == "no"
    assert list(result["data_schema"].schema) == [CONF_INSTALL_CODE, CONF_HUB_ID]


# --- joining the hub's HAN, over the emulated radio ------------------------------


@pytest.fixture
def fast_timeouts() -> None:
    """Real timeouts: requests cross a serial line here (overrides conftest's)."""


@pytest.fixture
def han() -> HanSimulator:
    """The meter's HAN, where the supplier registered the radio (window open)."""
    han = HanSimulator(1)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    return han


@pytest.fixture
def port(tmp_path: Path) -> Path:
    """The stable name of the radio's port (a symlink, like /dev/serial/by-id/...)."""
    return tmp_path / "ttyUSB0"


@pytest.fixture
async def radio(
    han: HanSimulator, port: Path, ezsp_version: int
) -> AsyncGenerator[EmulatedNcp]:
    """A radio within range of ``han``, on ``port``."""
    async with EmulatedNcp(han=han) as ncp:
        _plug(port, ncp.path)
        yield ncp


def _plug(port: Path, device: str | Path) -> None:
    """Point a port's stable name at a device (the stick plugged in, or again)."""
    port.unlink(missing_ok=True)
    port.symlink_to(device)


async def _to_pairing(hass: HomeAssistant, port: Path) -> dict[str, Any]:
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(port))
    )
    assert result["step_id"] == "pair"
    return result


async def _join(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Submit the pairing form, let the join run, return where the flow went."""
    with patch("custom_components.smets.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input or {}
        )
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        assert result["step_id"] == "join"
        assert result["progress_action"] == "join"
        await hass.async_block_till_done()
        return await hass.config_entries.flow.async_configure(flow_id)


async def test_radio_joins_and_creates_the_entry(
    hass: HomeAssistant, radio: EmulatedNcp, han: HanSimulator, port: Path
) -> None:
    result = await _to_pairing(hass, port)
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Smart meter HAN"
    data = result["data"]
    network = data.pop(CONF_NETWORK)
    transcript = data.pop("join_transcript")
    steps = [entry["step"] for entry in transcript]
    assert steps[:3] == ["install_code", "radio_open", "eui64"]
    assert "ke_link_key_stored" in steps
    assert steps[-1] == "joined"
    assert data == {
        CONF_CONNECTION: CONNECTION_RADIO,
        CONF_RADIO_TYPE: "ezsp",
        CONF_DEVICE_PATH: str(port),
        "baudrate": 115200,
        "flow_control": None,  # bellows' default (XON/XOFF)
        "radio_eui64": DEFAULT_EUI64,
    }
    assert network["eui64"] == DEFAULT_EUI64
    assert network["hub_ieee"] == str(han.hub.ieee)
    assert network["cbke"] is True
    # One entry per Comms Hub, as for the simulated meter.
    assert result["result"].unique_id == str(han.hub.ieee)
    # No secret is stored: the radio keeps its keys.
    assert PRINTED_CODE.replace(" ", "") not in json.dumps(result["data"]).upper()
    assert radio.problems == []


async def test_closed_after_the_join_leaves_the_han(
    hass: HomeAssistant, radio: EmulatedNcp, han: HanSimulator, port: Path
) -> None:
    """Closed between the join and the entry: the radio does not stay on the HAN."""
    result = await _to_pairing(hass, port)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()  # joined; the entry is not made yet
    assert radio.ieee in han.joined
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "leaveNetwork" in radio.commands
    assert radio.ieee not in han.joined
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_closed_after_the_join_with_the_radio_gone(
    hass: HomeAssistant,
    radio: EmulatedNcp,
    port: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = await _to_pairing(hass, port)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    await radio.unplug()
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "could not leave it again" in caplog.text


@pytest.mark.usefixtures("ezsp_version")
async def test_radio_without_install_code_takes_the_printed_one(
    hass: HomeAssistant, han: HanSimulator
) -> None:
    han.register_device(DEFAULT_EUI64, SHORT_CODE)
    async with EmulatedNcp(han=han, install_code=None) as bare:
        with ports(bare):
            result = await _start(hass, "radio")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _port(bare.path)
            )
            assert list(result["data_schema"].schema) == [
                CONF_INSTALL_CODE,
                CONF_HUB_ID,
            ]
            typo = printed(SHORT_CODE)[:-1] + "0"
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_INSTALL_CODE: typo}
            )
            assert result["type"] is FlowResultType.FORM
            assert result["errors"] == {CONF_INSTALL_CODE: "invalid_install_code"}
            result = await _join(
                hass,
                result["flow_id"],
                {CONF_INSTALL_CODE: printed(SHORT_CODE).lower()},
            )
            assert result["type"] is FlowResultType.CREATE_ENTRY
            assert bare.problems == []


async def test_the_hub_is_picked_by_the_id_printed_on_it(
    hass: HomeAssistant, radio: EmulatedNcp, han: HanSimulator, port: Path
) -> None:
    result = await _to_pairing(hass, port)
    # Not an EUI64: said at the field, nothing joined
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HUB_ID: "00-1B-C5-0C"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HUB_ID: "invalid_hub_id"}
    assert "joinNetwork" not in radio.commands
    # A neighbour's hub: no network of it in range, the registration unspent
    result = await _join(hass, result["flow_id"], {CONF_HUB_ID: "001BC50C0A000001"})
    assert result["step_id"] == "pair"
    assert result["errors"] == {"base": "hub_not_found"}
    hub = str(han.hub.ieee)
    assert hub in result["description_placeholders"]["join_log"]  # what was found
    assert "joinNetwork" not in radio.commands
    # The ID typed before is offered again
    suggested = next(
        key for key in result["data_schema"].schema if key == CONF_HUB_ID
    ).description
    assert suggested == {"suggested_value": "00:1b:c5:0c:0a:00:00:01"}
    # The ID as printed on this hub: it joins that network
    label = "-".join(hub.split(":")).upper()
    result = await _join(hass, result["flow_id"], {CONF_HUB_ID: label})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == hub
    assert result["data"][CONF_NETWORK]["extended_pan_id"] == hub
    assert CONF_HUB_ID not in result["data"]
    assert radio.problems == []


@dataclass(frozen=True)
class JoinFault:
    """A fault on the radio or the HAN, and how it is put right."""

    reason: str
    fault: Callable[[HanSimulator, EmulatedNcp], None]
    fix: Callable[[HanSimulator, EmulatedNcp], None]


def _register(han: HanSimulator, radio: EmulatedNcp | None = None) -> None:
    """The supplier registers the radio (again): the join window opens."""
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)


JOIN_FAULTS = [
    JoinFault(
        "no_network",
        lambda han, _: setattr(han, "in_range", False),
        lambda han, _: setattr(han, "in_range", True),
    ),
    JoinFault(
        "join_refused",
        lambda han, _: han.register_device(DEFAULT_EUI64, bytes(16)),
        _register,
    ),
    JoinFault(
        "join_window_closed",
        lambda han, _: setattr(han, "join_window_open", False),
        _register,
    ),
    JoinFault(
        "no_certificate",
        lambda _, radio: setattr(radio, "has_certificate", False),
        lambda _, radio: setattr(radio, "has_certificate", True),
    ),
    JoinFault(
        "cbke_failed",
        # a certificate the hub will never accept (a development kit's, say)
        lambda han, _: setattr(han, "cbke_terminate", ("initiate", 0x06)),
        lambda han, _: setattr(han, "cbke_terminate", None),
    ),
    JoinFault(
        "no_cbke",
        lambda han, _: setattr(han, "cbke_mode", "absent"),
        lambda han, _: setattr(han, "cbke_mode", "required"),
    ),
    JoinFault(
        "no_key_table",
        # a firmware without the key table setting, built with none
        lambda _, radio: setattr(radio, "config_refusals", {0x1E: 0x37}),
        lambda _, radio: setattr(radio, "config_refusals", {}),
    ),
    JoinFault(
        "certificate_not_this_radio",
        # the stick's EUI64 rewritten (a coordinator backup restored onto it)
        lambda _, radio: setattr(radio, "certificate_subject", bytes(8)),
        lambda _, radio: setattr(
            radio, "certificate_subject", bytes.fromhex(DEFAULT_EUI64.replace(":", ""))
        ),
    ),
    JoinFault(
        "hub_certificate",
        lambda han, _: setattr(han, "hub_certificate_fault", "issuer"),
        lambda han, _: setattr(han, "hub_certificate_fault", None),
    ),
]


@pytest.mark.parametrize("case", JOIN_FAULTS, ids=lambda case: case.reason)
async def test_join_failures_are_explained_and_recover(
    hass: HomeAssistant,
    radio: EmulatedNcp,
    han: HanSimulator,
    port: Path,
    case: JoinFault,
) -> None:
    assert case.reason in JOIN_REASONS
    case.fault(han, radio)
    result = await _to_pairing(hass, port)
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair"
    assert result["errors"] == {"base": case.reason}
    # The error says what the join did last (for whoever tries a real hub)
    join_log = result["description_placeholders"]["join_log"]
    assert "The join's last steps" in join_log
    assert "failed" in join_log
    assert PRINTED_CODE.replace(" ", "")[:8] not in join_log.replace(" ", "")
    # Put right (and the supplier asked to register the radio again): it joins.
    case.fix(han, radio)
    _register(han)
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert radio.problems == []


async def test_radio_unplugged_while_joining(
    hass: HomeAssistant, radio: EmulatedNcp, port: Path
) -> None:
    result = await _to_pairing(hass, port)
    radio.unplug_on = "joinNetwork"
    result = await _join(hass, result["flow_id"])
    assert result["step_id"] == "pair"
    assert result["errors"] == {"base": "cannot_connect"}
    # Plugged in again (a new terminal behind the same stable name).
    _plug(port, radio.open_pty())
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_join_that_takes_too_long(
    hass: HomeAssistant, radio: EmulatedNcp, port: Path
) -> None:
    result = await _to_pairing(hass, port)
    radio.silent = True
    with patch("custom_components.smets.config_flow.JOIN_TIMEOUT", 0.3):
        result = await _join(hass, result["flow_id"])
    assert result["errors"] == {"base": "join_timeout"}
    radio.silent = False
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_join_unexpected_error(
    hass: HomeAssistant, radio: EmulatedNcp, port: Path
) -> None:
    result = await _to_pairing(hass, port)
    with patch(
        "custom_components.smets.config_flow.join_han",
        side_effect=RuntimeError("bug"),
    ):
        result = await _join(hass, result["flow_id"])
    assert result["errors"] == {"base": "unknown"}
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("socket_enabled")  # a TCP radio: its socket shows who has it
@pytest.mark.usefixtures("ezsp_version")
async def test_closing_the_dialog_stops_the_join(
    hass: HomeAssistant, han: HanSimulator
) -> None:
    ncp = EmulatedNcp(han=han)
    path = await ncp.open_tcp()
    try:
        result = await _start(hass, "radio")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _port(path)
        )
        assert result["step_id"] == "pair"
        ncp.silent = True  # the join would wait for the radio
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        async with asyncio.timeout(10):
            await ncp.wait_hosts(1)  # the join has the radio open
        hass.config_entries.flow.async_abort(result["flow_id"])
        await hass.async_block_till_done()
        assert hass.config_entries.flow.async_progress() == []
        assert hass.config_entries.async_entries(DOMAIN) == []
        # The join was stopped and let go of the radio (ZHA may have it now)
        async with asyncio.timeout(10):
            await ncp.wait_hosts(0)
        assert "joinNetwork" not in ncp.commands
    finally:
        await ncp.close()


@pytest.mark.usefixtures("by_id", "socket_enabled")  # on 127.0.0.1
@pytest.mark.usefixtures("ezsp_version")
async def test_network_attached_radio_by_socket_path(
    hass: HomeAssistant, han: HanSimulator
) -> None:
    """A radio on the network (or ``simulator ncp``): its socket:// path is typed in."""
    ncp = EmulatedNcp(han=han)
    path = await ncp.open_tcp()
    try:
        with ports():  # no serial port at all on this machine
            result = await _start(hass, "radio")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _port(path)
            )
        assert result["step_id"] == "pair"
        result = await _join(hass, result["flow_id"])
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"][CONF_DEVICE_PATH] == path
        assert ncp.problems == []
    finally:
        await ncp.close()


async def test_hub_already_configured_leaves_again(
    hass: HomeAssistant,
    radio: EmulatedNcp,
    han: HanSimulator,
    port: Path,
    tmp_path: Path,
) -> None:
    # Another radio reads this hub already.
    MockConfigEntry(
        domain=DOMAIN,
        data={
            **radio_entry_data(str(tmp_path / "ttyACM0")),
            "radio_eui64": "00:0d:6f:00:00:00:00:99",
        },
        unique_id=str(han.hub.ieee),
    ).add_to_hass(hass)
    result = await _to_pairing(hass, port)
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert "leaveNetwork" in radio.commands
    assert radio.problems == []


@pytest.mark.usefixtures("ezsp_version")
async def test_hub_already_configured_radio_gone(
    hass: HomeAssistant,
    radio: EmulatedNcp,
    han: HanSimulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    MockConfigEntry(
        domain=DOMAIN,
        data=radio_entry_data(str(tmp_path / "ttyACM0"), hub_ieee=str(han.hub.ieee)),
        unique_id=str(han.hub.ieee),
    ).add_to_hass(hass)
    async with EmulatedNcp(han=han, eui64="00:0d:6f:00:00:00:00:42") as other:
        han.register_device("00:0d:6f:00:00:00:00:42", DEFAULT_INSTALL_CODE)
        with ports(other):
            result = await _start(hass, "radio")
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _port(other.path)
            )
            other.unplug_on = "leaveNetwork"
            result = await _join(hass, result["flow_id"])
    assert result["reason"] == "already_configured"
    assert "could not leave the HAN again" in caplog.text


def _usb(device: str, serial_number: str = "b2c1e0d4") -> UsbServiceInfo:
    return UsbServiceInfo(
        device=device,
        vid="10C4",
        pid="EA60",
        serial_number=serial_number,
        manufacturer="Nabu Casa",
        description="Home Assistant Connect ZBT-1",
    )


USB_ID = "10C4:EA60_b2c1e0d4_Nabu Casa_Home Assistant Connect ZBT-1"


@pytest.fixture
def by_id(tmp_path: Path) -> Generator[Path]:
    """A /dev/serial/by-id of our own, where udev's stable names would be."""
    directory = tmp_path / "by-id"
    directory.mkdir()
    with patch("custom_components.smets.config_flow.SERIAL_BY_ID", str(directory)):
        yield directory


def _zha_entry(hass: HomeAssistant, path: str) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain="zha",
        data={"device": {"path": path, "baudrate": 115200}, "radio_type": "ezsp"},
    )
    entry.add_to_hass(hass)
    return entry


async def test_usb_discovery_asks_then_pairs(
    hass: HomeAssistant, ncp: EmulatedNcp, by_id: Path
) -> None:
    stable = by_id / "usb-Nabu_Casa_Home_Assistant_Connect_ZBT-1_b2c1e0d4-if00-port0"
    _plug(stable, ncp.path)
    _plug(by_id / "usb-another-stick", by_id / "nowhere")
    # ZHA runs on another stick: not this one's business.
    _zha_entry(hass, str(by_id / "usb-another-stick"))
    MockConfigEntry(domain="zha", data={"radio_type": "znp"}).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(ncp.path)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {
        "name": "Home Assistant Connect ZBT-1",
        "path": str(stable),
    }
    # The same stick is offered once.
    again = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(ncp.path)
    )
    assert again["type"] is FlowResultType.ABORT
    assert again["reason"] == "already_in_progress"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair"
    assert result["description_placeholders"]["eui64"] == DEFAULT_EUI64


async def test_usb_discovery_pairs_and_remembers_the_stick(
    hass: HomeAssistant, radio: EmulatedNcp, by_id: Path
) -> None:
    stable = by_id / "usb-Nabu_Casa_Home_Assistant_Connect_ZBT-1_b2c1e0d4-if00-port0"
    _plug(stable, radio.path)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(radio.path)
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "pair"
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE_PATH] == str(stable)
    assert result["data"]["usb_id"] == USB_ID
    # Discovered again: not offered, it is the paired stick.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(radio.path)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_usb_discovery_of_a_stick_that_does_not_answer(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path, by_id: Path
) -> None:
    # udev knows another stick only.
    _plug(by_id / "usb-another-stick", tmp_path / "ttyUSB7")
    # Not plugged in properly yet: the port's name leads nowhere.
    port = tmp_path / "ttyACM0"
    _plug(port, tmp_path / "nothing")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(str(port))
    )
    # Not an EZSP radio that answers: nothing is offered
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert hass.config_entries.flow.async_progress() == []
    # By hand, once it answers, it pairs.
    _plug(port, ncp.path)
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(port))
    )
    assert result["step_id"] == "pair"


async def test_usb_discovery_of_a_stick_with_a_firmware_it_cannot_speak(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    version = max(supported_versions()) + 1  # newer than bellows has frames for
    async with EmulatedNcp(protocol_version=version) as newer:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=_usb(newer.path)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unsupported_firmware"
    assert f"firmware speaks EZSP v{version}" in caplog.text


@pytest.mark.parametrize("has_certificate", [False, None])
async def test_usb_discovery_of_a_stick_without_a_certificate(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture, has_certificate: bool | None
) -> None:
    """Most sticks: an EZSP radio, but no Smart Energy certificate. Not offered."""
    # False: the certificate frame answers an error; None: no CBKE library at all
    async with EmulatedNcp(has_certificate=has_certificate) as plain:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USB}, data=_usb(plain.path)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_smart_energy_radio"
    assert hass.config_entries.flow.async_progress() == []
    # Only read: identity, install code, certificate; never a join
    assert "getCertificate283k1" in plain.commands
    assert "joinNetwork" not in plain.commands
    assert plain.problems == []
    # Why, where the user can read it (a discovery that aborts shows no dialog)
    assert "has no ZigBee Smart Energy certificate" in caplog.text
    assert "Home Assistant Connect ZBT-1" in caplog.text
    strings = json.loads(
        (
            Path(__file__).parent.parent / "custom_components/smets/strings.json"
        ).read_text()
    )
    assert "certificate" in strings["config"]["abort"]["not_smart_energy_radio"]


def _zbt2(device: str, pid: str = "4001") -> UsbServiceInfo:
    """A Home Assistant Connect ZBT-2 as Home Assistant's USB discovery reports it."""
    return UsbServiceInfo(
        device=device,
        vid="303A",
        pid=pid,
        serial_number="80B54EEFAE18",
        manufacturer="Nabu Casa",
        description="ZBT-2",
    )


@pytest.mark.parametrize("pid", ["4001", "831A"])
async def test_usb_discovery_of_a_zbt2_speaks_460800_with_hardware_flow_control(
    hass: HomeAssistant, radio: EmulatedNcp, by_id: Path, pid: str
) -> None:
    stable = by_id / "usb-Nabu_Casa_ZBT-2_80B54EEFAE18-if01-port0"
    _plug(stable, radio.path)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_zbt2(radio.path, pid)
    )
    # Probed at its own speed before it was offered
    assert line_settings(radio) == ZBT2_LINE
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {"name": "ZBT-2", "path": str(stable)}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "pair"
    radio.commands.clear()
    result = await _join(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "joinNetwork" in radio.commands
    assert line_settings(radio) == ZBT2_LINE  # the join too
    assert result["data"]["baudrate"] == 460800
    assert result["data"]["flow_control"] == "hardware"
    assert result["data"]["usb_id"] == f"303A:{pid}_80B54EEFAE18_Nabu Casa_ZBT-2"
    assert radio.problems == []


async def test_a_zbt2_chosen_by_hand_speaks_460800_with_hardware_flow_control(
    hass: HomeAssistant, radio: EmulatedNcp, by_id: Path
) -> None:
    stable = by_id / "usb-Nabu_Casa_ZBT-2_80B54EEFAE18-if01-port0"
    _plug(stable, radio.path)
    # The port list knows the stick on /dev/pts/N by its USB identity.
    with ports(radio, usb_id=("303A", "831A")):
        result = await _start(hass, "radio")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _port(str(stable))
        )
    assert result["step_id"] == "pair"
    assert line_settings(radio) == ZBT2_LINE
    result = await _join(hass, result["flow_id"])
    assert result["data"]["baudrate"] == 460800
    assert result["data"]["flow_control"] == "hardware"


async def test_other_sticks_speak_115200_with_bellows_defaults(
    hass: HomeAssistant, radio: EmulatedNcp
) -> None:
    with ports(radio, usb_id=("10C4", "EA60")):
        result = await _start(hass, "radio")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _port(radio.path)
        )
    assert result["step_id"] == "pair"
    assert line_settings(radio) == DEFAULT_LINE


async def test_usb_discovery_of_a_stick_unplugged_before_the_confirmation(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path, by_id: Path
) -> None:
    port = tmp_path / "ttyACM0"
    _plug(port, ncp.path)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(str(port))
    )
    assert result["step_id"] == "usb_confirm"
    _plug(port, tmp_path / "nothing")  # pulled out while the card was shown
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "usb_confirm"
    assert result["errors"] == {"base": "cannot_connect"}
    _plug(port, ncp.path)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "pair"


async def test_usb_discovery_ignored_stays_ignored(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id=USB_ID, data={}
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb("/dev/ttyUSB0")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_usb_discovery_of_a_stick_zha_uses(
    hass: HomeAssistant, ncp: EmulatedNcp, by_id: Path
) -> None:
    stable = by_id / "usb-ITead_Sonoff_Zigbee_3.0_USB_Dongle_Plus_V2-if00"
    _plug(stable, ncp.path)
    _zha_entry(hass, str(stable))
    # udev's name for the stick is /dev/ttyUSB0; ZHA knows it by its stable name.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(ncp.path)
    )
    # ZHA's stick is not offered: choosing its port by hand asks first
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "zha_uses_stick"
    assert ncp.commands == []  # never opened


@pytest.mark.parametrize(
    "domain", ["homeassistant_connect_zbt2", "homeassistant_sky_connect"]
)
async def test_usb_discovery_of_a_stick_with_thread_firmware(
    hass: HomeAssistant, ncp: EmulatedNcp, by_id: Path, domain: str
) -> None:
    stable = by_id / "usb-Nabu_Casa_ZBT-2_80B54EEFAE18-if01-port0"
    _plug(stable, ncp.path)
    # Home Assistant's hardware integration found OpenThread's RCP on it (an
    # add-on uses it), and Zigbee firmware on another stick
    MockConfigEntry(
        domain=domain, data={"device": str(stable), "firmware": "spinel"}
    ).add_to_hass(hass)
    MockConfigEntry(
        domain=domain, data={"device": "/dev/ttyACM9", "firmware": "ezsp"}
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_zbt2(ncp.path)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_zigbee_firmware"
    assert ncp.commands == []  # never opened: the add-on is not disturbed


async def test_usb_discovery_of_a_zbt2_with_zigbee_firmware(
    hass: HomeAssistant, ncp: EmulatedNcp, by_id: Path
) -> None:
    stable = by_id / "usb-Nabu_Casa_ZBT-2_80B54EEFAE18-if01-port0"
    _plug(stable, ncp.path)
    MockConfigEntry(
        domain="homeassistant_connect_zbt2",
        data={"device": str(stable), "firmware": "ezsp"},
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_zbt2(ncp.path)
    )
    assert result["step_id"] == "usb_confirm"


async def test_radio_port_zha_uses_asks_first(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path
) -> None:
    port = tmp_path / "ttyUSB0"
    _plug(port, tmp_path / "nothing")
    _zha_entry(hass, str(port))
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(port))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "in_use"
    assert result["description_placeholders"] == {"path": str(port)}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "in_use"
    assert result["errors"] == {"base": "cannot_connect"}
    _plug(port, ncp.path)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "pair"


async def test_radio_port_zha_still_has_open(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path
) -> None:
    port = tmp_path / "ttyUSB0"
    _plug(port, ncp.path)
    zha = _zha_entry(hass, str(port))
    zha.mock_state(hass, ConfigEntryState.LOADED)
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(port))
    )
    assert result["step_id"] == "in_use"
    ncp.commands.clear()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "in_use"
    assert result["errors"] == {"base": "zha_still_loaded"}
    assert ncp.commands == []  # ZHA's port is left alone
    zha.mock_state(hass, ConfigEntryState.NOT_LOADED)  # the user disabled ZHA
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "pair"


async def test_usb_discovery_of_a_paired_stick(
    hass: HomeAssistant, ncp: EmulatedNcp, by_id: Path
) -> None:
    stable = by_id / "usb-Nabu_Casa_ZBT-1-if00"
    _plug(stable, ncp.path)
    MockConfigEntry(
        domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(2)
    ).add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN, data=radio_entry_data(str(stable)), unique_id=hub_ieee(1)
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(ncp.path)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_usb_discovery_follows_a_paired_stick_to_its_new_port(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={**radio_entry_data(str(tmp_path / "ttyUSB0")), "usb_id": USB_ID},
        unique_id=hub_ieee(1),
    )
    entry.add_to_hass(hass)
    with patch("custom_components.smets.async_setup_entry", return_value=True) as setup:
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_USB},
            data=_usb(str(tmp_path / "ttyUSB1")),
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_DEVICE_PATH] == str(tmp_path / "ttyUSB1")
    assert len(setup.mock_calls) == 1
    # Found again where it is: nothing changes, nothing reloads.
    with patch("custom_components.smets.async_setup_entry", return_value=True) as setup:
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_USB},
            data=_usb(str(tmp_path / "ttyUSB1")),
        )
        await hass.async_block_till_done()
    assert result["reason"] == "already_configured"
    assert setup.mock_calls == []


async def test_a_radio_already_paired_aborts(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path
) -> None:
    # An entry of this radio whose set-up is retrying leaves the port free.
    MockConfigEntry(
        domain=DOMAIN,
        data=radio_entry_data(str(tmp_path / "ttyUSB0")),
        unique_id=hub_ieee(1),
    ).add_to_hass(hass)
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(ncp.path)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "radio_already_configured"
    # Discovered: the probe finds the paired radio, so it is not offered.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(ncp.path)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "radio_already_configured"
    # On a port ZHA was set up on: asked first, then found to be the same radio.
    port = tmp_path / "ttyACM3"
    _plug(port, ncp.path)
    _zha_entry(hass, str(port))
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(port))
    )
    assert result["step_id"] == "in_use"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "radio_already_configured"


async def test_reconfigure_simulator(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    with patch("custom_components.smets.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_TIERS: "4",
                CONF_PREPAYMENT: True,
                CONF_GAS_PREPAYMENT: True,
                CONF_GAS_FLOW: True,
                CONF_SOLAR: False,
            },
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_TIERS] == 4
    assert entry.data[CONF_PREPAYMENT] is True
    assert entry.data[CONF_GAS_PREPAYMENT] is True
    assert entry.data[CONF_GAS_FLOW] is True
    assert entry.data[CONF_SEED] == 1


async def test_reconfigure_radio(
    hass: HomeAssistant, ncp: EmulatedNcp, tmp_path: Path
) -> None:
    # The stick moved from one port to another: same radio, new path.
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=radio_entry_data(str(tmp_path / "ttyUSB0")),
        unique_id="00:11:22:33:44:55:66:77",
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_radio"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _port(str(tmp_path / "ttyUSB1"))
    )
    assert result["errors"] == {"base": "cannot_connect"}
    with patch("custom_components.smets.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _port(ncp.path)
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DEVICE_PATH] == ncp.path
    assert entry.data["network"]["hub_ieee"] == "00:11:22:33:44:55:66:77"


async def test_reconfigure_radio_refuses_another_radio(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data=radio_entry_data(str(tmp_path / "ttyUSB0")),
        unique_id="00:11:22:33:44:55:66:77",
    )
    entry.add_to_hass(hass)
    async with EmulatedNcp(eui64="00:0d:6f:ff:ff:ff:ff:ff") as other:
        with ports(other):
            result = await entry.start_reconfigure_flow(hass)
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], _port(other.path)
            )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "different_radio"
    assert entry.data[CONF_DEVICE_PATH] == str(tmp_path / "ttyUSB0")


async def test_options(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    options = {
        CONF_ESME_INTERVAL: 30,
        CONF_GAS_INTERVAL: 60,
        CONF_TARIFF_INTERVAL: 10,
        CONF_CO2_FACTOR: 0.15,
        CONF_GAS_CV_OVERRIDE: 39.2,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        **options,
        CONF_BILLING_DAY: 1,
        CONF_ESTIMATE_HISTORY_COST: True,
    }


async def test_options_billing_day(hass: HomeAssistant) -> None:
    """A day every month has (1-28), a whole one; the form says what it is."""
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    field = next(key for key in result["data_schema"].schema if key == CONF_BILLING_DAY)
    assert field.default() == 1
    selector = result["data_schema"].schema[field].config
    assert (selector["min"], selector["max"], selector["step"]) == (1, 28, 1)
    for day in (0, 29, 31, -1):
        with pytest.raises(InvalidData):
            await hass.config_entries.options.async_configure(
                result["flow_id"], {CONF_BILLING_DAY: day}
            )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_BILLING_DAY: 14.5}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_BILLING_DAY: "billing_day_not_whole"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_BILLING_DAY: 28.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_BILLING_DAY] == 28
    assert isinstance(entry.options[CONF_BILLING_DAY], int)
    # the next time, the form starts from the day chosen
    result = await hass.config_entries.options.async_init(entry.entry_id)
    field = next(key for key in result["data_schema"].schema if key == CONF_BILLING_DAY)
    assert field.default() == 28

    strings = json.loads(
        (Path(__file__).parents[1] / "custom_components/smets/strings.json").read_text()
    )
    options = strings["options"]
    assert "February" in options["step"]["init"]["data_description"][CONF_BILLING_DAY]
    assert CONF_BILLING_DAY in options["step"]["init"]["data"]
    assert "billing_day_not_whole" in options["error"]


ELECTRICITY_RATE = "sensor.agile_rate"
GAS_RATE = "sensor.gas_rate"
EXPORT_RATE = "input_number.outgoing_rate"
PRICE_OPTIONS = {
    CONF_ELECTRICITY_PRICE_ENTITY: ELECTRICITY_RATE,
    CONF_GAS_PRICE_ENTITY: GAS_RATE,
    CONF_EXPORT_RATE: 4.5,
    CONF_EXPORT_RATE_ENTITY: EXPORT_RATE,
}
DEFAULT_OPTIONS = {
    CONF_ESME_INTERVAL: DEFAULT_ESME_INTERVAL,
    CONF_GAS_INTERVAL: DEFAULT_GAS_INTERVAL,
    CONF_TARIFF_INTERVAL: DEFAULT_TARIFF_INTERVAL,
    CONF_CO2_FACTOR: DEFAULT_CO2_FACTOR,
    CONF_BILLING_DAY: 1,
    CONF_ESTIMATE_HISTORY_COST: True,
}
"""What the options hold after a form sent with only the price fields."""
EXPORT_COMPENSATION = "sensor.electricity_meter_export_compensation"
TOTAL_COST = "sensor.electricity_meter_total_cost"


def suggested(result: Any, key: str) -> Any:
    """The value a form's field is filled with (its suggested value)."""
    field = next(k for k in result["data_schema"].schema if k == key)
    return (field.description or {}).get("suggested_value")


def rates(hass: HomeAssistant) -> None:
    """Three rate entities, as another integration's would be."""
    hass.states.async_set(ELECTRICITY_RATE, "24.51", {"unit_of_measurement": "p/kWh"})
    hass.states.async_set(GAS_RATE, "0.0624", {"unit_of_measurement": "GBP/kWh"})
    hass.states.async_set(EXPORT_RATE, "15", {"unit_of_measurement": "p/kWh"})


async def test_options_price_entities_set_then_cleared(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Each price entity and the export rate: kept in the options, the entry
    reloads to use them; cleared, they are gone from the options and the entry
    reloads without them."""
    entry = init_integration
    assert entry.runtime_data.prices == {}
    assert hass.states.get(EXPORT_COMPENSATION) is None
    rates(hass)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    for key in PRICE_OPTIONS:
        assert suggested(result, key) is None
    before = entry.runtime_data
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], PRICE_OPTIONS
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {**DEFAULT_OPTIONS, **PRICE_OPTIONS}
    # reloaded: a new runtime following the three entities
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    prices = entry.runtime_data.prices
    assert {kind: price.entity_id for kind, price in prices.items()} == {
        PriceKind.ELECTRICITY: ELECTRICITY_RATE,
        PriceKind.GAS: GAS_RATE,
        PriceKind.EXPORT: EXPORT_RATE,
    }
    assert prices[PriceKind.ELECTRICITY].price == Decimal("0.2451")
    assert prices[PriceKind.GAS].price == Decimal("0.0624")
    assert prices[PriceKind.EXPORT].price == Decimal("0.15")
    assert hass.states.get(TOTAL_COST).attributes["price_entity"] == ELECTRICITY_RATE
    compensation = hass.states.get(EXPORT_COMPENSATION)
    assert compensation is not None
    assert compensation.attributes["export_rate_entity"] == EXPORT_RATE
    assert compensation.attributes["export_rate"] == 0.15

    # the form shows them the next time; cleared, they are gone
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for key, chosen in PRICE_OPTIONS.items():
        assert suggested(result, key) == chosen
    before = entry.runtime_data
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == DEFAULT_OPTIONS
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not before
    assert entry.runtime_data.prices == {}
    assert "price_entity" not in hass.states.get(TOTAL_COST).attributes
    # no longer provided: Home Assistant shows its registry entry as unavailable
    compensation = hass.states.get(EXPORT_COMPENSATION)
    assert compensation is not None
    assert compensation.state == STATE_UNAVAILABLE
    assert compensation.attributes.get("restored") is True


@pytest.mark.parametrize(
    ("key", "chosen"),
    [
        (CONF_ELECTRICITY_PRICE_ENTITY, ELECTRICITY_RATE),
        (CONF_GAS_PRICE_ENTITY, GAS_RATE),
        (CONF_EXPORT_RATE_ENTITY, EXPORT_RATE),
    ],
)
async def test_options_price_entity_in_another_unit_recovers(
    hass: HomeAssistant, key: str, chosen: str
) -> None:
    """A price entity in EUR/kWh or with no unit is refused, the choice kept on the
    form; in GBP/kWh or p/kWh it is taken, as is one with no state yet."""
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for attributes in ({"unit_of_measurement": "EUR/kWh"}, {}):
        hass.states.async_set(chosen, "0.25", attributes)
        await hass.async_block_till_done()
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {key: chosen}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {key: "price_unit"}
        assert suggested(result, key) == chosen
        assert entry.options == {}
    hass.states.async_set(chosen, "25", {"unit_of_measurement": "p/kWh"})
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {key: chosen}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {**DEFAULT_OPTIONS, key: chosen}

    # an entity with no state yet (its integration not loaded): taken
    hass.states.async_remove(chosen)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {key: chosen}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_options_bad_price_entity_or_export_rate(hass: HomeAssistant) -> None:
    """Not an entity, or one that cannot be a price, and an export rate out of
    bounds or not a number: the form refuses them and the options stay."""
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    hass.states.async_set("light.kitchen", "on")
    result = await hass.config_entries.options.async_init(entry.entry_id)
    for key in (CONF_ELECTRICITY_PRICE_ENTITY, CONF_GAS_PRICE_ENTITY):
        for bad in ("not an entity", "light.kitchen", 24.5):
            with pytest.raises(InvalidData):
                await hass.config_entries.options.async_configure(
                    result["flow_id"], {key: bad}
                )
    for bad_rate in (-1, 100.5, "fifteen"):
        with pytest.raises(InvalidData):
            await hass.config_entries.options.async_configure(
                result["flow_id"], {CONF_EXPORT_RATE: bad_rate}
            )
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_EXPORT_RATE_ENTITY: "switch.export"}
        )
    assert entry.options == {}
    # the same form takes good ones after: a fraction of a penny, the bounds
    for rate in (0, 100, 4.123):
        flow = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            flow["flow_id"], {CONF_EXPORT_RATE: rate}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert entry.options[CONF_EXPORT_RATE] == rate
