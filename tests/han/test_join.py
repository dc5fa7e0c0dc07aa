"""Joining a Comms Hub's HAN over an emulated EZSP NCP, bellows unmodified in between.

The NCP (:mod:`smets_dev.ncp`) serves a pty; behind
it is the simulated HAN, whose hub admits the radio only with the install code
the supplier registered, runs CBKE and answers ZDO discovery. Everything the
integration does on a real radio runs here: join_han, open_radio, HanLink.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import dataclasses
import datetime as dt
from decimal import Decimal
import logging
from pathlib import Path
from typing import Any

import pytest
import zigpy.types as zigpy_t
import zigpy.zdo.types as zdo_t

from custom_components.smets.han import ezsp, model
from custom_components.smets.han.capture import PcapWriter
from custom_components.smets.han.errors import HanTimeout
from custom_components.smets.han.ezsp import (
    KE_MARGIN,
    KE_MAX_WAIT,
    HanNetwork,
    JoinError,
    join_han,
    ke_step_timeout,
    leave_han,
    open_radio,
    parse_hub_id,
    parse_install_code,
)
from custom_components.smets.han.ezsp_versions import supported_versions
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.meter import AttributeReport
from custom_components.smets.han.radio import RadioError
from custom_components.smets.han.simulator import HanSimulator, cbke
from custom_components.smets.han.simulator.app import ESME_NWK
from custom_components.smets.han.simulator.cbke import install_code_crc
from custom_components.smets.han.transcript import JoinTranscript
from smets_dev.ncp import (
    CONFIG_KEY_TABLE_SIZE,
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EZSP_ERROR_INVALID_ID,
    NETWORK_CLOSED,
    NETWORK_OPENED,
    NWK_LEAVE_REQUEST_NOT_ALLOWED,
    EmulatedNcp,
)

from .tshark import needs_tshark, tshark

pytestmark = pytest.mark.usefixtures("ezsp_version")

TIMEOUT = 20.0
"""Real seconds any join may take here (it takes well under one)."""
REQUEST_TIMEOUT = 2.0
PRINTED_CODE = "83FE D340 7A93 9723 A5C6 39B2 6916 D505 C3B5"


@pytest.fixture
def han() -> HanSimulator:
    """A prepayment HAN whose hub has this radio registered (join window open)."""
    sim = HanSimulator(seed=11, prepayment=True)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    return sim


@pytest.fixture
async def ncp(han: HanSimulator) -> AsyncIterator[EmulatedNcp]:
    """The emulated radio on a pty, with the HAN in range."""
    async with EmulatedNcp(han=han) as radio:
        yield radio


async def test_join_open_read_restart_leave(
    ncp: EmulatedNcp, han: HanSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network == HanNetwork(
        eui64=DEFAULT_EUI64,
        extended_pan_id=str(han.hub.ieee),
        pan_id=0x1A62,
        channel=han.channel,
        hub_ieee=str(han.hub.ieee),
        cbke=True,
    )
    assert HanNetwork.from_dict(network.as_dict()) == network
    assert ncp.problems == []
    assert han.problems == []
    assert han.cbke_completed == {ncp.ieee}
    assert ncp.stored_link_keys == [bytes(han.hub.ieee)[::-1]]
    # No secret in the logs (bellows prints keys as 66:b6:90:...)
    _assert_no_secret(caplog.text)

    ncp.commands.clear()
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        assert "startScan" not in ncp.commands
        assert "joinNetwork" not in ncp.commands
        assert "networkInit" in ncp.commands
        assert not any("283k1" in name for name in ncp.commands)
        reading = await link.esme.poll()
        assert reading is not None
    finally:
        await link.close()
    assert ncp.problems == []
    assert han.gsme_wakeups == 0

    await leave_han(ncp.path)
    assert ncp.network is None
    assert ncp.ieee not in han.joined


LINK_KEY_HEX = "66b6900981e1ee3ca4206b6b861c02bb"
"""The AES-MMO hash of DEFAULT_INSTALL_CODE with its CRC (AN1089's example)."""


def _assert_no_secret(text: str) -> None:
    flat = text.lower().replace(" ", "").replace(":", "")
    assert LINK_KEY_HEX not in flat
    assert "83fed3407a93" not in flat
    assert "\\x83\\xfe\\xd3@" not in text


@pytest.fixture
def serial_debug_logging() -> Iterator[None]:
    """Debug logging for the serial stack's children, as Home Assistant's
    ``logger: logs: bellows.ezsp.protocol: debug`` sets it: a level of their own."""
    names = ("bellows.ezsp.protocol", "bellows.ash", "bellows.uart", "bellows.ezsp")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.usefixtures("serial_debug_logging")
async def test_no_secret_in_a_configured_debug_log(
    ncp: EmulatedNcp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await join_han(ncp.path, timeout=TIMEOUT)
    assert "getEui64" in caplog.text  # the serial stack did log, around the secrets
    _assert_no_secret(caplog.text)
    # The levels set for the children are back as they were
    assert logging.getLogger("bellows.ezsp.protocol").level == logging.DEBUG
    assert logging.getLogger("bellows").level == logging.NOTSET


async def test_a_firmware_newer_than_bellows_speaks_is_refused_clearly(
    han: HanSimulator,
) -> None:
    """A version bellows has no frames for would be misread: say so, do not misjoin."""
    newer = max(supported_versions()) + 1
    async with EmulatedNcp(han=han, protocol_version=newer) as ncp:
        with pytest.raises(RadioError, match=f"EZSP v{newer}; .* v6 to v") as err:
            await join_han(ncp.path, timeout=TIMEOUT)
        assert not isinstance(err.value, JoinError)
        assert "joinNetwork" not in ncp.commands
        network = HanNetwork(DEFAULT_EUI64, str(han.hub.ieee), 0x1A62, 15, "x", True)
        with pytest.raises(RadioError, match=f"EZSP v{newer}"):
            await open_radio(ncp.path, network)
        assert ncp.problems == []


async def _released(ncp: EmulatedNcp) -> None:
    """Wait (bounded) until the host has closed its TCP connection to the NCP."""
    async with asyncio.timeout(TIMEOUT):
        await ncp.wait_hosts(0)


async def test_join_and_open_over_tcp_and_cancel_releases_the_radio(
    han: HanSimulator,
) -> None:
    """A network-attached radio (socket://); a cancelled open closes the socket."""
    ncp = EmulatedNcp(han=han)
    path = await ncp.open_tcp()
    try:
        assert path.startswith("socket://127.0.0.1:")
        network = await join_han(path, timeout=TIMEOUT)
        assert network.cbke
        await _released(ncp)  # join_han closed the radio
        ncp.silent = True  # the open waits for the radio...
        opening = asyncio.create_task(open_radio(path, network))
        async with asyncio.timeout(TIMEOUT):
            await ncp.wait_hosts(1)
        opening.cancel()  # ...and Home Assistant gives up (shutdown, unload)
        with pytest.raises(asyncio.CancelledError):
            await opening
        await _released(ncp)
        ncp.silent = False
        app = await open_radio(path, network)
        await app.shutdown()
        assert ncp.problems == []
    finally:
        await ncp.close()


def test_parse_install_code() -> None:
    assert parse_install_code(PRINTED_CODE) == DEFAULT_INSTALL_CODE + b"\xc3\xb5"
    with pytest.raises(ValueError, match="CRC"):
        parse_install_code(PRINTED_CODE[:-1] + "6")
    with pytest.raises(ValueError, match="2-byte CRC"):
        parse_install_code("0011 2233")
    with pytest.raises(ValueError, match="hexadecimal"):
        parse_install_code("xyz")


def _printed(code: bytes) -> str:
    """An install code as printed: hex with its CRC, in groups of four."""
    text = (code + install_code_crc(code).to_bytes(2, "little")).hex().upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


async def _joined(ncp: EmulatedNcp) -> HanNetwork:
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert ncp.problems == []
    return network


async def test_every_feature_over_the_radio(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    await han.advance(3 * 3600)  # some history
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        assert {d.nwk for d in link.discovered} == {
            han.esme.nwk,
            han.hub.nwk,
            han.gsme.nwk,
        }
        assert link.gsme is not None
        assert link.gsme.sleepy
        now = han.clock.time()
        reading = await link.esme.poll()
        assert (
            reading.import_kwh == Decimal(han.electricity.import_register(now)) / 1000
        )
        gas = await link.gas.poll()
        assert gas.volume_m3 == Decimal(han.gas.register(now)) / 1000
        end = han.clock.now()
        series = await link.esme.get_profile_raw(end - dt.timedelta(hours=2), end)
        assert len(series) == 4
        result = await link.esme.top_up(han.issue_utrn(1500))
        assert result.accepted
        assert result.value == Decimal(15)
        alerts: asyncio.Queue[object] = asyncio.Queue()
        link.esme.subscribe(alerts.put_nowait)
        await han.send_alert(0x8F3F)
        alert = await asyncio.wait_for(alerts.get(), TIMEOUT)
        assert isinstance(alert, model.AlertEvent)
        assert alert.code == 0x8F3F
    finally:
        await link.close()
    assert ncp.problems == []
    assert han.problems == []
    assert han.gsme_wakeups == 0
    # Discovery asked the hub about its sleeping GSME, never the GSME
    assert "Match_Desc_req" in han.zdo_requests


async def test_restart_resumes_without_pairing(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    stored = HanNetwork.from_dict(network.as_dict())
    await ncp.close()  # unplugged and plugged in again: the radio keeps its tokens
    path = ncp.open_pty()
    ncp.commands.clear()
    app = await open_radio(path, stored)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        await link.esme.poll()
    finally:
        await link.close()
    assert "networkInit" in ncp.commands
    for pairing in (
        "startScan",
        "setInitialSecurityState",
        "joinNetwork",
        "getCertificate283k1",
        "generateCbkeKeys283k1",
        "calculateSmacs283k1",
    ):
        assert pairing not in ncp.commands
    assert ncp.problems == []


async def test_open_after_leaving_fails_cleanly(ncp: EmulatedNcp) -> None:
    network = await _joined(ncp)
    await leave_han(ncp.path)
    with pytest.raises(RadioError, match="pair it again"):
        await open_radio(ncp.path, network)
    # Leaving again has nothing to do
    await leave_han(ncp.path)


async def test_open_when_the_hub_forgot_the_radio(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    han.leave(ncp.ieee)
    with pytest.raises(RadioError, match="could not resume"):
        await open_radio(ncp.path, network)


async def test_open_with_another_radio(ncp: EmulatedNcp) -> None:
    network = await _joined(ncp)
    other = HanNetwork.from_dict(
        {**network.as_dict(), "eui64": "00:11:22:33:44:55:66:77"}
    )
    with pytest.raises(RadioError, match="joined by"):
        await open_radio(ncp.path, other)


async def test_user_install_code_when_the_radio_has_none(han: HanSimulator) -> None:
    async with EmulatedNcp(han=han, install_code=None) as ncp:
        with pytest.raises(ValueError, match="no install code"):
            await join_han(ncp.path, timeout=TIMEOUT)
        network = await join_han(
            ncp.path, install_code=_printed(DEFAULT_INSTALL_CODE), timeout=TIMEOUT
        )
    assert network.cbke


# --- faults: each gives its reason, none hangs --------------------------------------


async def test_join_refused_with_the_wrong_install_code(ncp: EmulatedNcp) -> None:
    with pytest.raises(JoinError) as err:
        await join_han(ncp.path, install_code=_printed(bytes(16)), timeout=TIMEOUT)
    assert err.value.reason == "join_refused"
    assert ncp.network is None


async def test_join_refused_when_not_registered() -> None:
    han = HanSimulator(seed=3)
    han.join_window_open = True  # open, but for another device
    han.register_device("00:11:22:33:44:55:66:77", DEFAULT_INSTALL_CODE)
    async with EmulatedNcp(han=han) as ncp:
        with pytest.raises(JoinError) as err:
            await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "join_refused"


async def test_join_window_closed(ncp: EmulatedNcp, han: HanSimulator) -> None:
    han.join_window_open = False
    with pytest.raises(JoinError) as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "join_window_closed"
    assert "joinNetwork" not in ncp.commands  # the beacon said so


async def test_no_network_in_range(ncp: EmulatedNcp, han: HanSimulator) -> None:
    han.in_range = False
    with pytest.raises(JoinError) as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "no_network"
    async with EmulatedNcp() as lonely:
        with pytest.raises(JoinError, match="no ZigBee network"):
            await join_han(lonely.path, timeout=TIMEOUT)


@pytest.mark.parametrize("has_certificate", [False, None])
async def test_no_certificate(han: HanSimulator, has_certificate: bool | None) -> None:
    async with EmulatedNcp(han=han, has_certificate=has_certificate) as ncp:
        with pytest.raises(JoinError) as err:
            await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "no_certificate"
    assert "joinNetwork" not in ncp.commands


@pytest.mark.parametrize(
    ("step", "status", "words"),
    [
        ("initiate", 0x01, "unknown issuer"),
        ("initiate", 0x06, "invalid certificate"),  # a test certificate, say
        ("initiate", 0x05, "unsupported suite"),
    ],
)
async def test_cbke_refused_for_good_leaves_the_network(
    ncp: EmulatedNcp, han: HanSimulator, step: str, status: int, words: str
) -> None:
    """A hub that will never accept this radio's certificate: no retry, no half-join."""
    han.cbke_terminate = (step, status)
    transcript = JoinTranscript()
    with pytest.raises(JoinError, match=words) as err:
        await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert err.value.reason == "cbke_failed"
    assert ncp.stored_link_keys == []
    assert han.cbke_completed == set()
    assert han.cbke_terminations == []  # a Terminate is not answered with one
    assert ncp.problems == []
    # The radio cleared its temporary CBKE data, then left the HAN
    assert ncp.commands[-2:] == [
        "clearTemporaryDataMaybeStoreLinkKey283k1",
        "leaveNetwork",
    ]
    assert ncp.network is None
    steps = [entry["step"] for entry in transcript.entries]
    assert steps.count("ke_attempt") == 1
    assert "left_network" in steps
    assert steps[-1] == "failed"


@pytest.mark.parametrize(
    ("step", "status"),
    [("initiate", 0x04), ("ephemeral", 0x03), ("confirm", 0x02)],
)
async def test_cbke_retries_after_the_wait_time_the_hub_gives(
    ncp: EmulatedNcp, han: HanSimulator, step: str, status: int
) -> None:
    """One Terminate (busy hub, lost frame): wait as long as it says, then again."""
    han.cbke_hiccups = [(step, status, 1)]
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.cbke
    assert not network.ke_pending
    assert han.cbke_completed == {ncp.ieee}
    assert han.cbke_terminations == []
    waits = [e for e in transcript.entries if e["step"] == "ke_retry_wait"]
    assert [e["wait_s"] for e in waits] == [1.0]
    terminated = [e for e in transcript.entries if e["step"] == "ke_terminated_by_hub"]
    assert [e["wait_s"] for e in terminated] == [1]
    assert ncp.problems == []
    assert han.problems == []


async def test_cbke_that_keeps_failing_is_left_pending_and_finished_at_the_next_start(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registration is spent once joined: never leave with nothing to show."""
    han.cbke_wait_time = 1
    han.cbke_terminate = ("ephemeral", 0x03)  # every attempt
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network.ke_pending
    assert not network.cbke
    assert ncp.network is not None  # still on the HAN
    assert HanNetwork.from_dict(network.as_dict()) == network
    assert "ephemeral" not in han.install_codes  # (nothing else to spend)
    # No partner link key without the hub's link key first
    assert "requestLinkKey" not in ncp.commands
    assert ncp.key_table == {}
    han.cbke_terminate = None
    app = await open_radio(ncp.path, network)
    try:
        assert isinstance(app, ezsp.EzspHanApplication)
        assert app.network.cbke
        assert not app.network.ke_pending
        assert han.cbke_completed == {ncp.ieee}
        # ... then the partner link key with the meter, as a join does
        assert list(ncp.key_table) == [han.esme.ieee]
        assert han.link_key_requests == [(ncp.ieee, han.esme.ieee, True)]
        link = await HanLink.open(
            app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
        )
        assert await link.esme.poll() is not None
    finally:
        await app.shutdown()
    assert ncp.problems == []


async def test_a_pending_key_establishment_the_hub_refuses_at_the_start(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """Finishing a pending exchange checks the hub's certificate too: pair again."""
    han.cbke_wait_time = 1
    han.cbke_terminate = ("ephemeral", 0x03)
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network.ke_pending
    han.cbke_terminate = None
    han.hub_certificate_fault = "issuer"
    with pytest.raises(RadioError, match="another authority issued it") as err:
        await open_radio(ncp.path, network)
    assert "pair the radio again" in str(err.value)
    assert han.cbke_terminations[-1] == 0x01  # Unknown Issuer
    assert han.cbke_completed == set()
    assert ncp.stored_link_keys == []
    assert "requestLinkKey" not in ncp.commands
    assert ncp.problems == []


@pytest.mark.parametrize("mode", ["unsupported", "absent"])
async def test_a_hub_without_cbke_is_a_join_error(
    ncp: EmulatedNcp, han: HanSimulator, mode: str
) -> None:
    # GBCS: joining the SMHAN uses CBKE; without it no meter would answer
    han.cbke_mode = mode
    with pytest.raises(JoinError) as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "no_cbke"
    assert "generateCbkeKeys283k1" not in ncp.commands
    assert "requestLinkKey" not in ncp.commands
    # Not a mode, and not retried: the radio does not stay half-joined
    assert ncp.commands[-1] == "leaveNetwork"
    assert ncp.network is None
    assert ncp.problems == []


async def test_a_network_stored_without_cbke_must_be_paired_again(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    old = HanNetwork.from_dict({**network.as_dict(), "cbke": False})
    with pytest.raises(RadioError, match="pair the radio again"):
        await open_radio(ncp.path, old)


async def test_the_join_gets_a_partner_link_key_with_the_meter(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.cbke
    # Each step is in the join's transcript, after key establishment
    steps = [entry["step"] for entry in transcript.entries]
    partner_steps = [
        "partner_meters_found",
        "partner_ieee",
        "partner_bind",
        "request_link_key",
        "partner_link_key",
    ]
    assert [s for s in steps if s in partner_steps] == partner_steps
    assert steps.index("key_establishment") < steps.index("partner_meters_found")
    assert transcript.entries[steps.index("partner_link_key")]["key_status"] == "0x01"
    # The key table was sized before the stack started; the key is in it
    assert ncp.key_table_size == ezsp.KEY_TABLE_SIZE
    assert list(ncp.key_table) == [han.esme.ieee]
    assert han.link_key_requests == [(ncp.ieee, han.esme.ieee, True)]
    assert han.ke_bindings["esme"] == {ncp.ieee}
    # An In-Premise Display endpoint that declares the clients it uses
    assert ncp.endpoints[ezsp.CAD_ENDPOINT] == (0x0109, 0x0502)
    assert ncp.problems == []


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("slots", "table is full"),
        ("no_meter", "no electricity meter answered"),
    ],
)
async def test_a_meter_that_gives_no_partner_key_leaves_it_pending(
    ncp: EmulatedNcp,
    han: HanSimulator,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    why: str,
) -> None:
    """Once on the HAN the supplier's registration is spent: a meter that gives
    no partner link key (full, or silent) leaves the key pending in a network
    that is kept, and every start asks again until it comes (failed before:
    JoinError, the radio left on the HAN with nothing stored)."""
    monkeypatch.setattr(ezsp, "DISCOVERY_WINDOW", 1.0)
    endpoints = dict(han.esme.endpoints)
    if fault == "slots":
        han.partner_key_slots = 0  # the meter holds as many devices as it can
    else:
        han.esme.endpoints.clear()
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.cbke
    assert network.partner_keys_pending
    assert not network.ke_pending
    assert HanNetwork.from_dict(network.as_dict()) == network
    assert ncp.network is not None  # the radio stayed on the HAN
    assert han.esme.ieee not in ncp.key_table
    (pending,) = [e for e in transcript.entries if e["step"] == "partner_keys_pending"]
    assert why in pending["reason"]
    # A start while the meter still gives none: the network as it stands
    with pytest.raises(ezsp.PartnerKeysPendingError, match=why) as err:
        await open_radio(ncp.path, network)
    assert err.value.network == network
    # The meter has room again (a device removed): the next start gets the key
    han.partner_key_slots = 4
    han.esme.endpoints.update(endpoints)
    ncp.commands.clear()
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        assert not any("283k1" in name for name in ncp.commands)  # CBKE stays done
        assert "requestLinkKey" in ncp.commands
        assert app.network == dataclasses.replace(network, partner_keys_pending=False)
        assert await link.esme.poll() is not None
    finally:
        await link.close()
    assert ncp.problems == []


async def test_a_certificate_for_another_eui64_is_refused_before_the_join(
    han: HanSimulator,
) -> None:
    """The hub looks the subject up among the devices it admitted (failed before:
    the radio joined, spending the registration, then CBKE failed)."""
    async with EmulatedNcp(han=han, certificate_eui64="00:0d:6f:00:00:00:00:01") as ncp:
        with pytest.raises(JoinError, match="00:0d:6f:00:00:00:00:01") as err:
            await join_han(ncp.path, timeout=TIMEOUT)
        assert err.value.reason == "certificate_not_this_radio"
        assert "joinNetwork" not in ncp.commands
        assert ncp.ieee not in han.joined


async def test_a_firmware_without_a_key_table_is_refused_before_the_join(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """No room for the meter's link key: refused while the registration is
    unspent (failed before: joined, then "the radio's key table is full")."""
    ncp.config_refusals = {CONFIG_KEY_TABLE_SIZE: EZSP_ERROR_INVALID_ID}
    with pytest.raises(JoinError, match="no key table") as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "no_key_table"
    assert "joinNetwork" not in ncp.commands
    assert ncp.ieee not in han.joined


async def test_a_key_the_trust_centre_does_not_send_is_known_at_once(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed request names no partner (all zeros, security.h): it is this
    request's failure (failed before: ignored, then "the Comms Hub sent no
    link key" once the wait ran out)."""
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 0.5)
    han.link_key_silent = True
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.partner_keys_pending
    (pending,) = [e for e in transcript.entries if e["step"] == "partner_keys_pending"]
    assert "the trust centre sent no key (timeout)" in pending["reason"]
    assert ncp.problems == []


async def test_cbke_ends_with_a_default_response_as_the_reference_initiator(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """key-establishment.c cleanupAndStopWithDelay: the initiator that stored
    the key answers the Confirm Key Data Response with Default Response
    SUCCESS (failed before: nothing was sent)."""
    await _joined(ncp)
    confirm_tsn = next(
        tsn for command, tsn in han.cbke_sent if command == "confirm_key_data_response"
    )
    assert han.cbke_default_responses == [(confirm_tsn, 0x02, 0x00)]
    assert han.problems == []


@pytest.mark.parametrize("misses", [1, 2])
async def test_a_meter_that_misses_the_partner_broadcast_is_found(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch, misses: int
) -> None:
    """A broadcast is not acknowledged: the partner search broadcasts again,
    then asks each router of the hub's neighbour table directly (failed
    before: "no electricity meter answered on the HAN")."""
    monkeypatch.setattr(ezsp, "DISCOVERY_WINDOW", 1.0)
    han.broadcast_misses = {"esme": misses}
    network = await _joined(ncp)
    assert not network.partner_keys_pending
    assert list(ncp.key_table) == [han.esme.ieee]
    assert ("Mgmt_Lqi_req" in han.zdo_requests) == (misses > 1)


async def test_lost_zdo_answers_after_the_join_are_asked_again(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer may be lost: each ZDO step of the join is sent again (failed
    before: HanTimeout, with the registration spent)."""
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 0.5)
    han.zdo_answer_misses = {"IEEE_addr_req": 2, "Match_Desc_req": 1, "Bind_req": 2}
    network = await _joined(ncp)
    assert network.cbke
    assert not network.partner_keys_pending
    assert network.hub_ieee == str(han.hub.ieee)
    assert list(ncp.key_table) == [han.esme.ieee]
    assert han.zdo_answer_misses == {
        "IEEE_addr_req": 0,
        "Match_Desc_req": 0,
        "Bind_req": 0,
    }


async def test_a_hub_that_never_says_who_it_is_is_known_by_its_extended_pan_id(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GBCS: the extended PAN id is the hub's HAN IEEE address."""
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 0.5)
    han.zdo_answer_misses = {"IEEE_addr_req": ezsp.ZDO_ATTEMPTS}
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.hub_ieee == network.extended_pan_id == str(han.hub.ieee)
    assert network.cbke
    hub = next(e for e in transcript.entries if e["step"] == "hub")
    assert hub["source"] == "extended_pan_id"


async def test_a_hub_silent_about_key_establishment_leaves_it_pending(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No answer to the Match_Desc for its Key Establishment endpoint is no
    refusal: the radio stays joined with key establishment pending."""
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 0.5)
    han.zdo_answer_misses = {"Match_Desc_req": ezsp.ZDO_ATTEMPTS}
    network = await _joined(ncp)
    assert network.ke_pending
    assert not network.cbke
    assert ncp.network is not None
    app = await open_radio(ncp.path, network)
    try:
        assert app.network.cbke
        assert not app.network.ke_pending
        assert not app.network.partner_keys_pending
        assert list(ncp.key_table) == [han.esme.ieee]
    finally:
        await app.shutdown(db=False)


async def test_a_join_after_a_leave_keeps_only_this_networks_partner_key(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """The key table is tokens a leave keeps: the join clears it, as Silicon Labs'
    framework does before forming or joining (af-node.c zaNodeSecurityInit)."""
    await _joined(ncp)
    old_meter = han.esme.ieee
    await leave_han(ncp.path)
    assert ncp.key_table == {old_meter: 0}  # the stack forgets no key by leaving
    # Paired again, after the electricity meter was exchanged for another one
    han.meter_exchange(new_eui64=True)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network.cbke
    assert ncp.key_table == {han.esme.ieee: 0}
    assert ncp.problems == []


async def test_a_radio_whose_key_table_is_full_of_other_networks_keys_still_joins(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """A stick used on other networks before: every entry holds a stale partner key."""
    stale = {zigpy_t.EUI64(bytes([n] * 8)): n for n in range(ezsp.KEY_TABLE_SIZE)}
    ncp.key_table = dict(stale)
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.cbke
    (answer,) = [e for e in transcript.entries if e["step"] == "partner_link_key"]
    assert answer["key_status"] == "0x01"  # APP_LINK_KEY_ESTABLISHED
    assert ncp.key_table == {han.esme.ieee: 0}
    # The key table was cleared before the join, not at a later start
    ncp.commands.clear()
    app = await open_radio(ncp.path, network)
    try:
        assert "clearKeyTable" not in ncp.commands
        assert ncp.key_table == {han.esme.ieee: 0}
    finally:
        await app.shutdown()
    assert ncp.problems == []


async def test_smart_energy_frames_are_encrypted_both_ways(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        await link.esme.poll()
        await link.hub.read(0x0708, [0x0101])
        assert set(ncp.unencrypted_sent) == {0x0800}  # only key establishment
        assert han.unsecured_requests == []
        # Every pushed cluster each meter serves is bound to the radio
        assert ("esme", 1, 0x0709) in han.bindings
        assert ("esme", 1, 0x0703) in han.bindings
        assert ("hub", 2, 0x0702) in han.bindings
        assert app.unbound == set()
        # A push that comes unencrypted is dropped and counted, never delivered
        alerts: asyncio.Queue[object] = asyncio.Queue()
        link.esme.subscribe(alerts.put_nowait)
        han.unencrypted_pushes = True
        await han.send_alert(0x8F3F)
        await asyncio.sleep(0.2)
        assert alerts.empty()
        assert app.unencrypted_dropped == 1
        han.unencrypted_pushes = False
        await han.send_alert(0x8F3F)
        alert = await asyncio.wait_for(alerts.get(), TIMEOUT)
        assert isinstance(alert, model.AlertEvent)
    finally:
        await link.close()
    assert ncp.problems == []


async def test_attribute_reports_come_over_the_radio_because_it_bound_metering(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """A meter reports to its bindings: the start binds Metering before any report."""
    network = await _joined(ncp)
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        assert ("esme", 1, 0x0702) in han.bindings
        events: list[object] = []
        link.esme.subscribe(events.append)
        device: Any = app.get_device(nwk=zigpy_t.NWK(han.esme.nwk))
        metering: Any = device.endpoints[1].in_clusters[0x0702]
        await metering.configure_reporting(0x0400, 10, 10, 1)
        await han.advance(10)
        async with asyncio.timeout(TIMEOUT):
            while not events:  # noqa: ASYNC110 - the report crosses the radio
                await asyncio.sleep(0.02)
        (report,) = events
        assert isinstance(report, AttributeReport)
        assert report.values[0x0400] == han.electricity.demand_w(han.clock.time())
        assert han.unbound_pushes == []
    finally:
        await link.close()
    # The bindings are the meter's (a ZDO Bind_req to it, as Silicon Labs'
    # performBinding sends with emberBindRequest): the radio's own binding
    # table is never written
    assert ncp.bindings == {}
    assert "setBinding" not in ncp.commands
    assert ncp.problems == []


async def test_a_meter_that_refuses_bindings_is_left_to_polling(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    han.bind_refused.add("esme")
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        esme = str(han.esme.ieee)
        assert {(ieee, ep) for ieee, ep, _ in link.unbound} == {(esme, 1)}
        assert {cluster for *_, cluster in link.unbound} >= {0x0700, 0x0703, 0x0709}
        events: list[object] = []
        link.esme.subscribe(events.append)
        await link.poll_unbound()  # the first look: the log as it is
        assert events == []
        # Nothing is pushed to a client that is not bound...
        await han.send_message("Your tariff changes on Monday")
        await han.send_alert(0x8F3F)
        await asyncio.sleep(0.2)
        assert events == []
        assert ("esme", 0x0703) in han.unbound_pushes
        # ... so the next poll asks: GetLastMessage and GetEventLog
        await link.poll_unbound()
        kinds = {type(event).__name__ for event in events}
        assert kinds == {"SupplierMessage", "AlertEvent"}
        alert = next(e for e in events if isinstance(e, model.AlertEvent))
        assert alert.code == 0x8F3F
        events.clear()
        await link.poll_unbound()  # nothing new
        assert events == []
    finally:
        await link.close()


async def test_a_busy_event_log_is_not_taken_for_an_empty_one(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """A first GetEventLog answered FAILURE (the server answers another client,
    events-server.c) says nothing of the log: what it held is not news later
    (failed before: taken for an empty log, so the next poll raised the old
    alert again)."""
    network = await _joined(ncp)
    han.bind_refused.add("esme")
    await han.send_alert(0x8F3F)  # logged before the radio looks
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        events: list[object] = []
        link.esme.subscribe(events.append)
        han.event_log_busy = 1
        await link.poll_unbound()
        await link.poll_unbound()  # the first real look
        assert [e for e in events if isinstance(e, model.AlertEvent)] == []
        await han.send_alert(0x8F40)
        await link.poll_unbound()
        alerts = [e for e in events if isinstance(e, model.AlertEvent)]
        assert [a.code for a in alerts] == [0x8F40]
    finally:
        await link.close()


@pytest.mark.parametrize("command", ["joinNetwork", "generateCbkeKeys283k1"])
async def test_ncp_reset_mid_join(ncp: EmulatedNcp, command: str) -> None:
    ncp.reset_on = command
    with pytest.raises(RadioError) as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert not isinstance(err.value, JoinError)


@pytest.mark.parametrize("command", ["startScan", "joinNetwork", "calculateSmacs283k1"])
async def test_serial_unplugged_mid_join(ncp: EmulatedNcp, command: str) -> None:
    ncp.unplug_on = command
    with pytest.raises(RadioError):
        await join_han(ncp.path, timeout=TIMEOUT)
    # The port is gone: a later attempt fails at once, it does not hang
    with pytest.raises(RadioError):
        await join_han(ncp.path, timeout=TIMEOUT)


async def test_unplugged_while_running(ncp: EmulatedNcp, han: HanSimulator) -> None:
    network = await _joined(ncp)
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        await link.esme.poll()
        await ncp.unplug()
        with pytest.raises(Exception) as err:  # noqa: PT011 - whatever the link maps it to
            await link.esme.poll()
        assert "radio" in str(err.value).lower() or isinstance(err.value, HanTimeout)
    finally:
        await link.close()


async def test_a_silent_radio_times_out() -> None:
    async with EmulatedNcp(silent=True) as ncp:
        with pytest.raises((HanTimeout, RadioError)):
            await join_han(ncp.path, timeout=1.0)


async def test_radio_loss_reported_as_delivery_failure(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        han.radio_loss(reported=True)
        with pytest.raises(Exception) as err:  # noqa: PT011 - the link's own error
            await link.esme.poll()
        assert "deliver" in str(err.value).lower() or "radio" in str(err.value).lower()
        han.radio_return()
        await link.esme.poll()
    finally:
        await link.close()


# --- capture ---------------------------------------------------------------------


@needs_tshark
async def test_capture_on_the_radio_path(
    ncp: EmulatedNcp, han: HanSimulator, tmp_path: Path
) -> None:
    network = await _joined(ncp)
    path = tmp_path / "radio.pcap"
    with PcapWriter(path) as writer:
        app = await open_radio(ncp.path, network, capture=writer)
        link = await HanLink.open(
            app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
        )
        try:
            await link.esme.poll()
            await link.gas.poll()
        finally:
            await link.close()
        assert writer.frames > 10
    config = tmp_path / "wireshark"
    assert tshark(path, config, "-Y", "_ws.malformed or _ws.expert") == ""
    decoded = tshark(path, config, "-T", "fields", "-e", "zbee_zcl_se.met.attr_id")
    assert decoded.strip()


# --- a hub with no room for another router --------------------------------------


async def test_a_full_hub_admits_the_radio_as_an_end_device(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    han.router_capacity = 0
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network.node_type == "end_device"
    assert network.cbke
    # Refused as a router (JOIN_FAILED), admitted as an end device
    assert ncp.commands.count("joinNetwork") == 2
    assert ncp.network is not None
    assert ncp.network.node_type == 0x03  # EMBER_END_DEVICE: receiver on, not sleepy
    assert han.cbke_completed == {ncp.ieee}
    assert ncp.problems == []

    stored = HanNetwork.from_dict(network.as_dict())
    assert stored == network
    await ncp.close()  # a restart: the radio keeps its tokens
    path = ncp.open_pty()
    app = await open_radio(path, stored)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        assert app.state.node_info.logical_type == zdo_t.LogicalType.EndDevice
        cad = app.get_device(ieee=app.state.node_info.ieee)
        assert cad.nwk == app.state.node_info.nwk
        await link.esme.poll()
    finally:
        await link.close()
    # It polls the hub, its parent, every minute (EMBER_EVENT_MINUTE_TIME, 3 failures)
    assert ncp.polling == (1, 0x03, 3)
    assert ncp.problems == []
    # Removed: it resumes as the end device it is, then leaves (failed before:
    # "networkInit of an end device without PARENT_INFO_IN_TOKEN")
    await leave_han(path)
    assert ncp.network is None
    assert ncp.problems == []


async def test_a_router_does_not_poll(ncp: EmulatedNcp, han: HanSimulator) -> None:
    network = await _joined(ncp)
    assert network.node_type == "router"
    app = await open_radio(ncp.path, network)
    try:
        assert app.state.node_info.logical_type == zdo_t.LogicalType.Router
    finally:
        await app.shutdown()
    assert "pollForData" not in ncp.commands
    assert ncp.problems == []


async def test_open_as_another_node_type_than_joined(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    han.router_capacity = 0
    network = await _joined(ncp)
    as_router = HanNetwork.from_dict({**network.as_dict(), "node_type": "router"})
    with pytest.raises(RadioError, match="as node type 3, not as the router"):
        await open_radio(ncp.path, as_router)


# --- what a stack reports while it joins ----------------------------------------


async def test_transient_stack_statuses_are_not_the_join_result(
    ncp: EmulatedNcp, han: HanSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.smets.han.ezsp")
    ncp.transient_statuses = (NETWORK_OPENED, NETWORK_CLOSED)
    network = await _joined(ncp)
    assert network.cbke
    assert "Stack status 0x9C while waiting for joinNetwork" in caplog.text
    app = await open_radio(ncp.path, network)  # networkInit reports them too
    await app.shutdown()
    await leave_han(ncp.path)
    assert ncp.network is None
    assert ncp.problems == []


# --- key establishment: the hub's timing, and our own Terminate -----------------


def test_ke_step_timeout() -> None:
    # Silicon Labs' initiator: 10 s base plus the hub's advertised time
    assert KE_MARGIN == 10.0
    assert ke_step_timeout(10) == 10 + KE_MARGIN
    assert ke_step_timeout(0) == ezsp.REQUEST_TIMEOUT  # never less than a request
    assert ke_step_timeout(255) == KE_MAX_WAIT  # a uint8: bounded


@pytest.mark.parametrize("step", ["ephemeral", "confirm"])
async def test_cbke_waits_as_long_as_the_hub_says(
    ncp: EmulatedNcp,
    han: HanSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    step: str,
) -> None:
    """A slow hub that says it is slow: its step takes longer than a request may."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smets.han.ezsp")
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 1.0)
    han.cbke_times = (4, 4)
    han.cbke_delays = {step: 2.0}
    network = await _joined(ncp)
    assert network.cbke
    assert han.cbke_completed == {ncp.ieee}
    assert han.cbke_terminations == []
    assert "waiting up to 14 s and 14 s" in caplog.text


async def test_cbke_gives_up_when_the_hub_is_slower_than_it_said(
    ncp: EmulatedNcp, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ezsp, "KE_MARGIN", 0.0)
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 1.0)
    monkeypatch.setattr(ezsp, "KE_RETRY_WAIT", 0.1)
    han.cbke_times = (1, 1)  # waits max(1 + 0, 1.0) s
    han.cbke_delays = {"ephemeral": 3.0}
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.ke_pending
    assert ncp.stored_link_keys == []
    steps = [entry["step"] for entry in transcript.entries]
    # (a late answer to one attempt may land in the next: it fails there too)
    assert "ke_timeout" in steps
    assert steps.count("ke_attempt") == ezsp.KE_ATTEMPTS
    assert "ke_gave_up" in steps


@pytest.mark.parametrize(
    ("corrupt", "library_fails", "status", "words"),
    [
        ("ephemeral", None, 0x03, "not 37 bytes"),  # Bad Message
        ("confirm", None, 0x02, "does not match"),  # Bad Key Confirm
        (None, "generateCbkeKeys283k1", 0x04, "library failed"),  # No Resources
        (None, "calculateSmacs283k1", 0x04, "library failed"),
    ],
)
async def test_cbke_failing_on_our_side_terminates_it(  # noqa: PLR0917 - the cases
    ncp: EmulatedNcp,
    han: HanSimulator,
    monkeypatch: pytest.MonkeyPatch,
    corrupt: str | None,
    library_fails: str | None,
    status: int,
    words: str,
) -> None:
    monkeypatch.setattr(ezsp, "KE_RETRY_WAIT", 0.1)
    han.cbke_corrupt = corrupt
    ncp.cbke_library_fails = library_fails
    transcript = JoinTranscript()
    network = await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert network.ke_pending  # tried KE_ATTEMPTS times, the radio stays joined
    failures = [e for e in transcript.entries if e["step"] == "ke_failed_here"]
    assert len(failures) == ezsp.KE_ATTEMPTS
    assert words in str(failures[0]["reason"])
    # The hub was told each time, with the SE status for what went wrong
    assert han.cbke_terminations == [status] * ezsp.KE_ATTEMPTS
    assert han.cbke_completed == set()
    assert ncp.stored_link_keys == []
    assert ncp.commands[-1] == "clearTemporaryDataMaybeStoreLinkKey283k1"
    assert ncp.problems == []
    assert han.problems == []


# --- stored networks --------------------------------------------------------------

OLD_STORED = {
    "eui64": DEFAULT_EUI64,
    "extended_pan_id": "00:11:22:33:44:55:66:77",
    "pan_id": 0x1A62,
    "channel": 22,
    "hub_ieee": "00:11:22:33:44:55:66:77",
    "cbke": True,
}
"""A network as the first release stored it (before the node type)."""


def test_a_network_stored_by_an_older_version() -> None:
    network = HanNetwork.from_dict(OLD_STORED)
    assert network.node_type == "router"
    assert network.as_dict() == {
        **OLD_STORED,
        "node_type": "router",
        "ke_pending": False,
        "partner_keys_pending": False,
    }
    assert HanNetwork.from_dict(network.as_dict()) == network
    end_device = HanNetwork.from_dict({**OLD_STORED, "node_type": "end_device"})
    assert end_device.node_type == "end_device"
    with pytest.raises(ValueError, match="node type"):
        HanNetwork.from_dict({**OLD_STORED, "node_type": "coordinator"})


async def test_open_a_network_stored_by_an_older_version(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    network = await _joined(ncp)
    old = {k: v for k, v in network.as_dict().items() if k != "node_type"}
    app = await open_radio(ncp.path, HanNetwork.from_dict(old))
    try:
        assert app.state.node_info.logical_type == zdo_t.LogicalType.Router
    finally:
        await app.shutdown()
    assert ncp.problems == []


@pytest.mark.parametrize(
    ("fault", "status", "why"),
    [
        ("issuer", 0x01, "another authority issued it"),
        ("subject", 0x03, "not the hub"),
        ("key_usage", 0x06, "key usage"),
        ("curve", 0x06, "sect283k1"),
        ("hash", 0x06, "AES-MMO"),
        ("type", 0x06, "implicit"),
    ],
)
async def test_the_hubs_certificate_is_checked_as_the_reference_initiator_does(
    ncp: EmulatedNcp, han: HanSimulator, fault: str, status: int, why: str
) -> None:
    han.hub_certificate_fault = fault
    transcript = JoinTranscript()
    with pytest.raises(JoinError, match=why) as err:
        await join_han(ncp.path, timeout=TIMEOUT, transcript=transcript)
    assert err.value.reason == "hub_certificate"
    # The hub is told why (Terminate Key Establishment), nothing is stored
    assert han.cbke_terminations == [status]
    assert ncp.stored_link_keys == []
    assert "calculateSmacs283k1" not in ncp.commands
    # A refusal no retry can change: one attempt, then the radio leaves the HAN
    assert "requestLinkKey" not in ncp.commands
    assert ncp.commands[-1] == "leaveNetwork"
    assert ncp.network is None
    steps = [entry["step"] for entry in transcript.entries]
    assert steps.count("ke_attempt") == 1
    assert "ke_hub_certificate_refused" in steps
    assert "ke_retry_wait" not in steps
    assert "left_network" in steps
    assert ncp.problems == []


def test_a_good_hub_certificate_passes() -> None:
    hub = "00:0d:6f:00:00:00:00:01"
    hub_cert = cbke.certificate(bytes.fromhex(hub.replace(":", "")))
    own = cbke.certificate(bytes.fromhex(DEFAULT_EUI64.replace(":", "")))
    assert ezsp.check_hub_certificate(hub_cert, own, hub) is None
    assert ezsp.check_hub_certificate(hub_cert, own, DEFAULT_EUI64) is not None


async def test_discovery_finds_an_esme_that_missed_the_broadcasts(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """Broadcasts are not acknowledged: the hub's neighbour table names the ESME."""
    network = await _joined(ncp)
    han.broadcast_misses = {"esme": 2}  # the broadcast and its retry
    han.zdo_requests.clear()
    app = await open_radio(ncp.path, network)
    try:
        nwks = {int(device.nwk) for device in app.devices.values()}
        assert {0x0000, 0x1A2B, 0x4C3D} <= nwks  # hub, ESME, GSME
        assert han.zdo_requests.count("Match_Desc_req") >= 4
        assert "Mgmt_Lqi_req" in han.zdo_requests
    finally:
        await app.shutdown()
    assert han.gsme_wakeups == 0
    assert ncp.problems == []


@pytest.mark.parametrize("missed_key", [False, True])
async def test_a_radio_that_lost_the_han_rejoins(
    ncp: EmulatedNcp, han: HanSimulator, missed_key: bool
) -> None:
    """NETWORK_DOWN while running: a secure rejoin, else through the Trust Centre."""
    network = await _joined(ncp)
    app = await open_radio(ncp.path, network)
    try:
        assert isinstance(app, ezsp.EzspHanApplication)
        ncp.drop_network(missed_key_rotation=missed_key)
        async with asyncio.timeout(5):
            while not app.rejoined:  # noqa: ASYNC110 - the app's counter
                await asyncio.sleep(0.02)
        assert ncp.network_up
        assert ncp.rejoins == ([True, False] if missed_key else [True])
        link = await HanLink.open(
            app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
        )
        assert await link.esme.poll() is not None
    finally:
        await app.shutdown()
    assert ncp.problems == []


@pytest.mark.parametrize(
    "printed",
    [
        "001BC50C0A000001",
        "00-1B-C5-0C-0A-00-00-01",
        "00:1b:c5:0c:0a:00:00:01",
        "001B C50C 0A00 0001",
    ],
)
def test_the_hub_id_is_16_hex_digits_with_or_without_separators(printed: str) -> None:
    assert parse_hub_id(printed) == "00:1b:c5:0c:0a:00:00:01"


@pytest.mark.parametrize(
    "printed", ["", "001BC50C0A0000", "001BC50C0A00000102", "001BC50C0A00000G"]
)
def test_a_hub_id_that_is_not_an_eui64_is_refused(printed: str) -> None:
    with pytest.raises(ValueError, match="16 hexadecimal digits"):
        parse_hub_id(printed)


async def test_the_join_picks_the_hub_by_the_id_printed_on_it(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """GBCS: the extended PAN id is the hub's HAN IEEE address, printed on it."""
    printed = str(han.hub.ieee).replace(":", "").upper()
    network = await join_han(ncp.path, hub_id=printed, timeout=TIMEOUT)
    assert network.extended_pan_id == str(han.hub.ieee)
    assert network.hub_ieee == str(han.hub.ieee)
    assert ncp.problems == []


async def test_another_hubs_id_joins_nothing_and_spends_no_registration(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    transcript = JoinTranscript()
    with pytest.raises(JoinError) as err:
        await join_han(
            ncp.path,
            hub_id="00-1B-C5-0C-0A-00-00-01",
            timeout=TIMEOUT,
            transcript=transcript,
        )
    assert err.value.reason == "hub_not_found"
    assert str(han.hub.ieee) in str(err.value)  # what the scan found, to compare
    assert "joinNetwork" not in ncp.commands
    assert ncp.network is None
    # The registration is still there for the right hub
    network = await join_han(ncp.path, hub_id=str(han.hub.ieee), timeout=TIMEOUT)
    assert network.cbke
    assert ncp.problems == []


async def test_a_network_leave_request_does_not_take_the_radio_off_the_han(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """The SE profile's extended security bitmask: a router discards Leave requests."""
    network = await _joined(ncp)
    app = await open_radio(ncp.path, network)
    try:
        ncp.leave_requested()
        assert ncp.network is not None, "the radio left the HAN"
        assert ncp.leave_requests_discarded == 1
        assert ncp.extended_security & NWK_LEAVE_REQUEST_NOT_ALLOWED
        link = await HanLink.open(
            app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
        )
        assert await link.esme.poll() is not None
    finally:
        await app.shutdown()
    assert ncp.problems == []


async def test_partners_are_in_the_address_table_at_every_start(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """The address table is RAM: the join fills it, and each start after a reset."""
    network = await _joined(ncp)
    assert [eui64 for eui64, _ in ncp.address_table.values()] == [han.esme.ieee]
    app = await open_radio(ncp.path, network)
    try:
        assert list(ncp.address_table.values()) == [(han.esme.ieee, ESME_NWK)]
    finally:
        await app.shutdown()
    assert ncp.problems == []


@needs_tshark
async def test_capture_of_the_join_opens_in_wireshark(
    ncp: EmulatedNcp, han: HanSimulator, tmp_path: Path
) -> None:
    """The join's frames (ZDO, key establishment, a Terminate) in a pcap tshark reads."""
    han.cbke_hiccups = [("ephemeral", 0x04, 1)]
    path = tmp_path / "join.pcap"
    with PcapWriter(path) as writer:
        network = await join_han(ncp.path, timeout=TIMEOUT, capture=writer)
        assert writer.frames >= 10
    assert network.cbke
    config = tmp_path / "wireshark"
    assert tshark(path, config, "-Y", "_ws.malformed or _ws.expert") == ""
    clusters = tshark(path, config, "-T", "fields", "-e", "zbee_aps.cluster").split()
    assert clusters.count("0x0800") >= 8  # two exchanges, the Terminate included
    # The Match_Desc broadcasts, as broadcasts (failed before: not captured)
    broadcasts = tshark(
        path,
        config,
        "-Y",
        "zbee_aps.zdp_cluster == 0x0006 && zbee_nwk.dst >= 0xfff8",
        "-T",
        "fields",
        "-e",
        "wpan.dst16",
        "-e",
        "wpan.ack_request",
        "-e",
        "zbee_nwk.dst",
        "-e",
        "zbee_aps.type",
        "-e",
        "zbee_aps.delivery",
        "-e",
        "zbee_zdp.profile",
    ).splitlines()
    assert broadcasts
    assert set(broadcasts) == {"0xffff\tFalse\t0xfffd\t0x00\t0x02\t0x0109"}


async def test_get_current_price_says_the_radio_receives_when_idle(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """GetCurrentPrice's Command Options bit 0 is 1 for a requester whose receiver
    is on when idle (SE 1.x Price cluster), as this radio always is, router or
    EMBER_END_DEVICE (failed before: 0, as if it slept)."""
    network = await join_han(ncp.path, timeout=TIMEOUT)
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
    )
    try:
        await link.esme.get_current_price()
    finally:
        await link.close()
    assert han.price_request_options
    assert set(han.price_request_options) == {0x01}
