"""The emulated NCP behaves as Silicon Labs' sources say a real one does.

Each test here drives the emulator alone, frame by frame (no integration code
in between), and pins one behaviour listed in ``docs/radio-conformance.md``
with its public source, so the emulator cannot drift toward what the host
expects.
"""

from __future__ import annotations

import asyncio

import pytest

from custom_components.smets.han.simulator import HanSimulator, cbke
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
)

from . import test_ncp

# EZSP frame ids (UG100; bellows/ezsp/v4/commands.py)
GET_CERTIFICATE_283K1 = 0xEC
GENERATE_CBKE_KEYS_283K1 = 0xE8
GENERATE_CBKE_KEYS_HANDLER_283K1 = 0xE9
CALCULATE_SMACS_283K1 = 0xEA
CALCULATE_SMACS_HANDLER_283K1 = 0xEB
CLEAR_TEMPORARY_DATA_283K1 = 0xEE

# EmberStatus (gecko_sdk protocol/zigbee/stack/include/error-def.h)
SUCCESS = 0x00
ERR_FATAL = 0x01
LIBRARY_NOT_PRESENT = 0xB5
OPERATION_IN_PROGRESS = 0xBA


class Host(test_ncp.Host):
    """The hand-written ASH host, reading every frame a command brings."""

    def exchange(self, frame_id: int, params: bytes = b"") -> list[tuple[int, bytes]]:
        """Send a command; return (frame id, parameters) of the response and callbacks."""
        header = bytes((self.seq, 0x00, 0x01)) + frame_id.to_bytes(2, "little")
        self.seq += 1
        return self.parse(self.data(header + params))

    def parse(self, frames: list[bytes]) -> list[tuple[int, bytes]]:
        """Return (frame id, parameters) of the DATA frames among ``frames``."""
        out: list[tuple[int, bytes]] = []
        for frame in frames:
            control = frame[0]
            if control & 0x80:
                continue  # ACK / NAK
            self.ack = (control >> 4) + 1 & 0x07
            ezsp = test_ncp.xor(frame[1:])
            out.append((int.from_bytes(ezsp[3:5], "little"), ezsp[5:]))
        return out

    async def until(self, frame: tuple[int, bytes]) -> list[tuple[int, bytes]]:
        """Return what the NCP sends by itself, up to and with ``frame``."""
        out: list[tuple[int, bytes]] = []
        async with asyncio.timeout(10):
            while frame not in out:
                await asyncio.sleep(0.01)
                out += self.parse(self.take())
        return out


def _host(ncp: EmulatedNcp) -> Host:
    host = Host(ncp)
    host.reset()
    host.negotiate()
    return host


PARTNER = bytes.fromhex("0011223344556677")[::-1]


# --- CBKE (crypto suite 2, sect283k1) --------------------------------------------


def test_cbke_crypto_commands_answer_operation_in_progress() -> None:
    """generateCbkeKeys283k1 / calculateSmacs283k1 start the work: 0xBA, then the handler.

    gecko_sdk cbke-crypto-engine.h: "it will immediately return with
    ::EMBER_OPERATION_IN_PROGRESS"; the handlers carry EMBER_SUCCESS.
    """
    ncp = EmulatedNcp()
    host = _host(ncp)
    ((frame_id, answer),) = host.exchange(GET_CERTIFICATE_283K1)
    assert (frame_id, answer[0]) == (GET_CERTIFICATE_283K1, SUCCESS)
    (response, handler) = host.exchange(GENERATE_CBKE_KEYS_283K1)
    assert response == (GENERATE_CBKE_KEYS_283K1, bytes((OPERATION_IN_PROGRESS,)))
    assert handler[0] == GENERATE_CBKE_KEYS_HANDLER_283K1
    assert handler[1][0] == SUCCESS
    assert len(handler[1]) == 1 + cbke.EPHEMERAL_LENGTH
    partner_ephemeral = cbke.ephemeral_key(PARTNER, 7)
    (response, handler) = host.exchange(
        CALCULATE_SMACS_283K1,
        b"\x01" + cbke.certificate(PARTNER) + partner_ephemeral,
    )
    assert response == (CALCULATE_SMACS_283K1, bytes((OPERATION_IN_PROGRESS,)))
    assert handler[0] == CALCULATE_SMACS_HANDLER_283K1
    assert handler[1][0] == SUCCESS
    assert len(handler[1]) == 1 + 2 * cbke.SMAC_LENGTH
    assert host.exchange(CLEAR_TEMPORARY_DATA_283K1, b"\x01") == [
        (CLEAR_TEMPORARY_DATA_283K1, bytes((SUCCESS,)))
    ]
    assert ncp.stored_link_keys == [PARTNER]
    assert ncp.problems == []


def test_clearing_cbke_data_without_storing_answers_err_fatal() -> None:
    """cbke-crypto-engine.h: "If storeLinkkey is false, this function returns
    ::EMBER_ERR_FATAL always"."""
    ncp = EmulatedNcp()
    host = _host(ncp)
    host.exchange(GET_CERTIFICATE_283K1)
    host.exchange(GENERATE_CBKE_KEYS_283K1)
    assert host.exchange(CLEAR_TEMPORARY_DATA_283K1, b"\x00") == [
        (CLEAR_TEMPORARY_DATA_283K1, bytes((ERR_FATAL,)))
    ]
    assert ncp.stored_link_keys == []
    assert ncp.problems == []


def test_a_blank_certificate_token_is_err_fatal() -> None:
    """With the CBKE library, an uninitialised certificate token gives EMBER_ERR_FATAL."""
    ncp = EmulatedNcp(has_certificate=False)
    host = _host(ncp)
    ((frame_id, answer),) = host.exchange(GET_CERTIFICATE_283K1)
    assert (frame_id, answer[0], len(answer)) == (
        GET_CERTIFICATE_283K1,
        ERR_FATAL,
        1 + cbke.CERTIFICATE_LENGTH,
    )
    assert ncp.problems == []


@pytest.mark.parametrize(
    ("frame_id", "params"),
    [
        (GET_CERTIFICATE_283K1, b""),
        (GENERATE_CBKE_KEYS_283K1, b""),
        (
            CALCULATE_SMACS_283K1,
            b"\x01" + bytes(cbke.CERTIFICATE_LENGTH + cbke.EPHEMERAL_LENGTH),
        ),
        (CLEAR_TEMPORARY_DATA_283K1, b"\x01"),
    ],
)
def test_a_firmware_without_the_cbke_library(frame_id: int, params: bytes) -> None:
    """The library stub answers every CBKE frame with EMBER_LIBRARY_NOT_PRESENT (0xB5).

    gecko_sdk protocol/zigbee/stack/security/cbke-crypto-engine-283k1-stub.c.
    """
    ncp = EmulatedNcp()
    ncp.cbke_library = False
    host = _host(ncp)
    ((answer_id, answer),) = host.exchange(frame_id, params)
    assert (answer_id, answer[0]) == (frame_id, LIBRARY_NOT_PRESENT)
    assert ncp.stored_link_keys == []


# --- the active scan ---------------------------------------------------------------

START_SCAN = 0x1A
NETWORK_FOUND_HANDLER = 0x1B
SCAN_COMPLETE_HANDLER = 0x1C
ALL_CHANNELS = 0x07FFF800
MAC_BAD_SCAN_DURATION = 0x33
MAC_INVALID_CHANNEL_MASK = 0x35
MAC_COMMAND_TRANSMIT_FAILURE = 0x36


def _scan(host: Host, mask: int = ALL_CHANNELS, duration: int = 3):
    return host.exchange(
        START_SCAN, b"\x01" + mask.to_bytes(4, "little") + bytes((duration,))
    )


async def test_a_failed_channel_is_reported_and_the_scan_goes_on() -> None:
    """command-prototypes.h (ezspScanCompleteHandler): "EMBER_SUCCESS signals that the
    scan has completed. Other error conditions signify a failure to scan on the
    channel specified"; every router on the network answers the beacon request;
    each channel takes its listening time ((2**duration) + 1) x 960 symbols."""
    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)  # join window open
    ncp = EmulatedNcp(han=han)
    ncp.scan_failures = {11: MAC_COMMAND_TRANSMIT_FAILURE}
    host = _host(ncp)
    # The results come as the channels are listened to, after the response
    assert _scan(host) == [(START_SCAN, bytes((SUCCESS,)))]
    frames = await host.until((SCAN_COMPLETE_HANDLER, bytes((0, SUCCESS))))
    assert frames[0] == (
        SCAN_COMPLETE_HANDLER,
        bytes((11, MAC_COMMAND_TRANSMIT_FAILURE)),
    )
    beacons = [
        params for frame_id, params in frames if frame_id == NETWORK_FOUND_HANDLER
    ]
    # the hub's and the ESME's: one network, two beacons
    assert len(beacons) == 2
    assert {b[:14] for b in beacons} == {
        bytes((han.channel,))
        + (0x1A62).to_bytes(2, "little")
        + bytes(han.extended_pan_id)
        + b"\x01\x02\x00"
    }
    assert frames[-1] == (SCAN_COMPLETE_HANDLER, bytes((0, SUCCESS)))
    # GBCS: the extended PAN id is the Comms Hub's HAN IEEE address (the GPF
    # entity identifier printed on the hub): the beacons carry the hub's EUI64
    assert {b[3:11] for b in beacons} == {bytes(han.hub.ieee)}
    assert ncp.problems == []


def test_the_scan_start_checks() -> None:
    """ezspStartScan: a duration of 0..14, a channel mask with a valid channel."""
    ncp = EmulatedNcp(han=HanSimulator(seed=11))
    host = _host(ncp)
    assert _scan(host, duration=15) == [(START_SCAN, bytes((MAC_BAD_SCAN_DURATION,)))]
    assert _scan(host, mask=0x7FF) == [(START_SCAN, bytes((MAC_INVALID_CHANNEL_MASK,)))]


def test_the_statuses_are_bellows_own() -> None:
    """The EmberStatus values these tests and the emulator use are the ones bellows names."""
    import bellows.types as t

    from smets_dev import ncp as emulator

    for name, value in (
        ("ERR_FATAL", ERR_FATAL),
        ("LIBRARY_NOT_PRESENT", LIBRARY_NOT_PRESENT),
        ("OPERATION_IN_PROGRESS", OPERATION_IN_PROGRESS),
        ("MAC_BAD_SCAN_DURATION", MAC_BAD_SCAN_DURATION),
        ("MAC_INVALID_CHANNEL_MASK", MAC_INVALID_CHANNEL_MASK),
        ("MAC_COMMAND_TRANSMIT_FAILURE", MAC_COMMAND_TRANSMIT_FAILURE),
    ):
        assert getattr(t.EmberStatus, name) == value, name
        assert getattr(emulator, name) == value, name


# --- configuration and endpoints -------------------------------------------------

GET_CONFIGURATION_VALUE = 0x52
CONFIG_KEY_TABLE_SIZE = 0x1E
SET_CONFIGURATION_VALUE = 0x53
ADD_ENDPOINT = 0x02
EZSP_SUCCESS = 0x00
EZSP_ERROR_INVALID_VALUE = 0x36
EZSP_ERROR_INVALID_ID = 0x37
EZSP_ERROR_INVALID_CALL = 0x38
CONFIG_SECURITY_LEVEL = 0x0D
CONFIG_MAX_END_DEVICE_CHILDREN = 0x11
CONFIG_ADDRESS_TABLE_SIZE = 0x05
CONFIG_BINDING_TABLE_SIZE = 0x04
SE_ENDPOINT = bytes.fromhex("01090102050001000008")
"""addEndpoint: endpoint 1, profile 0x0109, device 0x0502, version 0, Key
Establishment (0x0800) in."""


def _config(host: Host, config_id: int, value: int) -> list[tuple[int, bytes]]:
    return host.exchange(
        SET_CONFIGURATION_VALUE, bytes((config_id,)) + value.to_bytes(2, "little")
    )


def test_configuration_values_are_checked_and_locked_once_the_network_is_up() -> None:
    """command-prototypes.h (ezspSetConfigurationValue): EZSP_ERROR_INVALID_ID for an
    id the NCP does not know, INVALID_VALUE out of bounds (security level 0 or 5,
    ezsp-enum.h), INVALID_CALL once the stack is EMBER_NETWORK_UP."""
    ncp = EmulatedNcp()
    host = _host(ncp)
    assert _config(host, CONFIG_SECURITY_LEVEL, 5) == [
        (SET_CONFIGURATION_VALUE, bytes((EZSP_SUCCESS,)))
    ]
    assert _config(host, 0x09, 1) == [
        (SET_CONFIGURATION_VALUE, bytes((EZSP_ERROR_INVALID_ID,)))
    ]
    assert _config(host, CONFIG_SECURITY_LEVEL, 3) == [
        (SET_CONFIGURATION_VALUE, bytes((EZSP_ERROR_INVALID_VALUE,)))
    ]
    ncp.network_up = True  # as after joinNetwork / networkInit: NETWORK_UP
    assert _config(host, CONFIG_SECURITY_LEVEL, 5) == [
        (SET_CONFIGURATION_VALUE, bytes((EZSP_ERROR_INVALID_CALL,)))
    ]
    assert ncp.config[CONFIG_SECURITY_LEVEL] == 5


def test_configuration_values_read_back_as_in_use() -> None:
    """UG100 getConfigurationValue (0x52): the value in use, the stack's default
    (ember-configuration-defaults.h: EMBER_KEY_TABLE_SIZE 0) until the host sets
    it; EZSP_ERROR_INVALID_ID for an id the NCP does not know."""
    ncp = EmulatedNcp()
    host = _host(ncp)

    def read(config_id: int) -> list[tuple[int, bytes]]:
        return host.exchange(GET_CONFIGURATION_VALUE, bytes((config_id,)))

    assert read(CONFIG_KEY_TABLE_SIZE) == [(GET_CONFIGURATION_VALUE, bytes(3))]
    _config(host, CONFIG_KEY_TABLE_SIZE, 4)
    assert read(CONFIG_KEY_TABLE_SIZE) == [
        (GET_CONFIGURATION_VALUE, bytes((EZSP_SUCCESS, 4, 0)))
    ]
    assert read(0x09) == [
        (GET_CONFIGURATION_VALUE, bytes((EZSP_ERROR_INVALID_ID, 0, 0)))
    ]
    # A firmware without the setting keeps what it was built with (none here)
    ncp = EmulatedNcp()
    ncp.config_refusals = {CONFIG_KEY_TABLE_SIZE: EZSP_ERROR_INVALID_ID}
    host = _host(ncp)
    _config(host, CONFIG_KEY_TABLE_SIZE, 4)
    assert read(CONFIG_KEY_TABLE_SIZE) == [(GET_CONFIGURATION_VALUE, bytes(3))]


def test_endpoints_once_each_until_the_network_is_up() -> None:
    """command-prototypes.h (ezspAddEndpoint): INVALID_VALUE "if the endpoint already
    exists", INVALID_CALL once EMBER_NETWORK_UP."""
    ncp = EmulatedNcp()
    host = _host(ncp)
    assert host.exchange(ADD_ENDPOINT, SE_ENDPOINT) == [
        (ADD_ENDPOINT, bytes((EZSP_SUCCESS,)))
    ]
    assert host.exchange(ADD_ENDPOINT, SE_ENDPOINT) == [
        (ADD_ENDPOINT, bytes((EZSP_ERROR_INVALID_VALUE,)))
    ]
    ncp.endpoints.clear()
    ncp.network_up = True
    assert host.exchange(ADD_ENDPOINT, SE_ENDPOINT) == [
        (ADD_ENDPOINT, bytes((EZSP_ERROR_INVALID_CALL,)))
    ]
    assert ncp.endpoints == {}


def test_a_reset_forgets_configuration_and_endpoints() -> None:
    """command-prototypes.h: "The NCP does not remember these settings after a reset";
    before the host sets it, a router takes 6 end-device children
    (ember-configuration-defaults.h, EMBER_MAX_END_DEVICE_CHILDREN), the
    address table has 8 entries (EMBER_ADDRESS_TABLE_SIZE), the binding
    table none ("The default is 0 bindings") and the key table none
    (EMBER_KEY_TABLE_SIZE 0)."""
    ncp = EmulatedNcp()
    host = _host(ncp)
    assert ncp.config[CONFIG_MAX_END_DEVICE_CHILDREN] == 6
    _config(host, CONFIG_MAX_END_DEVICE_CHILDREN, 0)
    host.exchange(ADD_ENDPOINT, SE_ENDPOINT)
    assert ncp.config[CONFIG_MAX_END_DEVICE_CHILDREN] == 0
    host.reset()
    host.negotiate()
    assert ncp.config == {
        CONFIG_MAX_END_DEVICE_CHILDREN: 6,
        CONFIG_ADDRESS_TABLE_SIZE: 8,
        CONFIG_BINDING_TABLE_SIZE: 0,
        CONFIG_KEY_TABLE_SIZE: 0,
    }
    assert host.exchange(ADD_ENDPOINT, SE_ENDPOINT) == [
        (ADD_ENDPOINT, bytes((EZSP_SUCCESS,)))
    ]


# --- joining ---------------------------------------------------------------------

SET_INITIAL_SECURITY_STATE = 0x68
JOIN_NETWORK = 0x1F
STACK_STATUS_HANDLER = 0x19
NETWORK_UP = 0x90
JOIN_FAILED = 0x94
NO_NETWORK_KEY_RECEIVED = 0xAD
ROUTER, END_DEVICE = 0x02, 0x03


def _join(host: Host, han: HanSimulator, node_type: int, code: bytes) -> list[int]:
    """setInitialSecurityState and joinNetwork by hand; the stack statuses reported."""
    state = (
        (0x0100 | 0x0800).to_bytes(2, "little")  # preconfigured key, encrypted key
        + cbke.install_code_key(code)
        + bytes(16 + 1 + 8)
    )
    assert host.exchange(SET_INITIAL_SECURITY_STATE, state) == [
        (SET_INITIAL_SECURITY_STATE, bytes((SUCCESS,)))
    ]
    parameters = (
        bytes(han.extended_pan_id)
        + (0x1A62).to_bytes(2, "little")
        + bytes((8, han.channel, 0))
        + bytes(3)
        + (1 << han.channel).to_bytes(4, "little")
    )
    frames = host.exchange(JOIN_NETWORK, bytes((node_type,)) + parameters)
    assert frames[0] == (JOIN_NETWORK, bytes((SUCCESS,)))
    return [
        params[0] for frame_id, params in frames[1:] if frame_id == STACK_STATUS_HANDLER
    ]


def test_a_hub_without_room_for_a_router_fails_the_join() -> None:
    """error-def.h: EMBER_JOIN_FAILED "An attempt to join a network failed";
    EMBER_CANNOT_JOIN_AS_ROUTER is only "a Zigbee versus Zigbee Pro
    incompatibility". Admitted as an end device; a wrong key gets no network key."""
    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    han.router_capacity = 0
    ncp = EmulatedNcp(han=han)
    host = _host(ncp)
    assert _join(host, han, ROUTER, DEFAULT_INSTALL_CODE) == [JOIN_FAILED]
    assert _join(host, han, END_DEVICE, bytes(16)) == [NO_NETWORK_KEY_RECEIVED]
    assert _join(host, han, END_DEVICE, DEFAULT_INSTALL_CODE) == [NETWORK_UP]
    assert ncp.problems == []


SEND_UNICAST = 0x34
NETWORK_DOWN = 0x91


def test_a_stack_that_loses_the_network_says_so_and_sends_nothing() -> None:
    """UG100 stackStatusHandler (the status of the stack changed): NETWORK_DOWN;
    message.h emberSendUnicast: "::EMBER_NETWORK_DOWN - The node is not part of a
    network"."""
    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp = EmulatedNcp(han=han)
    host = _host(ncp)
    assert _join(host, han, ROUTER, DEFAULT_INSTALL_CODE) == [NETWORK_UP]
    ncp.network_down()
    assert host.parse(host.take()) == [(STACK_STATUS_HANDLER, bytes((NETWORK_DOWN,)))]
    aps = bytes.fromhex("0000010000004000000000")  # ZDO IEEE_addr
    frames = host.exchange(
        SEND_UNICAST, b"\x00" + bytes(2) + aps + b"\x01\x05" + bytes(5)
    )
    assert frames == [(SEND_UNICAST, bytes((NETWORK_DOWN, 0)))]
    assert ncp.network is not None  # still in the tokens
    assert ncp.problems == []


# --- the binding table -------------------------------------------------------------

CLEAR_BINDING_TABLE, SET_BINDING, GET_BINDING, DELETE_BINDING = 0x2A, 0x2B, 0x2C, 0x2D
BINDING_INDEX_OUT_OF_RANGE = 0x69  # error-def.h
LEAVE_NETWORK = 0x20
UNICAST_BINDING = 0x01  # EmberBindingType
METER = bytes.fromhex("8c971b5703b610da")  # an EUI64, little-endian as on the wire


def _entry(cluster: int, remote: int = 1) -> bytes:
    """An EmberBindingTableEntry: unicast, endpoint 1, ``cluster``, to METER's
    ``remote`` endpoint, network 0 (bellows' EmberBindingTableEntry, 14 bytes)."""
    return (
        bytes((UNICAST_BINDING, 1))
        + cluster.to_bytes(2, "little")
        + bytes((remote,))
        + METER
        + b"\x00"
    )


def test_a_binding_is_kept_whole_in_a_table_of_the_configured_size() -> None:
    """EZSP setBinding / getBinding (command-prototypes.h, bellows v4 commands):
    the whole EmberBindingTableEntry goes in and comes back; the table has the
    entries CONFIG_BINDING_TABLE_SIZE gives it, none by default
    (ember-configuration-defaults.h); past them BINDING_INDEX_OUT_OF_RANGE
    (error-def.h: "out of range for the current binding table")."""
    ncp = EmulatedNcp()
    host = _host(ncp)
    metering = _entry(0x0702)
    unused = bytes(14)  # the token's default: UNUSED_BINDING, all zeros
    assert host.exchange(SET_BINDING, b"\x00" + metering) == [
        (SET_BINDING, bytes((BINDING_INDEX_OUT_OF_RANGE,)))
    ]
    assert host.exchange(GET_BINDING, b"\x00") == [
        (GET_BINDING, bytes((BINDING_INDEX_OUT_OF_RANGE,)) + unused)
    ]
    assert _config(host, CONFIG_BINDING_TABLE_SIZE, 2) == [
        (SET_CONFIGURATION_VALUE, bytes((EZSP_SUCCESS,)))
    ]
    assert host.exchange(GET_BINDING, b"\x01") == [(GET_BINDING, b"\x00" + unused)]
    assert host.exchange(SET_BINDING, b"\x01" + metering) == [(SET_BINDING, b"\x00")]
    assert host.exchange(GET_BINDING, b"\x01") == [(GET_BINDING, b"\x00" + metering)]
    assert host.exchange(SET_BINDING, b"\x02" + _entry(0x0700)) == [
        (SET_BINDING, bytes((BINDING_INDEX_OUT_OF_RANGE,)))
    ]
    (binding,) = ncp.bindings.values()
    assert (binding.type, binding.local, binding.cluster_id, binding.remote) == (
        UNICAST_BINDING,
        1,
        0x0702,
        1,
    )
    assert binding.identifier == METER
    assert binding.network_index == 0
    assert host.exchange(DELETE_BINDING, b"\x01") == [(DELETE_BINDING, b"\x00")]
    assert host.exchange(GET_BINDING, b"\x01") == [(GET_BINDING, b"\x00" + unused)]
    assert ncp.problems == []


def test_bindings_are_tokens_a_reset_and_a_leave_keep() -> None:
    """token-stack.h: STACK_BINDING_TABLE is an indexed stack token; only
    clearBindingTable ("Delete all binding table entries") empties it."""
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp = EmulatedNcp(han=han)
    host = _host(ncp)
    _config(host, CONFIG_BINDING_TABLE_SIZE, 2)
    assert host.exchange(SET_BINDING, b"\x00" + _entry(0x0702)) == [
        (SET_BINDING, b"\x00")
    ]
    assert _join(host, han, ROUTER, DEFAULT_INSTALL_CODE)[-1] == NETWORK_UP
    assert host.exchange(LEAVE_NETWORK)[0] == (LEAVE_NETWORK, b"\x00")
    host.reset()  # the size is configuration, forgotten; the entries are not
    host.negotiate()
    assert host.exchange(GET_BINDING, b"\x00") == [
        (GET_BINDING, bytes((BINDING_INDEX_OUT_OF_RANGE,)) + bytes(14))
    ]
    _config(host, CONFIG_BINDING_TABLE_SIZE, 2)
    assert host.exchange(GET_BINDING, b"\x00") == [
        (GET_BINDING, b"\x00" + _entry(0x0702))
    ]
    assert host.exchange(CLEAR_BINDING_TABLE) == [(CLEAR_BINDING_TABLE, b"\x00")]
    assert ncp.bindings == {}
    assert host.exchange(GET_BINDING, b"\x00") == [(GET_BINDING, b"\x00" + bytes(14))]
    assert ncp.problems == []
