"""The emulated NCP and hub behave as the vendors' sources say, on their own.

Each test here checks one rule of docs/radio-conformance.md on the emulator
alone (bellows, unmodified, or the simulated hub called directly; none of the
integration's radio code), so the emulator cannot drift toward the host's
assumptions. The host's side of each rule is tested in test_radio.py and
test_join.py.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
import zigpy.types as t
import zigpy.zdo.types as zdo_t

from custom_components.smets.han.simulator import HanSimulator, cbke
from custom_components.smets.han.simulator.app import CAD_NWK, ESME_NWK, GSME_NWK
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
    install_code_crc,
    install_code_token,
)

# --- r12b: the install-code token (gecko_sdk tokTypeMfgInstallationCode) ------


@pytest.mark.parametrize(
    ("length", "flags"), [(6, 0x0000), (8, 0x0002), (12, 0x0004), (16, 0x0006)]
)
def test_token_flags_give_the_size_with_bit_0_clear(length: int, flags: int) -> None:
    """A programmed token: bit 0 clear, bits 1-2 the size; 16 bytes shows 0x0006."""
    code = bytes(range(0x10, 0x10 + length))
    token = install_code_token(code)
    assert len(token) == 20
    assert int.from_bytes(token[:2], "little") == flags
    assert token[2 : 2 + length] == code
    assert token[2 + length : 18] == b"\xff" * (16 - length)  # unwritten flash
    assert int.from_bytes(token[18:], "little") == install_code_crc(code)


def test_an_unprogrammed_token_is_erased_flash() -> None:
    assert install_code_token(None) == b"\xff" * 20
    assert int.from_bytes(install_code_token(None)[:2], "little") & 0x0001


def test_the_token_crc_is_the_install_code_crc() -> None:
    """AN1089's example 16-byte code: CRC 0xB5C3, stored little-endian (C3 B5)."""
    token = install_code_token(DEFAULT_INSTALL_CODE)
    assert token == b"\x06\x00" + DEFAULT_INSTALL_CODE + b"\xc3\xb5"
    assert install_code_token(DEFAULT_INSTALL_CODE, crc=0x1234)[18:] == b"\x34\x12"


async def test_the_radio_serves_the_token_image_over_ezsp() -> None:
    """bellows' getMfgToken returns the 20-byte image as the chip stores it."""
    from bellows.ezsp import EZSP
    import bellows.types as bt

    async with EmulatedNcp() as ncp:
        ezsp = EZSP({"path": ncp.path, "baudrate": 115200, "flow_control": None})
        try:
            async with asyncio.timeout(10):
                await ezsp.connect(use_thread=False)
                token = await ezsp.get_mfg_token(
                    bt.EzspMfgTokenId.MFG_INSTALLATION_CODE
                )
        finally:
            await ezsp.disconnect()
    assert bytes(token)[:2] == b"\x06\x00"
    assert bytes(token) == install_code_token(DEFAULT_INSTALL_CODE)


# --- r12b: the hub as key establishment responder and trust centre -------------


class _Sink:
    """Takes what the simulated HAN sends to the CAD."""

    def __init__(self) -> None:
        self.devices: dict[Any, Any] = {}
        self.frames: list[tuple[int, bytes]] = []

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        src = cast("Any", packet.src).address
        self.frames.append((int(packet.cluster_id), packet.data.serialize()))
        del src


def _joined_hub() -> tuple[HanSimulator, _Sink]:
    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    eui = t.EUI64.convert(DEFAULT_EUI64)
    assert han.join(eui, cbke.install_code_key(DEFAULT_INSTALL_CODE)) == "joined"
    sink = _Sink()
    han.attach(sink)
    return han, sink


def _ke_endpoint(han: HanSimulator) -> int:
    return next(
        ep.endpoint_id for ep in han.hub.endpoints.values() if 0x0800 in ep.clusters
    )


async def _ke_request(
    han: HanSimulator, sink: _Sink, command: int, payload: bytes, tsn: int
) -> list[bytes]:
    """Send a Key Establishment command to the hub; the frames it answers with."""
    sink.frames.clear()
    han.transmit(
        t.ZigbeePacket(
            src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(CAD_NWK)),
            src_ep=t.uint8_t(1),
            dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(0x0000)),
            dst_ep=t.uint8_t(_ke_endpoint(han)),
            tsn=t.uint8_t(tsn),
            profile_id=t.uint16_t(0x0109),
            cluster_id=t.uint16_t(0x0800),
            data=t.SerializableBytes(bytes((0x01, tsn, command)) + payload),
        )
    )
    for _ in range(3):
        await asyncio.sleep(0)
    return [data for cluster, data in sink.frames if cluster == 0x0800]


def _initiate() -> bytes:
    eui = bytes(t.EUI64.convert(DEFAULT_EUI64))[::-1]
    return b"\x02\x00" + bytes((11, 16)) + cbke.certificate(eui)


async def test_the_hub_answers_key_establishment_with_its_own_sequence_numbers() -> (
    None
):
    """Real devices are careless with ZCL sequence numbers: the answer is matched by command."""
    han, sink = _joined_hub()
    (answer,) = await _ke_request(han, sink, 0x00, _initiate(), tsn=0x42)
    assert answer[0] & 0x08  # server to client
    assert answer[2] == 0x00  # Initiate Key Establishment Response
    assert answer[1] != 0x42
    han.cbke_careless_tsn = False
    (answer,) = await _ke_request(han, sink, 0x00, _initiate(), tsn=0x43)
    assert answer[1] == 0x43


async def test_a_busy_hub_terminates_with_a_wait_time_and_its_own_tsn() -> None:
    """The Terminate carries status and Wait Time; asked sooner, the hub is still busy."""
    han, sink = _joined_hub()
    han.cbke_careless_tsn = False  # even so: a Terminate is the hub's own command
    han.cbke_hiccups = [("initiate", 0x04, 7)]
    (answer,) = await _ke_request(han, sink, 0x00, _initiate(), tsn=0x50)
    assert answer[2] == 0x03  # Terminate Key Establishment
    assert answer[1] != 0x50
    assert answer[3:5] == bytes((0x04, 7))  # No Resources, wait 7 s
    assert answer[5:7] == b"\x02\x00"  # suite 2
    (again,) = await _ke_request(han, sink, 0x00, _initiate(), tsn=0x51)
    assert again[2] == 0x03
    assert again[3] == 0x04
    assert 1 <= again[4] <= 7  # the rest of the wait it gave
    assert ("terminate", again[1]) in han.cbke_sent


async def test_the_hub_answers_again_after_the_wait_time() -> None:
    han, sink = _joined_hub()
    han.cbke_hiccups = [("initiate", 0x04, 1)]
    (answer,) = await _ke_request(han, sink, 0x00, _initiate(), tsn=0x60)
    assert answer[2] == 0x03
    await asyncio.sleep(1.05)
    (answer,) = await _ke_request(han, sink, 0x00, _initiate(), tsn=0x61)
    assert answer[2] == 0x00


def test_one_join_per_registration() -> None:
    """The supplier's entry admits one join; a rejoin is fine, a second join is not."""
    han = HanSimulator(seed=11)
    eui = t.EUI64.convert(DEFAULT_EUI64)
    key = cbke.install_code_key(DEFAULT_INSTALL_CODE)
    han.register_device(eui, DEFAULT_INSTALL_CODE)
    assert han.join(eui, key) == "joined"
    assert han.rejoin(eui)
    han.leave(eui)
    han.join_window_open = True
    assert han.join(eui, key) == "refused"  # the registration is spent
    han.register_device(eui, DEFAULT_INSTALL_CODE)
    assert han.join(eui, key) == "joined"


def test_a_hub_at_router_capacity_admits_only_end_devices() -> None:
    han = HanSimulator(seed=11)
    eui = t.EUI64.convert(DEFAULT_EUI64)
    key = cbke.install_code_key(DEFAULT_INSTALL_CODE)
    han.register_device(eui, DEFAULT_INSTALL_CODE)
    han.router_capacity = 0
    assert han.join(eui, key, router=True) == "no_router_capacity"
    assert han.join(eui, key, router=False) == "joined"


async def test_the_radio_reports_join_failed_when_no_router_capacity() -> None:
    """No beacon offers router capacity: joinNetwork as a router ends JOIN_FAILED."""
    from bellows.ezsp import EZSP
    import bellows.types as bt

    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    han.router_capacity = 0
    statuses: asyncio.Queue[int] = asyncio.Queue()
    async with EmulatedNcp(han=han) as ncp:
        ezsp = EZSP({"path": ncp.path, "baudrate": 115200, "flow_control": None})
        ezsp.add_callback(
            lambda name, args: (
                statuses.put_nowait(int(args[0]))
                if name == "stackStatusHandler"
                else None
            )
        )
        try:
            async with asyncio.timeout(10):
                await ezsp.connect(use_thread=False)
                key = cbke.install_code_key(DEFAULT_INSTALL_CODE)
                await ezsp.setInitialSecurityState(
                    state=bt.EmberInitialSecurityState(
                        bitmask=bt.EmberInitialSecurityBitmask(0x0100 | 0x0800),
                        preconfiguredKey=bt.KeyData(key),
                        networkKey=bt.KeyData(bytes(16)),
                        networkKeySequenceNumber=0,
                        preconfiguredTrustCenterEui64=bt.EUI64.convert(
                            "00:00:00:00:00:00:00:00"
                        ),
                    )
                )
                for node_type in (bt.EmberNodeType.ROUTER, bt.EmberNodeType.END_DEVICE):
                    (status,) = await ezsp.joinNetwork(
                        nodeType=node_type,
                        parameters=bt.EmberNetworkParameters(
                            extendedPanId=bt.ExtendedPanId(bytes(han.extended_pan_id)),
                            panId=0x1A62,
                            radioTxPower=8,
                            radioChannel=han.channel,
                            joinMethod=bt.EmberJoinMethod(0),
                            nwkManagerId=0,
                            nwkUpdateId=0,
                            channels=bt.Channels(1 << han.channel),
                        ),
                    )
                    assert status == bt.EmberStatus.SUCCESS
                    results = [await statuses.get()]
                    assert results == [0x94 if node_type == 2 else 0x90]
        finally:
            await ezsp.disconnect()


# --- r12b: discovery (ZDO) as a ZigBee PRO hub answers it ----------------------


async def _zdo(
    han: HanSimulator, sink: _Sink, dst: int, command: zdo_t.ZDOCmd, *args: Any
) -> list[list[Any]]:
    """Send a ZDO request to ``dst`` (0xFFFD: broadcast); every answer's fields."""
    sink.frames.clear()
    _names, types = zdo_t.CLUSTERS[command]
    payload = bytes((0x33,)) + t.serialize(list(args), list(types))
    broadcast = dst >= 0xFFF8
    han.transmit(
        t.ZigbeePacket(
            src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=t.NWK(CAD_NWK)),
            src_ep=t.uint8_t(0),
            dst=t.AddrModeAddress(
                addr_mode=t.AddrMode.Broadcast if broadcast else t.AddrMode.NWK,
                address=t.NWK(dst),
            ),
            dst_ep=t.uint8_t(0),
            tsn=t.uint8_t(0x33),
            profile_id=t.uint16_t(0),
            cluster_id=t.uint16_t(int(command)),
            data=t.SerializableBytes(payload),
        )
    )
    for _ in range(3):
        await asyncio.sleep(0)
    _names, answer_types = zdo_t.CLUSTERS[zdo_t.ZDOCmd(int(command) | 0x8000)]
    return [
        list(t.deserialize(data[1:], list(answer_types))[0])
        for cluster, data in sink.frames
        if cluster == int(command) | 0x8000
    ]


async def test_the_hubs_child_list_holds_its_end_devices_not_routers() -> None:
    """IEEE_addr (extended) lists associated end devices; the ESME is a router."""
    han, sink = _joined_hub()
    (answer,) = await _zdo(
        han, sink, 0x0000, zdo_t.ZDOCmd.IEEE_addr_req, t.NWK(0), 1, 0
    )
    children = {int(nwk) for nwk in answer[5]}
    assert children == {GSME_NWK}
    assert ESME_NWK not in children
    assert CAD_NWK not in children  # the CAD joined as a router


async def test_a_broadcast_match_desc_gets_no_answer_for_sleeping_children() -> None:
    han, sink = _joined_hub()
    answers = await _zdo(
        han,
        sink,
        0xFFFD,
        zdo_t.ZDOCmd.Match_Desc_req,
        t.NWK(0xFFFD),
        0x0109,
        [0x0702],
        [],
    )
    assert {int(a[1]) for a in answers} == {0x0000, ESME_NWK}  # the GPF and the ESME
    assert GSME_NWK not in {int(a[1]) for a in answers}
    # Asked directly about its child, the hub answers from its discovery cache
    (answer,) = await _zdo(
        han,
        sink,
        0x0000,
        zdo_t.ZDOCmd.Match_Desc_req,
        t.NWK(GSME_NWK),
        0x0109,
        [0x0702],
        [],
    )
    assert int(answer[1]) == GSME_NWK
    assert answer[2]
    assert han.gsme_wakeups == 0


async def test_a_router_may_miss_a_broadcast() -> None:
    han, sink = _joined_hub()
    han.broadcast_misses = {"esme": 1}
    request = (t.NWK(0xFFFD), 0x0109, [0x0702], [])
    first = await _zdo(han, sink, 0xFFFD, zdo_t.ZDOCmd.Match_Desc_req, *request)
    second = await _zdo(han, sink, 0xFFFD, zdo_t.ZDOCmd.Match_Desc_req, *request)
    assert ESME_NWK not in {int(a[1]) for a in first}
    assert ESME_NWK in {int(a[1]) for a in second}


async def test_a_zdo_answer_may_be_lost() -> None:
    """A unicast ZDO answer is a frame of its own: one may not come back."""
    han, sink = _joined_hub()
    han.zdo_answer_misses = {"IEEE_addr_req": 1}
    request = (t.NWK(0), 0, 0)
    first = await _zdo(han, sink, 0x0000, zdo_t.ZDOCmd.IEEE_addr_req, *request)
    second = await _zdo(han, sink, 0x0000, zdo_t.ZDOCmd.IEEE_addr_req, *request)
    assert first == []
    assert [str(answer[1]) for answer in second] == [str(han.hub.ieee)]
    assert han.zdo_requests == ["IEEE_addr_req", "IEEE_addr_req"]


async def test_the_hubs_neighbour_table_lists_the_routers() -> None:
    """Mgmt_Lqi of the hub, page by page: the ESME as a router, the GSME as an end device."""
    han, sink = _joined_hub()
    neighbours: list[Any] = []
    start = 0
    while True:
        (answer,) = await _zdo(han, sink, 0x0000, zdo_t.ZDOCmd.Mgmt_Lqi_req, start)
        assert answer[0] == zdo_t.Status.SUCCESS
        page = list(answer[1].NeighborTableList)
        neighbours += page
        start += len(page)
        if not page or start >= int(answer[1].Entries):
            break
    types = {int(n.nwk): int(n.device_type) for n in neighbours}
    assert types[ESME_NWK] == 1  # router
    assert types[GSME_NWK] == 2  # end device
    assert types[CAD_NWK] == 1
    assert all(str(n.extended_pan_id) == str(han.extended_pan_id) for n in neighbours)


# --- r12b: an end device resumes with its parent -------------------------------


@pytest.mark.parametrize(
    ("bitmask", "problems"),
    [
        (0x0003, []),
        (0x0000, ["PARENT_INFO_IN_TOKEN", "END_DEVICE_REJOIN_ON_REBOOT"]),
        (0x0001, ["END_DEVICE_REJOIN_ON_REBOOT"]),
    ],
)
async def test_an_end_device_resumes_with_its_parent_and_rejoins(
    bitmask: int, problems: list[str]
) -> None:
    """networkInit of an end device: parent info from its token, a rejoin on reboot."""
    from bellows.ezsp import EZSP
    import bellows.types as bt

    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    async with EmulatedNcp(han=han) as ncp:
        # The radio joined as an end device before (its tokens keep the network)
        eui = t.EUI64.convert(DEFAULT_EUI64)
        assert han.join(eui, cbke.install_code_key(DEFAULT_INSTALL_CODE), router=False)
        from smets_dev import ncp as emulator

        ncp.network = emulator._Network(
            bytes(han.extended_pan_id), 0x1A62, han.channel, 0x03, CAD_NWK
        )
        ezsp = EZSP({"path": ncp.path, "baudrate": 115200, "flow_control": None})
        try:
            async with asyncio.timeout(10):
                await ezsp.connect(use_thread=False)
                (status,) = await ezsp._command(
                    "networkInit",
                    networkInitBitmask=bt.EmberNetworkInitBitmask(bitmask),
                )
                assert status == bt.EmberStatus.SUCCESS
        finally:
            await ezsp.disconnect()
    assert ncp.end_device_init_bitmask == bitmask
    assert [p.split()[-1] for p in ncp.problems] == problems


# --- r12b: rejoining after the network went down --------------------------------


@pytest.mark.parametrize(
    ("missed_key", "statuses"),
    [(False, [0x90]), (True, [0x91, 0x90])],
)
async def test_a_lost_radio_rejoins_secure_else_through_the_trust_centre(
    missed_key: bool, statuses: list[int]
) -> None:
    """findAndRejoinNetwork(True) needs the current key; (False) gets it from the TC."""
    from bellows.ezsp import EZSP
    import bellows.types as bt

    han = HanSimulator(seed=11)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    reported: asyncio.Queue[int] = asyncio.Queue()
    async with EmulatedNcp(han=han) as ncp:
        eui = t.EUI64.convert(DEFAULT_EUI64)
        assert han.join(eui, cbke.install_code_key(DEFAULT_INSTALL_CODE)) == "joined"
        from smets_dev import ncp as emulator

        ncp.network = emulator._Network(
            bytes(han.extended_pan_id), 0x1A62, han.channel, 0x02, CAD_NWK
        )
        ezsp = EZSP({"path": ncp.path, "baudrate": 115200, "flow_control": None})
        ezsp.add_callback(
            lambda name, args: (
                reported.put_nowait(int(args[0]))
                if name == "stackStatusHandler"
                else None
            )
        )
        try:
            async with asyncio.timeout(10):
                await ezsp.connect(use_thread=False)
                await ezsp._command(
                    "networkInit", networkInitBitmask=bt.EmberNetworkInitBitmask(0)
                )
                assert await reported.get() == 0x90
                ncp.drop_network(missed_key_rotation=missed_key)
                assert await reported.get() == 0x91  # NETWORK_DOWN
                seen = []
                for have_key in (True, False)[: len(statuses)]:
                    (status,) = await ezsp._command(
                        "findAndRejoinNetwork",
                        haveCurrentNetworkKey=have_key,
                        channelMask=1 << han.channel,
                    )
                    assert status == bt.EmberStatus.SUCCESS
                    seen.append(await reported.get())
            assert ncp.network_up
        finally:
            await ezsp.disconnect()
    assert seen == statuses
    assert ncp.rejoins == [True, False][: len(statuses)]
    assert ncp.problems == []
