"""The emulated NCP speaks EZSP v14+ (EmberZNet 8, Simplicity SDK) as those stacks define it.

Emulator alone, frame by frame (no host code, no bellows): each test pins one
v14+ rule of docs/radio-conformance.md, so the emulator cannot drift toward
what the host does. The frames are those of bellows' ``bellows/ezsp/v14``
package and simplicity_sdk's EZSP reference; the statuses are
``sl_status_t`` (simplicity_sdk ``platform/common/inc/sl_status.h``).
"""

from __future__ import annotations

import pytest
import zigpy.types as t

from custom_components.smets.han.ezsp_versions import SL_STATUS_VERSION
from custom_components.smets.han.simulator import HanSimulator, cbke
from custom_components.smets.han.simulator.app import ESME_NWK, HUB_NWK
from smets_dev.ncp import (
    APP_LINK_KEY_ESTABLISHED,
    APS_OPTION_ENCRYPTION,
    CONFIG_KEY_TABLE_SIZE,
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EZSP_ERROR_OUT_OF_MEMORY,
    LEAVE_WITH_NO_OPTION,
    MAC_COMMAND_TRANSMIT_FAILURE,
    EmulatedNcp,
)

from .test_conformance_security import JoinedHost

VERSIONS = (SL_STATUS_VERSION, 19)
"""The first sl_status_t version and the newest any bellows here has (the
emulator alone: no bellows needed)."""

# sl_status_t (sl_status.h)
OK = 0x0000
FAIL = 0x0001
IN_PROGRESS = 0x0005
NETWORK_UP = 0x0015
NETWORK_DOWN = 0x0016
NOT_JOINED = 0x0017
NO_MORE_RESOURCE = 0x001A
INVALID_PARAMETER = 0x0021
INVALID_INDEX = 0x0027
SL_MAC_COMMAND_TRANSMIT_FAILURE = 0x0044
ZIGBEE_APS_ENCRYPTION_ERROR = 0x0C0A
ZIGBEE_NO_NETWORK_KEY_RECEIVED = 0x0C1B

METERING = 0x0702
READ_SUMMATION = b"\x00\x07\x00\x00\x00"


def sl(code: int) -> bytes:
    """An sl_status_t as on the wire: four bytes, little-endian."""
    return code.to_bytes(4, "little")


class V14Host(JoinedHost):
    """A hand-written EZSP v14+ host."""

    def __init__(self, ncp: EmulatedNcp) -> None:
        super().__init__(ncp)
        self.version = ncp.protocol_version

    def negotiate(self) -> None:
        version = bytes((self.version, 0x02, 0x40, 0x74))
        assert self.command(0x00, b"\x04", legacy=True) == (0x00, version)
        assert self.command(0x00, bytes((self.version,))) == (0x00, version)

    def join(self, han: HanSimulator, node_type: int = 0x02) -> list[tuple[int, bytes]]:
        key = cbke.install_code_key(DEFAULT_INSTALL_CODE)
        state = b"\x00\x01" + key + bytes(16) + b"\x00" + bytes(8)
        assert self.exchange(0x68, state) == [(0x68, sl(OK))]
        network = (
            bytes(han.extended_pan_id)
            + (0x1A62).to_bytes(2, "little")
            + bytes((8, han.channel, 0))
            + b"\x00\x00\x00"
            + (1 << han.channel).to_bytes(4, "little")
        )
        return self.exchange(0x1F, bytes((node_type,)) + network)


def _host(han: HanSimulator, version: int) -> tuple[EmulatedNcp, V14Host]:
    ncp = EmulatedNcp(han=han, protocol_version=version)
    host = V14Host(ncp)
    host.reset()
    host.negotiate()
    return ncp, host


@pytest.fixture
def han() -> HanSimulator:
    sim = HanSimulator(seed=3)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    return sim


@pytest.fixture(params=VERSIONS, ids=lambda v: f"ezsp{v}")
def version(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def test_every_status_is_a_four_byte_sl_status(han: HanSimulator, version: int) -> None:
    """The join's statuses: sl_status_t, a failed join SL_STATUS_NOT_JOINED."""
    ncp, host = _host(han, version)
    # Command responses: configuration (an EzspStatus before), CBKE, join
    assert host.exchange(0x53, bytes((CONFIG_KEY_TABLE_SIZE,)) + b"\x02\x00") == [
        (0x53, sl(OK))
    ]
    assert host.exchange(0x53, b"\x0d\x03\x00") == [(0x53, sl(INVALID_PARAMETER))]
    ((_, certificate),) = host.exchange(0xEC)
    assert certificate[:4] == sl(OK)
    assert len(certificate) == 4 + cbke.CERTIFICATE_LENGTH
    assert host.exchange(0x17, b"\x00\x00") == [(0x17, sl(NOT_JOINED))]  # no network
    # stackStatusHandler: the stack's list (stack-info.h) has no JOIN_FAILED
    han.router_capacity = 0
    assert host.join(han)[-1] == (0x19, sl(NOT_JOINED))
    han.router_capacity = 1
    assert host.join(han)[-1] == (0x19, sl(NETWORK_UP))
    assert host.exchange(0x53, b"\x1e\x04\x00") == [(0x53, sl(INVALID_PARAMETER))]
    assert ncp.problems == ["setConfigurationValue 0x1E after the network is up"]


def test_configuration_frames_answer_sl_status(han: HanSimulator, version: int) -> None:
    """An unknown id and a value out of bounds are both INVALID_PARAMETER; no
    memory is NO_MORE_RESOURCE (assumed: bellows' SL_STATUS_MAP)."""
    ncp, host = _host(han, version)
    assert host.exchange(0x53, b"\x7f\x01\x00") == [(0x53, sl(INVALID_PARAMETER))]
    ncp.config_refusals = {0x0D: EZSP_ERROR_OUT_OF_MEMORY}
    assert host.exchange(0x53, b"\x0d\x05\x00") == [(0x53, sl(NO_MORE_RESOURCE))]
    assert ncp.problems == []


def test_a_wrong_link_key_is_no_network_key_received(version: int) -> None:
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, bytes(16))  # another install code registered
    _, host = _host(han, version)
    assert host.join(han)[-1] == (0x19, sl(ZIGBEE_NO_NETWORK_KEY_RECEIVED))


def test_the_cbke_library_answers_in_progress_and_its_handlers_sl_status(
    han: HanSimulator, version: int
) -> None:
    ncp, host = _host(han, version)
    host.exchange(0xEC)  # getCertificate283k1 first, as the library expects
    answers = host.exchange(0xE8)
    assert answers[0] == (0xE8, sl(IN_PROGRESS))
    assert answers[1][0] == 0xE9
    assert answers[1][1][:4] == sl(OK)
    assert len(answers[1][1]) == 4 + cbke.EPHEMERAL_LENGTH
    assert host.exchange(0xEE, b"\x00") == [(0xEE, sl(FAIL))]  # not stored: ERR_FATAL
    assert ncp.problems == []


async def test_scan_complete_handler_carries_sl_status(
    han: HanSimulator, version: int
) -> None:
    import asyncio

    ncp, host = _host(han, version)
    ncp.scan_speedup = 1e6
    ncp.scan_failures = {11: MAC_COMMAND_TRANSMIT_FAILURE}
    mask = (1 << 11 | 1 << 12).to_bytes(4, "little")
    assert host.exchange(0x1A, b"\x01" + mask + b"\x00") == [(0x1A, sl(OK))]
    await asyncio.sleep(0.01)
    completes = [params for frame, params in host.callbacks() if frame == 0x1C]
    assert completes == [
        b"\x0b" + sl(SL_MAC_COMMAND_TRANSMIT_FAILURE),
        b"\x00" + sl(OK),
    ]


async def test_send_unicast_has_a_two_byte_tag_and_message_sent_puts_status_first(
    han: HanSimulator, version: int
) -> None:
    """sendUnicast(type, nwk, aps, tag: uint16, message) -> status, sequence;
    messageSentHandler(status, type, nwk, aps, tag: uint16, message)."""
    ncp, host = _host(han, version)
    host.join(han)
    aps = (
        (0x0109).to_bytes(2, "little")
        + METERING.to_bytes(2, "little")
        + b"\x01\x01"
        + APS_OPTION_ENCRYPTION.to_bytes(2, "little")
        + b"\x00\x00\x00"
    )
    tag = (0x1234).to_bytes(2, "little")
    params = b"\x00" + ESME_NWK.to_bytes(2, "little") + aps + tag
    body = bytes((len(READ_SUMMATION),)) + READ_SUMMATION
    # No partner link key with the ESME: SL_STATUS_ZIGBEE_APS_ENCRYPTION_ERROR
    assert host.exchange(0x34, params + body) == [
        (0x34, sl(ZIGBEE_APS_ENCRYPTION_ERROR) + b"\x00")
    ]
    # To the hub (the trust centre's key): sent, and reported status first
    params = b"\x00" + HUB_NWK.to_bytes(2, "little") + aps + tag
    answers = host.exchange(0x34, params + body)
    assert answers[0][0] == 0x34
    assert answers[0][1][:4] == sl(OK)
    (sent,) = [p for frame, p in answers + host.callbacks() if frame == 0x3F]
    assert sent[:4] == sl(OK)
    assert sent[4] == 0x00  # OUTGOING_DIRECT
    assert sent[5:7] == HUB_NWK.to_bytes(2, "little")
    assert sent[18:20] == tag
    assert sent[20:] == body
    assert ncp.problems == []


async def test_incoming_message_names_sender_eui64_indexes_and_timestamp(
    han: HanSimulator, version: int
) -> None:
    """incomingMessageHandler(type, aps, nwk, eui64, binding, address index,
    lqi, rssi, timestamp: uint32, message)."""
    ncp, host = _host(han, version)
    host.join(han)
    ncp.key_table[han.esme.ieee] = 0
    han.link_keys.setdefault("esme", set()).add(ncp.ieee)
    # setAddressTableInfo(index, eui64, nwk): both at once
    entry = b"\x02" + bytes(han.esme.ieee) + ESME_NWK.to_bytes(2, "little")
    assert host.exchange(0x5C, entry) == [(0x5C, sl(OK))]
    aps = (
        (0x0109).to_bytes(2, "little")
        + METERING.to_bytes(2, "little")
        + b"\x01\x01"
        + (APS_OPTION_ENCRYPTION | 0x0040).to_bytes(2, "little")
        + b"\x00\x00\x00"
    )
    params = b"\x00" + ESME_NWK.to_bytes(2, "little") + aps + b"\x05\x00"
    answers = host.exchange(
        0x34, params + bytes((len(READ_SUMMATION),)) + READ_SUMMATION
    )
    await han.settle()
    (incoming,) = [p for frame, p in answers + host.callbacks() if frame == 0x45]
    options = int.from_bytes(incoming[1 + 6 : 1 + 8], "little")
    assert options & APS_OPTION_ENCRYPTION
    assert incoming[12:14] == ESME_NWK.to_bytes(2, "little")
    assert t.EUI64(incoming[14:22]) == han.esme.ieee
    assert incoming[22:24] == b"\xff\x02"  # no binding; address table entry 2
    length = incoming[30]
    assert len(incoming) == 31 + length
    assert ncp.problems == []


def test_the_address_table_is_set_whole_and_the_old_setters_are_gone(
    han: HanSimulator, version: int
) -> None:
    ncp, host = _host(han, version)
    entry = bytes(han.esme.ieee) + ESME_NWK.to_bytes(2, "little")
    assert host.exchange(0x5C, b"\x08" + entry) == [(0x5C, sl(INVALID_INDEX))]
    assert host.exchange(0x5C, b"\x00" + entry) == [(0x5C, sl(OK))]
    assert ncp.address_table == {0: (han.esme.ieee, ESME_NWK)}
    # getAddressTableInfo(index) -> status, nwk, eui64
    assert host.exchange(0x5E, b"\x00") == [(0x5E, sl(OK) + entry[8:] + entry[:8])]
    # setAddressTableRemoteNodeId (0x5D) is no v14 frame: invalidCommand
    ((frame, status),) = host.exchange(0x5D, b"\x00\x00\x00")
    assert frame == 0x58
    assert len(status) == 4
    assert ncp.problems == ["unknown EZSP frame 0x005D"]


def test_leave_network_carries_its_options(han: HanSimulator, version: int) -> None:
    ncp, host = _host(han, version)
    host.join(han)
    answers = host.exchange(0x20, bytes((LEAVE_WITH_NO_OPTION,)))
    assert answers == [(0x20, sl(OK)), (0x19, sl(NETWORK_DOWN))]
    assert ncp.leave_options == LEAVE_WITH_NO_OPTION
    host.join(han)
    ((frame, _),) = host.exchange(0x20)  # the v13 frame: truncated
    assert frame == 0x58
    assert ncp.problems == ["leaveNetwork with 0 bytes, not 1"]


@pytest.mark.parametrize(
    ("reason", "node_type", "problem"),
    [
        (0xFF, 0x00, None),  # APP_EVENT_1, node type unchanged
        (0xFB, 0x03, None),  # APP_EVENT_5, as an end device
        (0x03, 0x00, "findAndRejoinNetwork with the stack's own rejoin reason 0x03"),
        (0xFF, 0x02, "findAndRejoinNetwork as node type 2"),
    ],
)
def test_find_and_rejoin_takes_an_app_event_reason_and_a_node_type(
    han: HanSimulator, version: int, reason: int, node_type: int, problem: str | None
) -> None:
    """network-formation.h: "An application should use one of the APP_EVENT
    rejoin reasons"; the node type is 0 (unchanged), an end device or a sleepy one."""
    ncp, host = _host(han, version)
    host.join(han)
    ncp.drop_network()
    host.callbacks()
    mask = (1 << han.channel).to_bytes(4, "little")
    answers = host.exchange(0x21, b"\x01" + mask + bytes((reason, node_type)))
    assert answers == [(0x21, sl(OK)), (0x19, sl(NETWORK_UP))]
    assert ncp.rejoin_arguments == [(reason, node_type)]
    assert ncp.problems == ([] if problem is None else [problem])


def test_a_broadcast_goes_out_as_this_node(han: HanSimulator, version: int) -> None:
    """sendBroadcast(alias, destination, sequence, aps, radius, tag: uint16,
    message): an alias other than none (0xFFFF) sends as another node."""
    ncp, host = _host(han, version)
    host.join(han)
    aps = b"\x00\x00\x06\x00\x00\x00\x40\x00\x00\x00\x01"  # ZDO Match_Desc_req
    body = b"\x01\xfd\xff\x09\x01\x00\x00"
    for alias in (0xFFFF, 0x0000):
        params = (
            alias.to_bytes(2, "little")
            + (0xFFFD).to_bytes(2, "little")
            + b"\x00"
            + aps
            + b"\x00"
            + (7).to_bytes(2, "little")
            + bytes((len(body),))
            + body
        )
        answers = host.exchange(0x36, params)
        assert answers[0] == (0x36, sl(OK) + answers[0][1][4:])
    assert ncp.problems == ["sendBroadcast with the alias 0x0000"]


def test_the_key_establishment_handler_keeps_its_key_status_byte(
    han: HanSimulator, version: int
) -> None:
    """requestLinkKey answers an sl_status_t; zigbeeKeyEstablishmentHandler still
    carries a one-byte EmberKeyStatus (bellows/ezsp/v14: only EmberStatus and
    EzspStatus became sl_status_t)."""
    ncp, host = _host(han, version)
    host.exchange(0x53, bytes((CONFIG_KEY_TABLE_SIZE,)) + b"\x01\x00")
    host.join(han)
    han.cbke_completed.add(ncp.ieee)
    han.ke_bindings["esme"] = {ncp.ieee}
    partner = bytes(han.esme.ieee)
    assert host.exchange(0x14, partner) == [
        (0x14, sl(OK)),
        (0x9B, partner + bytes((APP_LINK_KEY_ESTABLISHED,))),
    ]


def test_the_key_and_binding_tables_answer_sl_status(
    han: HanSimulator, version: int
) -> None:
    """clearKeyTable, setBinding, getBinding keep their frames (bellows v14 takes
    v13's) with an sl_status_t; a binding index past the table is INVALID_INDEX
    (assumed, as bellows maps INDEX_OUT_OF_RANGE)."""
    ncp, host = _host(han, version)
    ncp.key_table[t.EUI64(bytes(range(8)))] = 0
    assert host.exchange(0xB1) == [(0xB1, sl(OK))]  # clearKeyTable
    assert ncp.key_table == {}
    entry = b"\x01\x01\x02\x07\x01" + bytes(han.esme.ieee) + b"\x00"
    assert host.exchange(0x2B, b"\x00" + entry) == [(0x2B, sl(INVALID_INDEX))]
    assert host.exchange(0x53, b"\x04\x01\x00") == [(0x53, sl(OK))]  # 1 binding
    assert host.exchange(0x2B, b"\x00" + entry) == [(0x2B, sl(OK))]
    assert host.exchange(0x2C, b"\x00") == [(0x2C, sl(OK) + entry)]
    assert ncp.problems == []
