"""Diagnostics: useful, and never a key, an install code or a full EUI64."""

from __future__ import annotations

import json
import re

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.smets.diagnostics import (
    async_get_config_entry_diagnostics,
    redact_eui64,
)
from smets_dev.hostile import Source, packet

FULL_EUI64 = re.compile(r"\b(?:[0-9a-f]{2}:){7}[0-9a-f]{2}\b", re.IGNORECASE)


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    # Called directly: the test clock is frozen in the past, which an HTTP
    # client's fresh access token would not accept.
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    diagnostics = json.loads(json.dumps(diagnostics))
    assert diagnostics == snapshot
    text = json.dumps(diagnostics)
    assert not FULL_EUI64.search(text)
    assert init_integration.unique_id not in text
    assert diagnostics["link"]["requests_total"] > 0
    assert diagnostics["meters"]["esme"]["catalogue"]["smets_version"] == "SMETS2"


async def test_diagnostics_show_dropped_frames(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A hostile frame the link dropped shows, by meter and reason, redacted."""
    link = init_integration.runtime_data.link
    esme = link.esme
    link.app.packet_received(
        packet(
            Source(esme.nwk, 1, paired=True),
            0x0702,
            b"\x18\x01",  # a ZCL header cut short
            dst_nwk=int(link.app.state.node_info.nwk),
        )
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)
    assert diagnostics["link"]["dropped_frames"] == {
        redact_eui64(esme.ieee): {"truncated": 1}
    }
    assert not FULL_EUI64.search(json.dumps(diagnostics))


def test_redact_eui64() -> None:
    assert redact_eui64("00:0d:6f:00:0a:bc:de:f0") == "**:**:**:**:**:**:de:f0"
    assert redact_eui64("not an address") == "**REDACTED**"
