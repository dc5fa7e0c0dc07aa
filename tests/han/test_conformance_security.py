"""The emulated HAN and NCP enforce Smart Energy security as Silicon Labs' stacks do.

Each test pins one rule of docs/radio-conformance.md on the emulator alone (no
host code), so the emulator cannot drift back toward what the host does:

* util.c (``emberAfProcessMessage`` / ``emberAfDetermineIfLinkSecurityIsRequired``):
  a Smart Energy unicast on a listed cluster that arrives without APS encryption
  is not processed and gets Default Response FAILURE; Basic and Key
  Establishment are not listed;
* partner-link-key-exchange.c: the partner accepts a Bind_req on Key
  Establishment while it has a key slot (the trust centre refuses it), then the
  trust centre answers ``requestLinkKey`` only for a requester that completed
  CBKE, and the key lands in a key table of the size the host configured;
* smart-energy-registration.c: servers push to the clients that bound them;
* UG100: configuration values are set after a reset, before the network is up.
"""

from __future__ import annotations

from typing import Any

import pytest
import zigpy.types as t
from zigpy.zcl import foundation
import zigpy.zdo.types as zdo_t

from custom_components.smets.han.errors import HanNotAllowed
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.simulator import HanSimulator, cbke
from custom_components.smets.han.simulator.app import (
    CAD_NWK,
    ESME_NWK,
    HUB_NWK,
    LINK_SECURED_CLUSTERS,
)
from smets_dev.ncp import (
    ADDRESS_TABLE_INDEX_OUT_OF_RANGE,
    APP_LINK_KEY_ESTABLISHED,
    APS_ENCRYPTION_ERROR,
    APS_OPTION_ENCRYPTION,
    CONFIG_ADDRESS_TABLE_SIZE,
    CONFIG_KEY_TABLE_SIZE,
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EXT_NO_FRAME_COUNTER_RESET,
    EZSP_ERROR_INVALID_CALL,
    EZSP_ERROR_INVALID_ID,
    EZSP_ERROR_INVALID_VALUE,
    KEY_ESTABLISHMENT_TIMEOUT,
    KEY_TABLE_FULL,
    NWK_LEAVE_REQUEST_NOT_ALLOWED,
    UNKNOWN_NODE_ID,
    VALUE_EXTENDED_SECURITY_BITMASK,
    EmulatedNcp,
)

from .test_ncp import Host, stuff, xor

_t: Any = t
SE = 0x0109
METERING = 0x0702
BASIC = 0x0000
KEY_ESTABLISHMENT = 0x0800
MESSAGING = 0x0703
READ_SUMMATION = b"\x00\x07\x00\x00\x00"  # Read Attributes 0x0000, TSN 7


class Sink:
    """Stands where the CAD's radio is: collects what the HAN sends it."""

    def __init__(self) -> None:
        self.packets: list[t.ZigbeePacket] = []
        self.devices: dict[Any, Any] = {}

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        self.packets.append(packet)


def packet(
    dst: int,
    cluster: int,
    data: bytes,
    *,
    encrypted: bool,
    profile: int = SE,
    dst_ep: int = 1,
) -> t.ZigbeePacket:
    return t.ZigbeePacket(
        src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(CAD_NWK)),
        src_ep=_t.uint8_t(0 if profile == 0 else 1),
        dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(dst)),
        dst_ep=_t.uint8_t(dst_ep),
        tsn=_t.uint8_t(data[0] if profile == 0 else data[1]),
        profile_id=_t.uint16_t(profile),
        cluster_id=_t.uint16_t(cluster),
        data=t.SerializableBytes(data),
        tx_options=t.TransmitOptions.APS_Encryption
        if encrypted
        else t.TransmitOptions.NONE,
    )


async def bind_req(
    han: HanSimulator, device_nwk: int, cluster: int, ep: int = 1
) -> int:
    """Send a Bind_req (device's endpoint -> the CAD's endpoint 1); its ZDO status."""
    device = han._by_nwk[device_nwk]
    dst = zdo_t.MultiAddress(addrmode=3, ieee=han.cad_ieee, endpoint=1)
    body = _t.serialize(
        [device.ieee, ep, cluster, dst],
        list(zdo_t.CLUSTERS[zdo_t.ZDOCmd.Bind_req][1]),
    )
    sink = han.app
    assert isinstance(sink, Sink)
    before = len(sink.packets)
    han.transmit(
        packet(device_nwk, 0x0021, b"\x31" + body, encrypted=False, profile=0, dst_ep=0)
    )
    await han.settle()
    (answer,) = sink.packets[before:]
    del sink.packets[before:]
    assert int(answer.cluster_id) == 0x8021
    return answer.data.serialize()[1]


@pytest.fixture
def han() -> HanSimulator:
    """A HAN the CAD joined (trust centre link key), nothing more."""
    sim = HanSimulator(seed=3)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    cad = t.EUI64.convert(DEFAULT_EUI64)
    assert sim.join(cad, cbke.install_code_key(DEFAULT_INSTALL_CODE)) == "joined"
    sim.attach(Sink())
    return sim


async def _answers(han: HanSimulator) -> list[t.ZigbeePacket]:
    await han.settle()
    sink = han.app
    assert isinstance(sink, Sink)
    answers, sink.packets = sink.packets, []
    return answers


async def test_an_unencrypted_smart_energy_unicast_gets_default_response_failure(
    han: HanSimulator,
) -> None:
    han.link_keys.setdefault("esme", set()).add(han.cad_ieee)
    received = han.esme.frames_received
    han.transmit(packet(ESME_NWK, METERING, READ_SUMMATION, encrypted=False))
    (answer,) = await _answers(han)
    hdr, rest = foundation.ZCLHeader.deserialize(answer.data.serialize())
    assert hdr.frame_control.is_general
    assert hdr.command_id == foundation.GeneralCommand.Default_Response
    assert hdr.tsn == 7
    assert rest == bytes((0x00, foundation.Status.FAILURE))  # Read Attributes failed
    assert answer.tx_options == t.TransmitOptions.NONE  # answered as it came
    assert han.esme.frames_received == received  # never processed
    assert han.unsecured_requests == [("esme", METERING)]

    han.transmit(packet(ESME_NWK, METERING, READ_SUMMATION, encrypted=True))
    (answer,) = await _answers(han)
    hdr, _ = foundation.ZCLHeader.deserialize(answer.data.serialize())
    assert hdr.command_id == foundation.GeneralCommand.Read_Attributes_rsp
    assert answer.tx_options & t.TransmitOptions.APS_Encryption


def test_the_secured_clusters_are_util_c_s_list() -> None:
    # Time, Price, Metering, Messaging, Prepayment, Device Management, Events...
    for cluster in (0x000A, 0x0700, 0x0702, 0x0703, 0x0705, 0x0708, 0x0709):
        assert cluster in LINK_SECURED_CLUSTERS
    assert BASIC not in LINK_SECURED_CLUSTERS
    assert KEY_ESTABLISHMENT not in LINK_SECURED_CLUSTERS


async def test_basic_needs_no_link_key_and_a_default_response_gets_none(
    han: HanSimulator,
) -> None:
    han.transmit(packet(ESME_NWK, BASIC, b"\x00\x08\x00\x04\x00", encrypted=False))
    (answer,) = await _answers(han)
    assert answer.data.serialize()[2] == foundation.GeneralCommand.Read_Attributes_rsp
    # A Default Response is never answered with one, even unencrypted
    han.transmit(packet(ESME_NWK, METERING, b"\x08\x09\x0b\x00\x00", encrypted=False))
    assert await _answers(han) == []


async def test_a_frame_encrypted_without_a_shared_key_is_dropped(
    han: HanSimulator,
) -> None:
    assert not han.shares_key(han.esme)  # no partner link key yet
    han.transmit(packet(ESME_NWK, METERING, READ_SUMMATION, encrypted=True))
    assert await _answers(han) == []
    assert han.undecryptable == [("esme", METERING)]
    # The trust centre shares the CAD's link key from the join on
    han.transmit(packet(HUB_NWK, METERING, READ_SUMMATION, encrypted=True, dst_ep=2))
    (answer,) = await _answers(han)
    assert answer.tx_options & t.TransmitOptions.APS_Encryption


async def test_key_establishment_bindings_and_partner_link_keys(
    han: HanSimulator,
) -> None:
    cad = han.cad_ieee
    # Without CBKE the trust centre sends no key, bound or not
    assert await bind_req(han, ESME_NWK, KEY_ESTABLISHMENT) == 0x00
    assert not han.request_link_key(cad, han.esme.ieee)
    han.cbke_completed.add(cad)
    # Nor for a partner that did not accept the Bind_req, nor for itself
    han.ke_bindings.clear()
    assert not han.request_link_key(cad, han.esme.ieee)
    assert await bind_req(han, HUB_NWK, KEY_ESTABLISHMENT) == 0x8B  # NOT_PERMITTED
    assert not han.request_link_key(cad, han.hub.ieee)
    assert await bind_req(han, ESME_NWK, KEY_ESTABLISHMENT) == 0x00
    assert han.request_link_key(cad, han.esme.ieee)
    assert han.shares_key(han.esme)
    assert [granted for *_, granted in han.link_key_requests] == [
        False,
        False,
        False,
        True,
    ]
    # Another device asking when the meter's slots are taken: TABLE_FULL
    han.link_keys["esme"] |= {t.EUI64(bytes([n] * 8)) for n in range(1, 4)}
    han.cad_ieee = t.EUI64(bytes([9] * 8))
    assert await bind_req(han, ESME_NWK, KEY_ESTABLISHMENT) == 0x8C


async def test_pushes_go_only_to_bound_clients(han: HanSimulator) -> None:
    han.link_keys.setdefault("esme", set()).add(han.cad_ieee)
    await han.send_message("not bound yet")
    assert await _answers(han) == []
    assert han.unbound_pushes == [("esme", MESSAGING)]
    assert han.messages[0][1] == "not bound yet"  # still there for GetLastMessage
    assert await bind_req(han, ESME_NWK, MESSAGING) == 0x00
    await han.send_message("bound")
    (push,) = await _answers(han)
    assert int(push.cluster_id) == MESSAGING
    assert push.tx_options & t.TransmitOptions.APS_Encryption
    # A meter that keeps no bindings for consumer devices refuses: nothing comes
    han.bind_refused.add("esme")
    han.bindings.clear()
    assert await bind_req(han, ESME_NWK, MESSAGING) == 0x84  # NOT_SUPPORTED
    await han.send_message("refused")
    assert await _answers(han) == []
    # Binding a cluster on an endpoint the device lacks: INVALID_EP
    assert await bind_req(han, HUB_NWK, 0x0709, ep=9) == 0x82


async def test_attribute_reports_go_to_bound_clients_whoever_configured_them(
    han: HanSimulator,
) -> None:
    """reporting.c: Configure Reporting answers SUCCESS; reports go to the bindings."""
    han.link_keys.setdefault("esme", set()).add(han.cad_ieee)
    # Configure Reporting, Metering: InstantaneousDemand (int24) every 10 s
    config = b"\x00\x00\x04\x2a\x0a\x00\x0a\x00\x01\x00\x00"
    han.transmit(packet(ESME_NWK, METERING, b"\x00\x21\x06" + config, encrypted=True))
    (answer,) = await _answers(han)
    hdr, rest = foundation.ZCLHeader.deserialize(answer.data.serialize())
    assert hdr.command_id == foundation.GeneralCommand.Configure_Reporting_rsp
    assert rest == bytes((foundation.Status.SUCCESS,))
    await han.advance(10)
    assert await _answers(han) == []  # the CAD configured it, but did not bind
    assert han.unbound_pushes == [("esme", METERING)]
    assert await bind_req(han, ESME_NWK, METERING) == 0x00
    await han.advance(10)
    (report,) = await _answers(han)
    hdr, rest = foundation.ZCLHeader.deserialize(report.data.serialize())
    assert hdr.command_id == foundation.GeneralCommand.Report_Attributes
    assert rest[:3] == b"\x00\x04\x2a"  # attribute 0x0400, int24
    assert report.tx_options & t.TransmitOptions.APS_Encryption
    # A meter that keeps no bindings for consumer devices: no report comes
    han.bind_refused.add("esme")
    han.bindings.clear()
    assert await bind_req(han, ESME_NWK, METERING) == 0x84
    await han.advance(10)
    assert await _answers(han) == []


async def test_a_push_sent_unencrypted_still_arrives_marked_so(
    han: HanSimulator,
) -> None:
    han.register_simulated_cad()
    han.unencrypted_pushes = True
    await han.send_alert(0x8F3F)
    (push,) = await _answers(han)
    assert push.tx_options == t.TransmitOptions.NONE


# --- the NCP -------------------------------------------------------------------


class JoinedHost(Host):
    """A hand-written host that can also read callbacks."""

    def exchange(self, frame_id: int, params: bytes = b"") -> list[tuple[int, bytes]]:
        """Send a command; (frame id, parameters) of the response and its callbacks."""
        header = bytes((self.seq, 0x00, 0x01)) + frame_id.to_bytes(2, "little")
        self.seq += 1
        return self._read(self.data(header + params))

    def callbacks(self) -> list[tuple[int, bytes]]:
        """(frame id, parameters) of the callbacks that came since."""
        return self._read(self.take())

    def _read(self, frames: list[bytes]) -> list[tuple[int, bytes]]:
        out = []
        for frame in frames:
            if frame[0] & 0x80:
                continue  # an ACK
            self.ack = (frame[0] >> 4) + 1 & 0x07
            ezsp = xor(frame[1:])
            out.append((int.from_bytes(ezsp[3:5], "little"), ezsp[5:]))
        self.send(stuff(bytes((0x80 | self.ack,))))  # acknowledge them all
        return out

    def join(self, han: HanSimulator) -> None:
        key = cbke.install_code_key(DEFAULT_INSTALL_CODE)
        state = b"\x00\x01" + key + bytes(16) + b"\x00" + bytes(8)
        assert self.exchange(0x68, state) == [(0x68, b"\x00")]
        network = (
            bytes(han.extended_pan_id)
            + (0x1A62).to_bytes(2, "little")
            + bytes((8, han.channel, 0))
            + b"\x00\x00\x00"
            + (1 << han.channel).to_bytes(4, "little")
        )
        answers = self.exchange(0x1F, b"\x02" + network)
        assert answers[-1] == (0x19, b"\x90")  # stackStatusHandler NETWORK_UP


def _host(han: HanSimulator) -> tuple[EmulatedNcp, JoinedHost]:
    ncp = EmulatedNcp(han=han)
    host = JoinedHost(ncp)
    host.reset()
    host.negotiate()
    return ncp, host


def _set_config(host: JoinedHost, config_id: int, value: int) -> bytes:
    ((_, status),) = host.exchange(
        0x53, bytes((config_id,)) + value.to_bytes(2, "little")
    )
    return status


def test_configuration_values_are_set_before_the_network_is_up() -> None:
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    assert ncp.key_table_size == 0  # no room for partner keys unless configured
    assert _set_config(host, CONFIG_KEY_TABLE_SIZE, 2) == b"\x00"
    assert ncp.key_table_size == 2
    host.join(han)
    assert _set_config(host, CONFIG_KEY_TABLE_SIZE, 4) == bytes(
        (EZSP_ERROR_INVALID_CALL,)
    )
    assert ncp.key_table_size == 2
    assert ncp.problems == ["setConfigurationValue 0x1E after the network is up"]
    host.reset()  # a reset puts every configuration value back
    assert ncp.key_table_size == 0


@pytest.mark.parametrize(
    ("table", "cbke_done", "bound", "status"),
    [
        (1, True, True, APP_LINK_KEY_ESTABLISHED),
        (0, True, True, KEY_TABLE_FULL),  # the key came, nowhere to keep it
        (1, False, True, KEY_ESTABLISHMENT_TIMEOUT),  # no CBKE: the TC sends nothing
        (1, True, False, KEY_ESTABLISHMENT_TIMEOUT),  # the partner never agreed
    ],
)
def test_request_link_key_is_answered_through_the_key_establishment_handler(
    table: int, cbke_done: bool, bound: bool, status: int
) -> None:
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    if table:
        _set_config(host, CONFIG_KEY_TABLE_SIZE, table)
    host.join(han)
    if cbke_done:
        han.cbke_completed.add(ncp.ieee)
    if bound:
        han.ke_bindings["esme"] = {ncp.ieee}
    partner = bytes(han.esme.ieee)
    answers = host.exchange(0x14, partner)
    # The handler names the partner, "or all zeros if the Key establishment
    # failed" (gecko_sdk stack/include/security.h)
    named = partner if status == APP_LINK_KEY_ESTABLISHED else bytes(8)
    assert answers == [(0x14, b"\x00"), (0x9B, named + bytes((status,)))]
    assert (han.esme.ieee in ncp.key_table) == (status == APP_LINK_KEY_ESTABLISHED)


async def _unicast(
    han: HanSimulator, host: JoinedHost, nwk: int, cluster: int, options: int
) -> list[tuple[int, bytes]]:
    """sendUnicast of a Read Attributes to ``nwk``; the answers and callbacks."""
    aps = (
        SE.to_bytes(2, "little")
        + cluster.to_bytes(2, "little")
        + b"\x01\x01"
        + options.to_bytes(2, "little")
        + b"\x00\x00\x00"
    )
    body = READ_SUMMATION
    params = b"\x00" + nwk.to_bytes(2, "little") + aps + b"\x05" + bytes((len(body),))
    answers = host.exchange(0x34, params + body)
    await han.settle()
    return answers + host.callbacks()


def _address_entry(host: JoinedHost, index: int, eui64: t.EUI64, nwk: int) -> bytes:
    """setAddressTableRemoteEui64 then setAddressTableRemoteNodeId; the first's status."""
    ((_, status),) = host.exchange(0x5C, bytes((index,)) + bytes(eui64))
    if status == b"\x00":
        assert host.exchange(0x5D, bytes((index,)) + nwk.to_bytes(2, "little")) == [
            (0x5D, b"")
        ]
    return status


async def test_an_encrypted_send_needs_a_link_key_and_incoming_frames_say_how_they_came() -> (
    None
):
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    host.join(han)

    async def unicast(nwk: int, cluster: int, options: int) -> list[tuple[int, bytes]]:
        return await _unicast(han, host, nwk, cluster, options)

    # No partner link key with the ESME: the stack cannot encrypt to it
    assert await unicast(ESME_NWK, METERING, APS_OPTION_ENCRYPTION) == [
        (0x34, bytes((APS_ENCRYPTION_ERROR, 0)))
    ]
    # Unencrypted it goes, and the ESME's FAILURE comes back unencrypted
    answers = await unicast(ESME_NWK, METERING, 0x0040)
    assert ncp.unencrypted_sent == [METERING]
    (incoming,) = [params for frame_id, params in answers if frame_id == 0x45]
    options = int.from_bytes(incoming[1 + 6 : 1 + 8], "little")
    assert not options & APS_OPTION_ENCRYPTION
    assert incoming[-2:] == bytes((0x00, foundation.Status.FAILURE))
    # With the key (after the exchange) and the meter in the address table,
    # it is encrypted both ways
    ncp.key_table[han.esme.ieee] = 0
    han.link_keys.setdefault("esme", set()).add(ncp.ieee)
    assert _address_entry(host, 0, han.esme.ieee, ESME_NWK) == b"\x00"
    answers = await unicast(ESME_NWK, METERING, APS_OPTION_ENCRYPTION | 0x0040)
    (incoming,) = [params for frame_id, params in answers if frame_id == 0x45]
    options = int.from_bytes(incoming[1 + 6 : 1 + 8], "little")
    assert options & APS_OPTION_ENCRYPTION
    assert ncp.problems == []


async def test_a_partner_key_is_found_through_the_address_table_which_a_reset_empties() -> (
    None
):
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    host.join(han)
    ncp.key_table[han.esme.ieee] = 0  # the partner link key, by EUI64
    han.link_keys.setdefault("esme", set()).add(ncp.ieee)
    # The key alone: the stack does not know the EUI64 of the meter's node id
    assert await _unicast(han, host, ESME_NWK, METERING, APS_OPTION_ENCRYPTION) == [
        (0x34, bytes((APS_ENCRYPTION_ERROR, 0)))
    ]
    # The address table has the stack's default size (8); past it, out of range
    assert ncp.config[CONFIG_ADDRESS_TABLE_SIZE] == 8
    assert _address_entry(host, 8, han.esme.ieee, ESME_NWK) == bytes(
        (ADDRESS_TABLE_INDEX_OUT_OF_RANGE,)
    )
    # An EUI64 set alone has an unknown node id until the host sets it
    ((_, status),) = host.exchange(0x5C, b"\x01" + bytes(han.esme.ieee))
    assert status == b"\x00"
    assert host.exchange(0x5F, b"\x01") == [
        (0x5F, UNKNOWN_NODE_ID.to_bytes(2, "little"))
    ]
    assert _address_entry(host, 1, han.esme.ieee, ESME_NWK) == b"\x00"
    assert host.exchange(0x5E, b"\x01") == [(0x5E, bytes(han.esme.ieee))]
    answers = await _unicast(han, host, ESME_NWK, METERING, APS_OPTION_ENCRYPTION)
    (sent,) = [params for frame_id, params in answers if frame_id == 0x34]
    assert sent[0] == 0x00  # EMBER_SUCCESS
    # The address table is RAM: a reset empties it; the key table (tokens) stays
    host.reset()
    host.negotiate()
    assert ncp.address_table == {}
    assert han.esme.ieee in ncp.key_table
    assert ncp.problems == []


def _partner_key(host: JoinedHost, han: HanSimulator, ncp: EmulatedNcp) -> int:
    """CBKE done and the meter bound: requestLinkKey; the key status it got."""
    han.cbke_completed.add(ncp.ieee)
    han.ke_bindings["esme"] = {ncp.ieee}
    partner = bytes(han.esme.ieee)
    answers = host.exchange(0x14, partner)
    assert answers[0] == (0x14, b"\x00")
    ((frame_id, params),) = answers[1:]
    assert frame_id == 0x9B
    # the partner, or all zeros when it failed (security.h)
    assert params[:8] == (
        partner if params[8] == APP_LINK_KEY_ESTABLISHED else bytes(8)
    )
    return params[8]


def test_the_key_table_is_tokens_a_leave_and_a_reset_keep() -> None:
    """token-stack.h: STACK_KEY_TABLE is an indexed stack token; leaving forgets the
    network (and its trust centre link key), not the partner keys."""
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    _set_config(host, CONFIG_KEY_TABLE_SIZE, 1)
    host.join(han)
    assert _partner_key(host, han, ncp) == APP_LINK_KEY_ESTABLISHED
    old_meter = han.esme.ieee
    assert host.exchange(0x20) == [(0x20, b"\x00"), (0x19, b"\x91")]  # leaveNetwork
    assert ncp.network is None
    assert ncp.key_table == {old_meter: 0}
    host.reset()  # a power cycle: configuration goes, tokens stay
    host.negotiate()
    assert ncp.key_table == {old_meter: 0}
    # Another meter on the next network: the stale key holds the only entry
    _set_config(host, CONFIG_KEY_TABLE_SIZE, 1)
    han.meter_exchange(new_eui64=True)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    host.join(han)
    assert _partner_key(host, han, ncp) == KEY_TABLE_FULL
    assert ncp.key_table == {old_meter: 0}
    assert ncp.problems == []


def test_clear_key_table_empties_it_and_keeps_the_trust_centre_key() -> None:
    """security.h emberClearKeyTable: "Clear the key table of the current network"."""
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    _set_config(host, CONFIG_KEY_TABLE_SIZE, 1)
    stale = t.EUI64(bytes(range(8)))
    ncp.key_table[stale] = 0  # a partner key from an earlier network
    assert host.exchange(0xB1) == [(0xB1, b"\x00")]  # clearKeyTable: SUCCESS
    assert ncp.key_table == {}
    host.join(han)
    assert _partner_key(host, han, ncp) == APP_LINK_KEY_ESTABLISHED
    assert ncp.key_table == {han.esme.ieee: 0}
    # Joined, the table cleared again: the hub's key is not in it
    assert host.exchange(0xB1) == [(0xB1, b"\x00")]
    assert ncp.key_table == {}
    assert ncp.network is not None
    assert ncp.problems == []


def test_a_node_id_before_its_eui64_is_a_problem() -> None:
    ncp, host = _host(HanSimulator(seed=3))
    assert host.exchange(0x5D, b"\x00" + ESME_NWK.to_bytes(2, "little")) == [
        (0x5D, b"")
    ]
    assert ncp.address_table == {}
    assert ncp.problems == ["setAddressTableRemoteNodeId before its EUI64"]


def test_the_extended_security_bitmask_is_a_value() -> None:
    ncp, host = _host(HanSimulator(seed=3))
    value = VALUE_EXTENDED_SECURITY_BITMASK
    assert host.exchange(0xAA, bytes((value,))) == [(0xAA, b"\x00\x02\x00\x00")]
    bits = NWK_LEAVE_REQUEST_NOT_ALLOWED | EXT_NO_FRAME_COUNTER_RESET
    assert host.exchange(0xAB, bytes((value, 2)) + bits.to_bytes(2, "little")) == [
        (0xAB, b"\x00")
    ]
    assert host.exchange(0xAA, bytes((value,))) == [
        (0xAA, b"\x00\x02" + bits.to_bytes(2, "little"))
    ]
    # A bitmask is two bytes; an id this emulator does not know is INVALID_ID
    assert host.exchange(0xAB, bytes((value, 1, 0))) == [
        (0xAB, bytes((EZSP_ERROR_INVALID_VALUE,)))
    ]
    assert host.exchange(0xAB, bytes((0x7F, 1, 0))) == [
        (0xAB, bytes((EZSP_ERROR_INVALID_ID,)))
    ]
    host.reset()  # kept like the stack's tokens
    host.negotiate()
    assert ncp.extended_security == bits


@pytest.mark.parametrize("not_allowed", [False, True])
def test_a_router_discards_a_leave_request_only_when_its_bitmask_says_so(
    not_allowed: bool,
) -> None:
    han = HanSimulator(seed=3)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    ncp, host = _host(han)
    if not_allowed:
        bits = NWK_LEAVE_REQUEST_NOT_ALLOWED.to_bytes(2, "little")
        host.exchange(0xAB, bytes((VALUE_EXTENDED_SECURITY_BITMASK, 2)) + bits)
    host.join(han)
    ncp.leave_requested()
    if not_allowed:
        assert host.callbacks() == []
        assert ncp.network_up
        assert ncp.leave_requests_discarded == 1
    else:
        assert host.callbacks() == [(0x19, b"\x91")]  # NETWORK_DOWN
        assert ncp.network is None  # left: networkInit has nothing to resume


# --- roles: top-up over the HAN is the PPMID's ----------------------------------


@pytest.mark.parametrize(
    "refusal",
    [
        # Silicon Labs' prepayment server: the application refused, UNSUP_COMMAND
        foundation.Status.UNSUP_CLUSTER_COMMAND,
        foundation.Status.NOT_AUTHORIZED,  # another stack might say so
    ],
)
async def test_a_meter_that_leaves_top_up_to_its_ppmid_refuses_a_cad(
    refusal: foundation.Status,
) -> None:
    sim = HanSimulator(seed=3, prepayment=True)
    sim.attach(Sink())
    sim.register_simulated_cad()
    sim.consumer_top_up = False
    sim.top_up_refusal = refusal
    utrn = sim.issue_utrn(500).encode()
    credit = sim.account.credit(sim.clock.time())
    # ConsumerTopUp: originating device 0x02 (IHD), the UTRN as an octet string
    frame = b"\x01\x21\x04\x02" + bytes((len(utrn),)) + utrn
    sim.transmit(packet(ESME_NWK, 0x0705, frame, encrypted=True))
    (answer,) = await _answers(sim)
    hdr, rest = foundation.ZCLHeader.deserialize(answer.data.serialize())
    assert hdr.command_id == foundation.GeneralCommand.Default_Response
    assert rest == bytes((0x04, refusal))
    assert sim.account.credit(sim.clock.time()) == credit


@pytest.mark.parametrize(
    "refusal",
    [foundation.Status.UNSUP_CLUSTER_COMMAND, foundation.Status.NOT_AUTHORIZED],
)
async def test_the_library_says_a_refused_top_up_is_the_ppmids_role(
    refusal: foundation.Status,
) -> None:
    # (the host's side of the rule above: HanNotAllowed, not a generic failure)
    sim = HanSimulator(seed=7, prepayment=True)
    sim.consumer_top_up = False
    sim.top_up_refusal = refusal
    app = await sim.start()
    link = await HanLink.open(app, request_timeout=2.0, clock=sim.clock.time)
    try:
        with pytest.raises(HanNotAllowed, match="prepayment interface device"):
            await link.esme.top_up(sim.issue_utrn(500))
    finally:
        await link.close()
