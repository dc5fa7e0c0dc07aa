"""The simulated HAN and the zigpy ControllerApplication that talks to it.

:class:`HanSimulator` is the world: a seeded clock, a Comms Hub (with its GPF
gas mirror on endpoint 2), an ESME and a sleeping GSME, fault injection and an
optional observer of every frame. :class:`SimulatedApplication` is a zigpy
``ControllerApplication`` whose radio is that world: ``send_packet`` hands the
ZCL bytes to the emulated device, and what the device answers comes back
through zigpy's ``packet_received`` as a :class:`zigpy.types.ZigbeePacket`.

Nothing sleeps: answers are delivered on the next turn of the event loop, and
simulated time moves only with :meth:`HanSimulator.advance`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import copy
from dataclasses import dataclass, field
import hashlib
import heapq
import itertools
import logging
import math
from typing import Any, Final, Literal, Protocol, cast

import zigpy.application
import zigpy.config as zconf
import zigpy.device
import zigpy.endpoint
import zigpy.exceptions
import zigpy.state
import zigpy.types as t
from zigpy.zcl import foundation
from zigpy.zcl.clusters import general as zgeneral, smartenergy as zse
import zigpy.zdo.types as zdo_t

from custom_components.smets.han import clusters as c

from . import cbke
from .clock import SimClock
from .devices import EmulatedDevice, Reply, ServerCluster, SimEndpoint
from .meters import (
    HALF_HOUR,
    MONEY_UNITS_PER_POUND,
    Chargeable,
    ElectricityMeter,
    GasMeter,
    PrepaymentAccount,
    Tariff,
    consumption_cost,
    cost_period,
)

__all__ = [
    "CBKE_MODES",
    "CONF_SIMULATOR",
    "DEVICE_JOINED_ALERT",
    "HAN_PAN_ID",
    "MONEY_UNITS_PER_POUND",
    "Faults",
    "HanSimulator",
    "JoinOutcome",
    "MeterIdentity",
    "PacketSink",
    "RadioFrame",
    "SimulatedApplication",
    "unix_time",
    "zcl_time",
]

_LOGGER = logging.getLogger(__name__)

# zigpy's named types are untyped callables; call them through Any
_t: Any = t
_zdo_t: Any = zdo_t

CONF_SIMULATOR: Final = "smets_simulator"
"""zigpy config key carrying the :class:`HanSimulator` to the application."""

SE_PROFILE: Final = c.SE_PROFILE_ID
HAN_PAN_ID: Final = 0x1A62
CAD_NWK: Final = 0x6E5F
CAD_ENDPOINT: Final = 1
HUB_NWK: Final = 0x0000
ESME_NWK: Final = 0x1A2B
GSME_NWK: Final = 0x4C3D
HUB_ENDPOINT: Final = 1
GPF_ENDPOINT: Final = 2
ESME_ENDPOINT: Final = 1
GSME_ENDPOINT: Final = 1

# ZSE device ids
_ESI: Final = 0x0500
_METERING_DEVICE: Final = 0x0501
_IPD: Final = 0x0502  # In-Premise Display (0x0503 is a thermostat)

MAX_PERIODS: Final = 24
"""Profile intervals per GetProfileResponse (3 bytes each; the frame stays <= 82 bytes)."""


def zcl_time(unix: int) -> int:
    """Unix seconds -> ZCL UTCTime."""
    return max(0, unix - c.ZCL_EPOCH)


def unix_time(zcl: int) -> int:
    """ZCL UTCTime -> Unix seconds."""
    return zcl + c.ZCL_EPOCH


@dataclass(frozen=True, slots=True)
class RadioFrame:
    """One frame on the virtual radio (what a capture writer needs)."""

    timestamp: float
    src_nwk: int
    dst_nwk: int
    src_ep: int
    dst_ep: int
    profile: int
    cluster: int
    aps_counter: int
    zcl: bytes


type FrameObserver = Callable[[RadioFrame], None]
type TimeSource = Callable[[], float]
"""Now, in Unix seconds: a clock for a simulator to follow (Home Assistant's)."""


class PacketSink(Protocol):
    """Where the simulated HAN delivers what the meters send.

    A zigpy application, or the emulated NCP (which turns each packet into an
    EZSP callback).
    """

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        """Receive one frame addressed to the CAD."""


type JoinOutcome = Literal[
    "joined", "refused", "window_closed", "out_of_range", "no_router_capacity"
]

type AlertSource = Literal["electricity", "gas", "hub"]
type Fuel = Literal["electricity", "gas"]
"""Who raises an alert: the ESME, the hub's GPF gas mirror, or the hub itself."""

DEVICE_JOINED_ALERT: Final = 0x8183
"""GBCS "device joined the SMHAN": the hub raises it when a device joins."""

CBKE_MODES: Final = ("required", "unsupported", "absent")
"""How the hub treats key establishment: it runs CBKE ("required"), lists the
Key Establishment cluster but answers every command "unsupported"
("unsupported"), or has no such cluster at all ("absent")."""

_KE_STEPS: Final = ("initiate", "ephemeral", "confirm")

# ZDO status codes
_ZDO_SUCCESS: Final = 0x00
_ZDO_DEVICE_NOT_FOUND: Final = 0x81
_ZDO_INVALID_EP: Final = 0x82
_ZDO_NOT_ACTIVE: Final = 0x83
_ZDO_NOT_SUPPORTED: Final = 0x84
_ZDO_NOT_PERMITTED: Final = 0x8B
_ZDO_TABLE_FULL: Final = 0x8C

LINK_SECURED_CLUSTERS: Final = frozenset(
    {
        0x000A,  # Time
        0x0015,  # Commissioning
        0x0019,  # OTA Upgrade (a broadcast Image Notify excepted)
        0x0025,  # Keep-Alive
        0x0600,  # Generic Tunnel
        0x0700,  # Price
        0x0701,  # Demand Response and Load Control
        0x0702,  # Metering
        0x0703,  # Messaging
        0x0704,  # Tunneling
        0x0705,  # Prepayment
        0x0706,  # Energy Management
        0x0707,  # Calendar
        0x0708,  # Device Management
        0x0709,  # Events
        0x070A,  # MDU Pairing
        0x070B,  # Sub-GHz
    }
)
"""Smart Energy clusters whose unicasts need APS link-key security: the list
in Silicon Labs' ``emberAfDetermineIfLinkSecurityIsRequired``
(``protocol/zigbee/app/framework/util/util.c``, "Section 5.4.6 of the SE
spec"). Key Establishment and Basic are not on it."""
PUSHED_CLUSTERS: Final = frozenset({0x0700, 0x0702, 0x0703, 0x0705, 0x0709})
"""Clusters whose servers push to bound clients (Price, Metering, Messaging,
Prepayment, Events)."""
PARTNER_KEY_SLOTS: Final = 4
"""Application link keys (other than the trust centre's) a meter holds: some
GB meters accept at most four Type 2 devices."""


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """What a meter's Basic cluster reports."""

    manufacturer: str
    model: str
    date_code: str = "20230614"
    sw_build_id: str = "2.1.7"


IDENTITIES: Final[dict[str, dict[str, MeterIdentity]]] = {
    "smets2": {
        "hub": MeterIdentity("Toshiba", "CHF-2.4GHz-N", "20221103", "1.4.2"),
        "esme": MeterIdentity("Landis & Gyr", "E470-5394"),
        "gsme": MeterIdentity("Landis & Gyr", "G470-672", "20230302", "1.9.0"),
    },
    "smets1": {
        "hub": MeterIdentity("Landis & Gyr", "Ecometer S1 Hub", "20170519", "0.9.8"),
        "esme": MeterIdentity("Landis & Gyr", "E470", "20170519", "3.02"),
        "gsme": MeterIdentity("Landis & Gyr", "G470", "20170519", "2.11"),
    },
}


@dataclass(slots=True)
class Faults:
    """Fault injection. Counters count frames the app sends to a meter."""

    drop_requests: int = 0
    """Requests to swallow (the app times out)."""
    malformed_responses: int = 0
    """Responses to truncate so zigpy cannot parse them."""
    radio_lost: bool = False
    """Every frame in either direction is lost."""
    radio_reports_loss: bool = False
    """While the radio is lost, it says so: each send fails at once (no ACK)
    instead of vanishing until the request times out."""
    response_delay: float = 0.0
    """Real seconds before a response is delivered (0: next loop turn)."""
    sentinels: set[tuple[int, int]] = field(default_factory=set)
    """(cluster, attribute) pairs every meter answers with the invalid pattern."""


class _ValidatedOnce:
    """zigpy's configuration schema, run once per distinct simulator configuration.

    Home Assistant 2026.10 validates with probatio (aliased as voluptuous), which
    compiles a schema on its 50th use. probatio 0.13.0 compiles the ``Range(max=
    math.inf)`` of zigpy 2.4.0's CONFIG_SCHEMA into code naming an undefined
    ``inf``: from then on every zigpy application built in the process fails
    with NameError. Every simulator has the same configuration apart from the
    simulator itself, so it is validated once (by zigpy's own schema) and
    copies of the result are handed out after that.
    """

    def __init__(self, schema: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._schema = schema
        self._validated: dict[str, dict[str, Any]] = {}

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        rest = {key: value for key, value in config.items() if key != CONF_SIMULATOR}
        key = repr(rest)
        validated = self._validated.get(key)
        if validated is None:
            validated = self._validated[key] = self._schema(rest)
        result = copy.deepcopy(validated)
        if CONF_SIMULATOR in config:
            result[CONF_SIMULATOR] = config[CONF_SIMULATOR]
        return result


class SimulatedApplication(zigpy.application.ControllerApplication):
    """A zigpy application whose radio is a :class:`HanSimulator`."""

    # zigpy only ever calls it: any callable returning the validated dict will do
    SCHEMA = cast("Any", _ValidatedOnce(zigpy.application.ControllerApplication.SCHEMA))

    def __init__(self, config: dict[str, Any]) -> None:
        """Take the simulator from the config (key :data:`CONF_SIMULATOR`)."""
        simulator = config.get(CONF_SIMULATOR)
        if not isinstance(simulator, HanSimulator):
            msg = f"the simulated application needs a HanSimulator under {CONF_SIMULATOR!r}"
            raise TypeError(msg)
        super().__init__(config)
        self.simulator: HanSimulator = simulator

    async def connect(self) -> None:
        """Attach to the simulator (there is no hardware), registered as a CAD."""
        self.simulator.register_simulated_cad()
        self.simulator.attach(self)

    async def disconnect(self) -> None:
        """Detach from the simulator."""
        self.simulator.detach(self)

    async def load_network_info(self, *, load_devices: bool = False) -> None:
        """Return the CAD's place on the hub's network."""
        sim = self.simulator
        self.state.node_info = zigpy.state.NodeInfo(
            nwk=_t.NWK(CAD_NWK),
            ieee=sim.cad_ieee,
            logical_type=zdo_t.LogicalType.Router,
            manufacturer="SMETS HAN",
            model="Simulated CAD",
            version="1",
        )
        self.state.network_info = zigpy.state.NetworkInfo(
            extended_pan_id=t.ExtendedPanId(sim.hub.ieee),
            pan_id=_t.PanId(HAN_PAN_ID),
            channel=_t.uint8_t(sim.channel),
            nwk_manager_id=_t.NWK(HUB_NWK),
            security_level=_t.uint8_t(5),
        )

    async def write_network_info(self, *, network_info: Any, node_info: Any) -> None:
        """Nothing to write: the hub owns the network."""

    async def reset_network_info(self) -> None:
        """Nothing to reset."""

    async def start_network(self) -> None:
        """Create the zigpy devices for the CAD and the meters on the HAN."""
        cad = self.add_device(self.state.node_info.ieee, self.state.node_info.nwk)
        cad.node_desc = _node_descriptor(end_device=False)
        cad.manufacturer = "SMETS HAN"
        cad.model = "Simulated CAD"
        endpoint = cad.add_endpoint(CAD_ENDPOINT)
        endpoint.profile_id = SE_PROFILE
        endpoint.device_type = cast("Any", _IPD)
        endpoint.add_input_cluster(zgeneral.Basic.cluster_id)
        endpoint.status = zigpy.endpoint.Status.ZDO_INIT
        for device in self.simulator.devices:
            self.simulator.populate(self, device)

    async def force_remove(self, dev: Any) -> None:
        """Nothing to remove on a simulated network."""

    async def add_endpoint(self, descriptor: Any) -> None:
        """Do nothing: the CAD's endpoints are fixed."""

    async def permit_ncp(self, time_s: int = 60) -> None:
        """Do nothing: joining is the hub's business."""

    async def permit_with_link_key(
        self, node: t.EUI64, link_key: t.KeyData, time_s: int = 60
    ) -> None:
        """Do nothing: joining is the hub's business."""

    async def survey(self) -> dict[str, list[int]]:
        """Ask the HAN who serves Smart Energy metering now: {EUI64: endpoint ids}.

        The simulator knows its devices (see
        :meth:`HanSimulator.metering_endpoints`); a lost radio hears nobody.
        """
        self.simulator.catch_up()
        if self.simulator.faults.radio_lost:
            msg = "nobody answered on the HAN (simulated radio loss)"
            raise zigpy.exceptions.DeliveryError(msg)
        return self.simulator.metering_endpoints()

    async def send_packet(self, packet: t.ZigbeePacket) -> None:
        """Hand a frame to the simulated HAN."""
        faults = self.simulator.faults
        dst = packet.dst
        unicast = (
            dst is not None
            and dst.addr_mode in (t.AddrMode.NWK, t.AddrMode.IEEE)
            and not (
                dst.addr_mode == t.AddrMode.NWK
                and int(cast("int", dst.address)) >= 0xFFF8
            )
        )
        if faults.radio_lost and faults.radio_reports_loss and unicast:
            # Only a unicast is acknowledged: a broadcast is just lost
            msg = "no MAC ACK from the destination (simulated radio loss)"
            raise zigpy.exceptions.DeliveryError(msg)
        if unicast and int(packet.profile_id) == SE_PROFILE:
            # a registered CAD's radio encrypts every Smart Energy unicast
            packet = packet.replace(
                tx_options=packet.tx_options | t.TransmitOptions.APS_Encryption
            )
        self.simulator.transmit(packet)


_ZDO_ANSWERED: Final = frozenset(
    {
        zdo_t.ZDOCmd.Bind_req,
        zdo_t.ZDOCmd.Match_Desc_req,
        zdo_t.ZDOCmd.Simple_Desc_req,
        zdo_t.ZDOCmd.Node_Desc_req,
        zdo_t.ZDOCmd.IEEE_addr_req,
        zdo_t.ZDOCmd.Active_EP_req,
        zdo_t.ZDOCmd.Mgmt_Lqi_req,
    }
)


HUB_CERTIFICATE_FAULTS: Final = {
    # field: (offset, value) in a sect283k1 implicit certificate
    "type": (0, b"\x01"),
    "curve": (9, b"\x0c"),
    "hash": (10, b"\x07"),
    "issuer": (11, b"OTHERSCA"),
    "subject": (28, bytes(8)),
    "key_usage": (36, b"\x80"),
}
"""Ways a certificate fails the checks of Silicon Labs' key-establishment
plugin (key-establishment.c: type 0x00, curve 0x0D, hash 0x08, key usage bit
0x08, the initiator's own issuer, the partner's EUI64 as subject)."""


def _faulty_certificate(cert: bytes, fault: str) -> bytes:
    offset, value = HUB_CERTIFICATE_FAULTS[fault]
    return cert[:offset] + value + cert[offset + len(value) :]


def _needs_link_security(packet: t.ZigbeePacket) -> bool:
    """Whether a unicast must be APS-encrypted (util.c's list, Smart Energy profile)."""
    return (
        int(packet.profile_id) == SE_PROFILE
        and int(packet.cluster_id) in LINK_SECURED_CLUSTERS
    )


def _security_failure(packet: t.ZigbeePacket, data: bytes) -> list[Reply]:
    """Default Response FAILURE to an unencrypted SE request, sent unencrypted.

    util.c's ``emberAfProcessMessage``: the frame is not processed; a Default
    Response with status FAILURE goes back, except to a Default Response.
    """
    try:
        hdr, _ = foundation.ZCLHeader.deserialize(data)
    except ValueError:
        return []
    if hdr.frame_control.is_general and (
        hdr.command_id == foundation.GeneralCommand.Default_Response
    ):
        return []
    direction = (
        foundation.Direction.Server_to_Client
        if hdr.direction == foundation.Direction.Client_to_Server
        else foundation.Direction.Client_to_Server
    )
    frame_control = foundation.FrameControl.general(
        direction=direction, is_manufacturer_specific=False
    ).replace(disable_default_response=True)
    header = foundation.ZCLHeader(
        frame_control=frame_control,
        tsn=hdr.tsn,
        command_id=foundation.GeneralCommand.Default_Response,
    )
    body = foundation.DefaultResponse(
        command_id=hdr.command_id, status=foundation.Status.FAILURE
    )
    return [
        Reply(
            int(packet.dst_ep or 0),
            int(packet.cluster_id),
            bytes(header.serialize()) + body.serialize(),
            secured=False,
        )
    ]


def _zdo_types(cluster: int) -> list[Any]:
    """Return the field types of a ZDO request or response, in order."""
    _names, types = zdo_t.CLUSTERS[_zdo_t.ZDOCmd(cluster)]
    return list(types)


def _node_descriptor(*, end_device: bool) -> zdo_t.NodeDescriptor:
    if end_device:
        logical = zdo_t.LogicalType.EndDevice
        flags = zdo_t.NodeDescriptor.MACCapabilityFlags.AllocateAddress
    else:
        logical = zdo_t.LogicalType.Router
        flags = (
            zdo_t.NodeDescriptor.MACCapabilityFlags.FullFunctionDevice
            | zdo_t.NodeDescriptor.MACCapabilityFlags.MainsPowered
            | zdo_t.NodeDescriptor.MACCapabilityFlags.RxOnWhenIdle
            | zdo_t.NodeDescriptor.MACCapabilityFlags.AllocateAddress
        )
    descriptor: zdo_t.NodeDescriptor = _zdo_t.NodeDescriptor(
        logical_type=logical,
        complex_descriptor_available=0,
        user_descriptor_available=0,
        reserved=0,
        aps_flags=0,
        frequency_band=zdo_t.NodeDescriptor.FrequencyBand.Freq2400MHz,
        mac_capability_flags=flags,
        manufacturer_code=0x1002,
        maximum_buffer_size=82,
        maximum_incoming_transfer_size=128,
        server_mask=0,
        maximum_outgoing_transfer_size=128,
        descriptor_capability_field=zdo_t.NodeDescriptor.DescriptorCapability.NONE,
    )
    return descriptor


def _ieee(seed: int, role: str) -> str:
    digest = hashlib.sha256(f"{seed}:{role}".encode()).digest()[:8]
    return ":".join(f"{b:02x}" for b in digest)


def _octets(text: str) -> bytes:
    return text.encode("ascii")


class HanSimulator:
    """A seeded, in-memory GB smart-meter HAN that keeps its own time.

    ``clock`` is a :class:`SimClock` the caller advances (library tests, the
    benchmark: :meth:`advance`), or a time source to follow (Home Assistant's
    clock: any callable returning Unix seconds); the simulator then catches up
    with it by itself before it hears a frame, and answers at once.

    Parameters choose the installation: ``profile`` "smets2" (default) or
    "smets1" meter identities; ``tiers`` 1, 2 or 4 on the ESME's time-of-use
    tariff; ``prepayment`` for a Pay-As-You-Go electricity meter;
    ``gas_prepayment`` for a Pay-As-You-Go gas meter (the GPF mirror then
    carries the gas meter's Prepayment cluster: credit, emergency credit,
    debt, top-up by UTRN unless ``gas_utrn`` is False, for a gas meter that
    takes UTRNs only on its own keypad); ``gas_flow`` for a GPF that
    publishes the gas flow rate (InstantaneousDemand, m³/h: GBCS has the GSME
    push none, so real GB gas mirrors mostly do not); ``solar`` for midday
    export; ``gas=False`` for a home whose gas meter is not paired to the hub
    yet (:meth:`pair_gas` pairs it). ``frame_observer`` sees every frame
    crossing the radio.

    The HAN can change while it runs, as a real one does: :meth:`pair_gas`,
    :meth:`unpair_gas` and :meth:`meter_exchange` with ``new_eui64``.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        profile: Literal["smets2", "smets1"] = "smets2",
        tiers: int = 2,
        prepayment: bool = False,
        solar: bool = True,
        clock: SimClock | TimeSource | None = None,
        frame_observer: FrameObserver | None = None,
        gas: bool = True,
        gas_prepayment: bool = False,
        gas_utrn: bool = True,
        gas_flow: bool = False,
    ) -> None:
        """Build the HAN; nothing runs until :meth:`start`."""
        if profile not in IDENTITIES:
            msg = f"unknown meter profile {profile!r} (smets2 or smets1)"
            raise ValueError(msg)
        self.seed = seed
        self.profile = profile
        self._source: TimeSource | None = None
        if clock is None or isinstance(clock, SimClock):
            self.clock = clock if clock is not None else SimClock()
        else:
            # A time source of its own to follow (Home Assistant's clock): the
            # simulator catches up with it before it answers (catch_up()).
            self._source = clock
            self.clock = SimClock(clock())
        self.frame_observer = frame_observer
        self.faults = Faults()
        self.channel = 11 + seed % 16
        self.cad_ieee = t.EUI64.convert(_ieee(seed, "cad"))
        now = self.clock.time()
        self.tariff = Tariff(tiers=tiers)
        self.electricity = ElectricityMeter(seed, now, self.tariff, solar=solar)
        self.gas = GasMeter(seed, now)
        self.account = PrepaymentAccount(
            self.electricity,
            now,
            hashlib.sha256(f"{seed}:utrn".encode()).digest(),
            prepayment=prepayment,
        )
        self.gas_account = PrepaymentAccount(
            self.gas,
            now,
            hashlib.sha256(f"{seed}:gas-utrn".encode()).digest(),
            prepayment=gas_prepayment,
            accepts_utrn=gas_utrn,
        )
        """The gas meter's credit, mirrored by the GPF (prepayment mode only)."""
        self.gas_flow = gas_flow
        """Whether the GPF publishes the gas flow rate (InstantaneousDemand)."""
        self.past_prices: tuple[int, int, int] | None = None
        """A price change in the past, (when, numerator, denominator): before
        ``when`` (Unix seconds) every unit price was that fraction of today's.
        The meters' Historical Cost Consumption charges the past so; the Price
        cluster, like a real meter's, shows only the prices in force."""
        self.provider_name = "Simulated Energy"
        self.mpan = f"{1_900_000_000_000 + seed % 99_999_999_999:013d}"
        self.mprn = f"{7_000_000_000 + seed % 999_999_999:010d}"
        self.app: PacketSink | None = None
        """Where frames to the CAD go: the zigpy application or the emulated NCP."""
        # --- joining (see join(), register_device()) ---
        self.install_codes: dict[t.EUI64, bytes] = {}
        """Install codes (without CRC) the supplier registered, by device EUI64."""
        self.join_window_open = False
        """Whether the hub admits a registered device (the supplier's join period)."""
        self.in_range = True
        """Whether the hub's network can be heard at all (False: a scan finds nothing)."""
        self.joined: dict[t.EUI64, int] = {}
        """Devices the hub admitted, with the NWK address it gave them."""
        self.cbke_mode: str = "required"
        """One of :data:`CBKE_MODES`."""
        self.cbke_terminate: tuple[str, int] | None = None
        """(step, status): the hub answers that step ("initiate", "ephemeral" or
        "confirm") with Terminate Key Establishment carrying ``status``."""
        self.cbke_completed: set[t.EUI64] = set()
        """Devices that completed CBKE with the hub (they share a link key)."""
        self.router_capacity: int | None = None
        """How many more routers the hub admits (None: no limit); a device asking
        to join as a router beyond it is refused (the NCP reports JOIN_FAILED)."""
        self.cbke_times: tuple[int, int] = (10, 10)
        """What the hub advertises in its Initiate Key Establishment Response:
        (ephemeral data generate time, confirm key generate time), seconds."""
        self.cbke_delays: dict[str, float] = {}
        """Real seconds the hub takes to answer a CBKE step ("ephemeral", "confirm")."""
        self.cbke_corrupt: str | None = None
        """"ephemeral": the hub answers a 36-byte ephemeral key; "confirm": a
        wrong SMAC in its Confirm Key Data Response."""
        self.cbke_terminations: list[int] = []
        """Status codes of the Terminate Key Establishment commands devices sent."""
        self.consumer_top_up = True
        """Whether the meters take a ConsumerTopUp from the CAD (False: a meter
        that leaves top-up over the HAN to its PPMID answers Default Response
        :attr:`top_up_refusal`)."""
        self.top_up_refusal = foundation.Status.UNSUP_CLUSTER_COMMAND
        """The status of that Default Response. Silicon Labs' prepayment server
        answers a ConsumerTopUp its application refuses with UNSUP_COMMAND
        (gecko_sdk plugin/prepayment-server/prepayment-topup.c returns false,
        prepayment-server.c turns that into UNSUP_COMMAND); NOT_AUTHORIZED is
        what another stack might say (no public source)."""
        self.hub_certificate_fault: str | None = None
        """The hub presents a certificate the initiator must refuse: "issuer"
        (another CA's, e.g. a test certificate), "subject" (another device's),
        "key_usage" (not for key agreement), "curve", "hash" or "type"."""
        self.cbke_hiccups: list[tuple[str, int, int]] = []
        """(step, status, wait time): the hub terminates that step once each, with
        that status and Wait Time (seconds), as a busy responder does."""
        self.cbke_wait_time = 10
        """The Wait Time (seconds) the hub puts in its Terminate Key Establishment;
        it terminates any Initiate that comes sooner after it (No Resources)."""
        self.cbke_careless_tsn = True
        """The hub answers key establishment with its own sequence numbers, not
        the request's (real devices do); its Terminate always has its own."""
        self.cbke_sent: list[tuple[str, int]] = []
        """(command, ZCL sequence number) of every key establishment frame the hub sent."""
        self.event_log_busy = 0
        """GetEventLog requests to answer FAILURE, as a server still publishing
        another client's log does (events-server.c)."""
        self.price_request_options: list[int] = []
        """The Command Options of each GetCurrentPrice the ESME got (bit 0: the
        requester's receiver is on when idle, SE 1.x D.4.2.3.1.1)."""
        self.cbke_default_responses: list[tuple[int, int, int]] = []
        """(ZCL sequence number, command id, status) of each Default Response the
        hub received on Key Establishment."""
        self.link_key_silent = False
        """The trust centre sends no application link key when asked (a request
        it buffers for the partner's, which never comes: security.h
        emberRequestLinkKey, EMBER_REQUEST_KEY_TIMEOUT)."""
        self.cbke_hub_terminations: list[int] = []
        """Status codes of the Terminate Key Establishment commands the hub sent."""
        self._ke_backoff_until = 0.0
        self.ke_clock: Callable[[], float] | None = None
        """The hub's clock for Wait Times (seconds); None: the event loop's."""
        self.broadcast_misses: dict[str, int] = {}
        """Device name -> how many broadcasts it misses (does not hear, or its
        answer is lost): broadcasts are not acknowledged."""
        self.zdo_answer_misses: dict[str, int] = {}
        """ZDO request name -> how many of its unicast answers are lost (the
        answer is a frame of its own, which a busy network may drop: Silicon
        Labs' joining device retries each step, smart-energy-registration.c)."""
        self.end_device_cad = False
        """Whether the CAD joined as an end device (then it is the hub's child)."""
        self._reply_delay = 0.0
        self.problems: list[str] = []
        """Protocol errors the hub saw (key establishment out of order, bad sizes)."""
        self.zdo_requests: list[str] = []
        """ZDO requests received, by name, in order."""
        self.requests = 0
        """ZCL frames the application sent to the meters."""
        self.gsme_wakeups = 0
        """Frames addressed to the (sleeping) GSME: the library must send none."""
        self.messages: list[tuple[int, str]] = []
        self.events: dict[int, list[tuple[int, int, int]]] = {}
        self._message_id = 1000
        self._aps = dict.fromkeys((CAD_NWK, HUB_NWK, ESME_NWK, GSME_NWK), 0)
        self._schedule: list[tuple[int, int, Callable[[int], None]]] = []
        self._order = itertools.count()
        self._outbox: list[tuple[EmulatedDevice, Reply]] = []
        self._reporting: dict[tuple[int, int, int], tuple[list[int], int, int]] = {}
        self._credit_seen: dict[Fuel, int] = {
            "electricity": self.account.status(now),
            "gas": self.gas_account.status(now),
        }
        self._ke: dict[str, dict[str, bytes]] = {}
        self._ke_counter = 0
        # --- APS security, partner link keys and bindings (see transmit()) ---
        self.link_keys: dict[str, set[t.EUI64]] = {}
        """Device name -> EUI64s it shares an APS link key with: the hub (trust
        centre) one with every device it admitted, a meter one per partner
        link key the trust centre gave it."""
        self.partner_key_slots = PARTNER_KEY_SLOTS
        """Partner link keys a meter (not the hub) has room for."""
        self.ke_bindings: dict[str, set[t.EUI64]] = {}
        """Device name -> EUI64s whose Bind_req on Key Establishment it accepted
        (it agreed to a partner link key with them and keeps a slot for it)."""
        self.bindings: set[tuple[str, int, int]] = set()
        """(device name, endpoint, cluster) the CAD bound to itself: where pushes go."""
        self.bind_refused: set[str] = set()
        """Names of devices that answer every Bind_req but Key Establishment's
        with NOT_SUPPORTED (a meter that keeps no binding table for consumers)."""
        self.unsecured_requests: list[tuple[str, int]] = []
        """(device name, cluster) of each SE unicast that arrived without APS
        encryption and was answered with Default Response FAILURE."""
        self.undecryptable: list[tuple[str, int]] = []
        """(device name, cluster) of encrypted frames a device had no key for (dropped)."""
        self.unbound_pushes: list[tuple[str, int]] = []
        """(device name, cluster) of pushes and attribute reports not sent: the
        CAD had not bound the cluster."""
        self.unencrypted_pushes = False
        """Fault: pushes go out without APS encryption (a careless or hostile sender)."""
        self.link_key_requests: list[tuple[t.EUI64, t.EUI64, bool]] = []
        """(requester, partner, granted) of each application link key request."""
        identities = IDENTITIES[profile]
        self.hub = self._build_hub(identities["hub"])
        self.esme = self._build_esme(identities["esme"])
        self.gsme = self._build_gsme(identities["gsme"])
        self._gpf = self.hub.endpoints[GPF_ENDPOINT]
        self.gpf_since: int | None = None
        """The first half hour (interval index) the GPF's profile holds when the
        gas meter paired after the hub came up (:meth:`pair_gas`); None: all."""
        self._exchanges: dict[str, int] = {}
        self.devices: tuple[EmulatedDevice, ...] = (self.hub, self.esme, self.gsme)
        if not gas:
            del self.hub.endpoints[GPF_ENDPOINT]
            self.devices = (self.hub, self.esme)
        self._by_nwk = {device.nwk: device for device in self.devices}
        self.clock.on_advance(self._on_advance)
        self._schedule_gas(now)

    @property
    def gas_price(self) -> int:
        """The gas unit price (money units per kWh) the GPF publishes."""
        return self.gas.unit_price

    @property
    def gas_standing_charge(self) -> int:
        """The gas standing charge (money units a day) the GPF publishes."""
        return self.gas.standing_charge

    def prepayment_account(self, fuel: Fuel = "electricity") -> PrepaymentAccount:
        """Return the electricity meter's or the gas meter's prepayment account."""
        return self.account if fuel == "electricity" else self.gas_account

    # --- lifecycle -----------------------------------------------------------------

    def zigpy_config(self) -> dict[str, Any]:
        """Return the zigpy configuration of the simulated radio: in memory, nothing else."""
        return {
            zconf.CONF_DEVICE: {zconf.CONF_DEVICE_PATH: "simulator://han"},
            zconf.CONF_DATABASE: None,
            zconf.CONF_NWK_BACKUP_ENABLED: False,
            zconf.CONF_TOPO_SCAN_ENABLED: False,
            zconf.CONF_WATCHDOG_ENABLED: False,
            zconf.CONF_OTA: {zconf.CONF_OTA_ENABLED: False},
            CONF_SIMULATOR: self,
        }

    async def start(self) -> SimulatedApplication:
        """Start a :class:`SimulatedApplication` on this HAN and return it."""
        app = await SimulatedApplication.new(self.zigpy_config(), start_radio=True)
        assert isinstance(app, SimulatedApplication)
        return app

    def attach(self, app: PacketSink) -> None:
        """Remember the application (it calls this when it connects)."""
        self.app = app

    def detach(self, app: PacketSink) -> None:
        """Forget the application (it calls this when it disconnects)."""
        if self.app is app:
            self.app = None

    def populate(self, app: SimulatedApplication, device: EmulatedDevice) -> None:
        """Create the zigpy device for an emulated one, as an interview would."""
        zdev = zigpy.device.Device(app, device.ieee, _t.NWK(device.nwk))
        app.devices[device.ieee] = zdev
        zdev.node_desc = _node_descriptor(end_device=device.end_device)
        zdev.manufacturer = device.manufacturer
        zdev.model = device.model
        for sim_ep in device.endpoints.values():
            endpoint = zdev.add_endpoint(sim_ep.endpoint_id)
            endpoint.profile_id = sim_ep.profile_id
            endpoint.device_type = cast("Any", sim_ep.device_type)
            for cluster_id in sim_ep.clusters:
                endpoint.add_input_cluster(cluster_id)
            for cluster_id in sim_ep.out_clusters:
                endpoint.add_output_cluster(cluster_id)
            endpoint.status = zigpy.endpoint.Status.ZDO_INIT

    # --- time ----------------------------------------------------------------------

    def time(self) -> int:
        """Now on the HAN, in Unix seconds (where a catch-up would bring the clock)."""
        if self._source is None:
            return self.clock.time()
        return max(self.clock.time(), int(self._source()))

    def catch_up(self) -> None:
        """Bring the HAN up to its time source: run what fell due, send reports.

        Called before the HAN hears a frame (:meth:`transmit`, a survey), so an
        answer is always given at the source's time and nobody above the radio
        moves the simulator. Without a time source (a :class:`SimClock` the
        caller advances) there is nothing to catch up.
        """
        if self._source is None:
            return
        behind = int(self._source()) - self.clock.time()
        if behind >= 1:
            self.clock.advance(behind)

    def _past_cost(self, meter: Chargeable, start: int, end: int) -> int:
        """Money units ``[start, end)`` cost, at the prices then (:attr:`past_prices`)."""
        if self.past_prices is None:
            return consumption_cost(meter, start, end)
        when, numerator, denominator = self.past_prices
        before = consumption_cost(meter, start, min(end, when))
        return before * numerator // denominator + consumption_cost(
            meter, max(start, when), end
        )

    async def advance(self, seconds: float) -> None:
        """Move simulated time on and deliver what the meters sent meanwhile."""
        self.clock.advance(seconds)
        await self.settle()

    async def settle(self) -> None:
        """Let queued frames reach the application (a few loop turns)."""
        for _ in range(4):
            await asyncio.sleep(0)

    def schedule(self, when: int, action: Callable[[int], None]) -> None:
        """Run ``action(now)`` when simulated time reaches ``when`` (Unix seconds)."""
        heapq.heappush(self._schedule, (when, next(self._order), action))

    def _on_advance(self, old: int, new: int) -> None:
        while self._schedule and self._schedule[0][0] <= new:
            when, _, action = heapq.heappop(self._schedule)
            action(when)
        if new > old:
            self._forget_duplicates()
        self._check_credit(new)
        self._send_reports(old, new)
        self._flush()

    def _forget_duplicates(self) -> None:
        # zigpy drops a frame identical to one received in the last 10 REAL
        # seconds (a mesh retransmission). Simulated time runs far faster: the
        # same answer (same ZCL TSN, unchanged values, e.g. an idle tier's
        # register) comes back 256 requests later, well within 10 real seconds,
        # and would be lost. The simulator never repeats a frame, so a frame in
        # a later simulated second is never a duplicate: forget the window.
        if self.app is None:
            return
        devices: dict[Any, Any] = getattr(self.app, "devices", {})
        for device in devices.values():
            debouncer = getattr(device, "_packet_debouncer", None)
            if debouncer is not None:
                debouncer.clean(math.inf)

    def _schedule_gas(self, now: int) -> None:
        # The GPF's mirror moves when a half hour completes; report it then
        nxt = now - now % HALF_HOUR + HALF_HOUR

        def update(when: int) -> None:
            self._queue_report(self.hub, GPF_ENDPOINT, zse.Metering.cluster_id, when)
            self.schedule(when + HALF_HOUR, update)

        self.schedule(nxt, update)

    # --- reporting -------------------------------------------------------------------

    def _queue_report(
        self, device: EmulatedDevice, ep: int, cluster_id: int, now: int
    ) -> None:
        config = self._reporting.get((device.nwk, ep, cluster_id))
        if config is None or ep not in device.endpoints:
            return
        reply = device.report_frame(ep, cluster_id, config[0], now)
        if reply is not None:
            self._push(device, reply)

    def configure_reports(
        self,
        device: EmulatedDevice,
        ep: int,
        cluster_id: int,
        attr_ids: list[int],
        interval: int,
    ) -> None:
        """Make ``device`` report ``attr_ids`` every ``interval`` simulated seconds.

        As a meter's reporting table holds it (set by a client's Configure
        Reporting, :meth:`_configure_reporting`, or by whoever installed the
        meter). The reports go to the bound clients only (:meth:`_push`).
        """
        self._reporting[(device.nwk, ep, cluster_id)] = (
            list(attr_ids),
            interval,
            self.clock.time(),
        )

    def _configure_reporting(
        self, device: EmulatedDevice, ep: int, cluster_id: int, data: bytes
    ) -> None:
        """Keep what a client's Configure Reporting asked for in the reporting table.

        Silicon Labs' reporting plugin (gecko_sdk
        ``app/framework/plugin/reporting/reporting.c``,
        ``emberAfConfigureReportingCommandCallback``) adds a table entry per
        reported attribute and answers SUCCESS whoever asked; the reports are
        then sent with ``emberAfSendCommandUnicastToBindings``
        (``conditionallySendReport``): to the binding table, not to the client
        that configured them. Here one rhythm per cluster: the records' shortest
        maximum interval (0 or 0xFFFF: no periodic report).
        """
        # ZCL 2.4.1.1: a global frame (frame type 0) without a manufacturer
        # code is frame control, sequence number, command id. Most frames are
        # not this one: look at those bytes before zigpy parses the header.
        if len(data) < 3 or data[0] & 0x07 or data[2] != 0x06:
            return
        try:
            hdr, rest = foundation.ZCLHeader.deserialize(data)
        except ValueError:
            return
        if (
            hdr.frame_control.frame_type != foundation.FrameType.GLOBAL_COMMAND
            or hdr.frame_control.is_manufacturer_specific
            or hdr.command_id != foundation.GeneralCommand.Configure_Reporting
        ):
            return
        attrs: list[int] = []
        intervals: list[int] = []
        while rest:
            try:
                record, rest = foundation.AttributeReportingConfig.deserialize(rest)
            except ValueError, KeyError:
                return
            if record.direction != foundation.ReportingDirection.SendReports:
                continue
            attrs.append(int(record.attrid))
            if int(record.max_interval) not in {0, 0xFFFF}:
                intervals.append(int(record.max_interval))
        if not attrs:
            return
        known, _, _ = self._reporting.get((device.nwk, ep, cluster_id), ([], 0, 0))
        self.configure_reports(
            device,
            ep,
            cluster_id,
            [*known, *(a for a in attrs if a not in known)],
            min(intervals, default=0),
        )

    def _send_reports(self, old: int, new: int) -> None:
        for (nwk, ep, cluster_id), (attrs, interval, since) in list(
            self._reporting.items()
        ):
            if interval <= 0 or new - since < interval:
                continue
            if (
                nwk == HUB_NWK
                and ep == GPF_ENDPOINT
                and cluster_id == zse.Metering.cluster_id
            ):
                continue  # the GPF reports on its own half-hourly rhythm
            device = self._by_nwk.get(nwk)
            if device is None or ep not in device.endpoints:
                continue  # not on the HAN now (a gas meter not paired)
            # Coalesce: a long advance sends one report with the latest values
            self._reporting[(nwk, ep, cluster_id)] = (attrs, interval, new)
            reply = device.report_frame(ep, cluster_id, attrs, new)
            if reply is not None:
                self._push(device, reply)

    # --- on-demand and scheduled pushes ------------------------------------------------

    def push_alert(
        self,
        code: int,
        *,
        fuel: AlertSource = "electricity",
        when: int | None = None,
    ) -> None:
        """Queue a PublishEvent carrying a GBCS alert code.

        ``fuel`` says who raises it: the ESME ("electricity"), the hub's GPF
        gas mirror ("gas") or the hub itself ("hub").
        """
        now = self.clock.time() if when is None else when
        device, ep = {
            "electricity": (self.esme, ESME_ENDPOINT),
            "gas": (self.hub, GPF_ENDPOINT),
            "hub": (self.hub, HUB_ENDPOINT),
        }[fuel]
        log = self.events.setdefault(device.nwk, [])
        log.insert(0, (now, code, 0x06))
        del log[20:]
        self._push(
            device,
            device.command_frame(
                ep,
                c.Events,
                "publish_event",
                log_id=c.EventLogId.GBCS_General_Event_Log,
                event_id=code,
                event_time=zcl_time(now),
                event_control=0,
                event_data=b"",
            ),
        )

    def push_message(
        self,
        text: str,
        *,
        minutes: int = 1440,
        confirm: bool = False,
        when: int | None = None,
    ) -> int:
        """Queue a DisplayMessage from the supplier; return its message id."""
        now = self.clock.time() if when is None else when
        self._message_id += 1
        self.messages.insert(0, (self._message_id, text))
        control = 0x80 if confirm else 0x00
        self._push(
            self.esme,
            self.esme.command_frame(
                ESME_ENDPOINT,
                c.Messaging,
                "display_message",
                message_id=self._message_id,
                message_control=control,
                start_time=zcl_time(now),
                duration_in_minutes=minutes,
                message=text,
                extended_message_control=0,
            ),
        )
        return self._message_id

    def push_price(self, fuel: Fuel = "electricity") -> None:
        """Queue a PublishPrice for the tier in force (the gas meter's from the GPF)."""
        now = self.clock.time()
        if fuel == "gas":
            self._push(self.hub, self._publish_gas_price(now))
        else:
            self._push(self.esme, self._publish_price(now, None))

    def push_prepay_snapshot(self, fuel: Fuel = "electricity") -> None:
        """Queue a PublishPrepaySnapshot (debt/credit status payload)."""
        device = self.esme if fuel == "electricity" else self.hub
        self._push(device, self._prepay_snapshot(self.clock.time(), None, fuel))

    def _push(self, device: EmulatedDevice, reply: Reply) -> None:
        """Queue an unsolicited frame: only to a client that bound the cluster.

        A Smart Energy server sends its unsolicited commands to the clients in
        its binding table (smart-energy-registration.c binds "to inform the ESI
        that we want unsolicited updates"), and its attribute reports too
        (reporting.c sends them to the bindings); a client that did not bind
        gets nothing and must poll. The log the frame comes from keeps it.
        """
        key = (device.name, reply.src_ep, reply.cluster_id)
        if key not in self.bindings:
            self.unbound_pushes.append((device.name, reply.cluster_id))
            return
        self._outbox.append((device, reply))

    async def send_alert(self, code: int, *, fuel: AlertSource = "electricity") -> None:
        """Send an alert now and let it arrive."""
        self.push_alert(code, fuel=fuel)
        self._flush()
        await self.settle()

    async def send_message(
        self, text: str, *, minutes: int = 1440, confirm: bool = False
    ) -> int:
        """Send a supplier message now and let it arrive."""
        message_id = self.push_message(text, minutes=minutes, confirm=confirm)
        self._flush()
        await self.settle()
        return message_id

    async def send_price(self, fuel: Fuel = "electricity") -> None:
        """Publish the current price of ``fuel`` now."""
        self.push_price(fuel)
        self._flush()
        await self.settle()

    async def send_prepay_snapshot(self, fuel: Fuel = "electricity") -> None:
        """Publish a prepayment snapshot now."""
        self.push_prepay_snapshot(fuel)
        self._flush()
        await self.settle()

    def schedule_alert(
        self,
        after: int,
        code: int,
        *,
        fuel: AlertSource = "electricity",
    ) -> None:
        """Send an alert ``after`` simulated seconds from now."""
        self.schedule(
            self.clock.time() + after,
            lambda when: self.push_alert(code, fuel=fuel, when=when),
        )

    def schedule_message(self, after: int, text: str) -> None:
        """Send a supplier message ``after`` simulated seconds from now."""

        def send(when: int) -> None:
            self.push_message(text, when=when)

        self.schedule(self.clock.time() + after, send)

    def _check_credit(self, now: int) -> None:
        # Low credit, emergency credit available, exhausted: each meter raises
        # the GBCS alert when its credit status gains the bit.
        for fuel in ("electricity", "gas"):
            account = self.prepayment_account(fuel)
            if not account.prepayment:
                continue
            status = account.status(now)
            became = status & ~self._credit_seen[fuel]
            self._credit_seen[fuel] = status
            for bit, code in ((0x02, 0x810D), (0x08, 0x8119), (0x40, 0x81AA)):
                if became & bit:
                    self.push_alert(code, fuel=fuel, when=now)

    # --- faults -----------------------------------------------------------------------

    def radio_loss(self, *, reported: bool = False) -> None:
        """Lose the radio link: every frame is dropped until :meth:`radio_return`.

        With ``reported`` the radio notices (as a real one does when the
        destination stops acknowledging) and every send fails at once.
        """
        self.faults.radio_lost = True
        self.faults.radio_reports_loss = reported

    def radio_return(self) -> None:
        """Restore the radio link."""
        self.faults.radio_lost = False

    def drop_requests(self, count: int = 1) -> None:
        """Swallow the next ``count`` requests (they time out)."""
        self.faults.drop_requests += count

    def malform_responses(self, count: int = 1) -> None:
        """Truncate the next ``count`` responses so they cannot be parsed."""
        self.faults.malformed_responses += count

    def set_sentinel(self, cluster_id: int, attr_id: int, *, on: bool = True) -> None:
        """Answer an attribute with its invalid pattern (all ones) on every meter."""
        for device in self.devices:
            if on:
                device.sentinels.add((cluster_id, attr_id))
            else:
                device.sentinels.discard((cluster_id, attr_id))

    def meter_exchange(
        self,
        fuel: Literal["electricity", "gas"] = "electricity",
        *,
        new_eui64: bool = False,
        announce: bool = True,
    ) -> None:
        """Replace a meter: its registers restart from zero and its history is gone.

        With ``new_eui64`` the new meter is another device, as a real exchange
        is: the ESME (or the GSME behind the GPF) gets a new EUI64 (derived
        from the seed and the number of exchanges, so it is deterministic) on
        the same network address, and with ``announce`` the hub raises
        :data:`DEVICE_JOINED_ALERT` for it. Without ``new_eui64`` only the
        registers restart (the same device, reset).
        """
        now = self.clock.time()
        if new_eui64:
            device = self.esme if fuel == "electricity" else self.gsme
            count = self._exchanges[device.name] = (
                self._exchanges.get(device.name, 0) + 1
            )
            device.ieee = t.EUI64.convert(
                _ieee(self.seed, f"{device.name}-exchange-{count}")
            )
            if announce:
                self.push_alert(DEVICE_JOINED_ALERT, fuel="hub", when=now)
        if fuel == "electricity":
            self.electricity.exchange(now)
            self.account = PrepaymentAccount(
                self.electricity,
                now,
                self.account.utrns.key,
                prepayment=self.account.prepayment,
            )
        else:
            self.gas.exchange(now)
            self.gas_account = PrepaymentAccount(
                self.gas,
                now,
                self.gas_account.utrns.key,
                prepayment=self.gas_account.prepayment,
                accepts_utrn=self.gas_account.accepts_utrn,
            )

    @property
    def gas_paired(self) -> bool:
        """Whether the gas meter is paired to the hub (its GPF mirror is up)."""
        return self.gsme in self.devices

    def pair_gas(self, *, announce: bool = True) -> None:
        """Pair the gas meter with the hub: the GSME joins and the GPF mirrors it.

        A gas meter already in service: its register comes with it, but the
        GPF's profile holds only the half hours that start once it paired (as
        a real GPF's: it logs what the GSME sends it; the GSME's own 13 months
        stay in the sleeping GSME). With ``announce`` the hub raises
        :data:`DEVICE_JOINED_ALERT`, delivered with the next frames (an
        :meth:`advance`).
        """
        if self.gas_paired:
            return
        self.gpf_since = -(-self.clock.time() // HALF_HOUR)
        self.hub.add(self._gpf)
        self.devices = (*self.devices, self.gsme)
        self._by_nwk[self.gsme.nwk] = self.gsme
        if announce:
            self.push_alert(DEVICE_JOINED_ALERT, fuel="hub")

    def unpair_gas(self) -> None:
        """Take the gas meter off the HAN: the GSME leaves and the GPF mirror goes."""
        if not self.gas_paired:
            return
        self.hub.endpoints.pop(GPF_ENDPOINT, None)
        self.devices = tuple(d for d in self.devices if d is not self.gsme)
        self._by_nwk.pop(self.gsme.nwk, None)

    def metering_endpoints(self) -> dict[str, list[int]]:
        """Every Smart Energy Metering endpoint on the HAN now: {EUI64: endpoint ids}.

        What a ZDO Match_Desc for the Metering cluster finds (the hub answers
        for its sleeping GSME), read from the devices themselves.
        """
        found: dict[str, list[int]] = {}
        for device in self.devices:
            endpoints = [
                ep.endpoint_id
                for ep in device.endpoints.values()
                if ep.profile_id == SE_PROFILE
                and zse.Metering.cluster_id in ep.clusters
            ]
            if endpoints:
                found[str(device.ieee)] = sorted(endpoints)
        return found

    def issue_utrn(self, amount_pence: int, fuel: Fuel = "electricity") -> str:
        """Return a valid UTRN for this ESME (or the gas meter) worth ``amount_pence``."""
        return self.prepayment_account(fuel).utrns.issue(amount_pence)

    # --- joining (the hub as trust centre) -----------------------------------------------

    @property
    def extended_pan_id(self) -> t.EUI64:
        """The network's extended PAN id: on a GB HAN, the Comms Hub's IEEE address."""
        return self.hub.ieee

    def register_device(
        self, eui64: str | t.EUI64, install_code: bytes, *, open_window: bool = True
    ) -> None:
        """Do what service request 8.11 (UpdateHANDeviceLog, Add) does on the hub.

        ``install_code`` is the code without its CRC (6, 8, 12 or 16 bytes); the
        hub admits the device with the link key hashed from it while the join
        window is open (``open_window`` opens it now).
        """
        if len(install_code) not in (6, 8, 12, 16):
            msg = f"an install code has 6, 8, 12 or 16 bytes, not {len(install_code)}"
            raise ValueError(msg)
        self.install_codes[t.EUI64.convert(str(eui64))] = bytes(install_code)
        if open_window:
            self.join_window_open = True

    def join(
        self, eui64: t.EUI64, link_key: bytes, *, router: bool = True
    ) -> JoinOutcome:
        """Decide whether a device asking to join with ``link_key`` is admitted.

        It must be in range, the join window open, room for it as a router
        when it asks to be one (:attr:`router_capacity`), and the key the
        AES-MMO hash of the install code registered for that EUI64; then it
        gets :data:`CAD_NWK` and the hub stops admitting (a join period admits
        one device).
        """
        if not self.in_range:
            return "out_of_range"
        if not self.join_window_open:
            return "window_closed"
        capacity = self.router_capacity
        if router and capacity is not None and capacity <= 0:
            return "no_router_capacity"
        code = self.install_codes.get(eui64)
        if code is None or cbke.install_code_key(code) != bytes(link_key):
            return "refused"
        if router and capacity is not None:
            self.router_capacity = capacity - 1
        self.end_device_cad = not router
        # One join per registration: the supplier's entry is spent (GBCS
        # UpdateHANDeviceLog); the device may rejoin, a new join needs a new entry
        del self.install_codes[eui64]
        self.joined[eui64] = CAD_NWK
        self.cad_ieee = eui64
        self.join_window_open = False
        # The trust centre link key (the install code's, replaced by CBKE's)
        self.link_keys.setdefault(self.hub.name, set()).add(eui64)
        return "joined"

    def rejoin(self, eui64: t.EUI64) -> bool:
        """Say whether a device that joined before may come back (after a restart)."""
        if not self.in_range or eui64 not in self.joined:
            return False
        self.cad_ieee = eui64
        return True

    def leave(self, eui64: t.EUI64) -> None:
        """Forget a device that left the network (its keys and bindings)."""
        self.joined.pop(eui64, None)
        self.cbke_completed.discard(eui64)
        for keys in (*self.link_keys.values(), *self.ke_bindings.values()):
            keys.discard(eui64)
        if eui64 == self.cad_ieee:
            self.bindings.clear()

    def register_simulated_cad(self) -> None:
        """Give the CAD what a completed Smart Energy registration leaves behind.

        A link key with the hub and a partner link key with every meter, every
        pushed cluster bound: :class:`SimulatedApplication` stands for a radio
        that did all that (the radio path, :mod:`.ncp`, has to do it over the
        air, CBKE included; the hub's own record of CBKE is left alone).
        """
        cad = self.cad_ieee
        for device in self.devices:
            self.link_keys.setdefault(device.name, set()).add(cad)
            for ep in device.endpoints.values():
                for cluster_id in PUSHED_CLUSTERS & set(ep.clusters):
                    self.bindings.add((device.name, ep.endpoint_id, cluster_id))
        # A GPF mirror paired later is bound too (its endpoint is on the hub)
        for cluster_id in PUSHED_CLUSTERS & set(self._gpf.clusters):
            self.bindings.add((self.hub.name, GPF_ENDPOINT, cluster_id))

    def shares_key(self, device: EmulatedDevice) -> bool:
        """Whether ``device`` and the CAD share an APS link key."""
        return self.cad_ieee in self.link_keys.get(device.name, set())

    def request_link_key(self, requester: t.EUI64, partner: t.EUI64) -> bool:
        """Answer an APS Request Key for an application link key, as the trust centre.

        It sends the key (to both) only to a requester that completed CBKE with
        it (partner-link-key-exchange.c: an authorized trust centre link key
        first), for a partner on the network that agreed to it by accepting the
        requester's Bind_req on Key Establishment. Otherwise it sends nothing
        and the requester's stack times out.
        """
        device = next((d for d in self.devices if d.ieee == partner), None)
        granted = (
            not self.link_key_silent
            and requester in self.cbke_completed
            and device is not None
            and device is not self.hub
            and not device.end_device
            and requester in self.ke_bindings.get(device.name, set())
        )
        self.link_key_requests.append((requester, partner, granted))
        if granted and device is not None:
            self.link_keys.setdefault(device.name, set()).add(requester)
        return granted

    def ieee_of(self, nwk: int) -> t.EUI64 | None:
        """Return the EUI64 at ``nwk`` (what the radio's address table learns)."""
        device = self._by_nwk.get(nwk)
        return None if device is None else device.ieee

    # --- the radio ---------------------------------------------------------------------

    def _observe(  # noqa: PLR0917 - the fields of a frame
        self,
        src: int,
        dst: int,
        src_ep: int,
        dst_ep: int,
        profile: int,
        cluster: int,
        data: bytes,
    ) -> None:
        counter = self._aps.get(src, 0)
        self._aps[src] = (counter + 1) & 0xFF
        if self.frame_observer is not None:
            self.frame_observer(
                RadioFrame(
                    float(self.clock.time()),
                    src,
                    dst,
                    src_ep,
                    dst_ep,
                    profile,
                    cluster,
                    counter,
                    data,
                )
            )

    def transmit(self, packet: t.ZigbeePacket) -> None:
        """Deliver a frame from the application to the emulated device."""
        self.catch_up()
        dst = packet.dst
        if packet.dst_ep == 0 and packet.profile_id == 0:
            self._zdo(packet)
            return
        if dst is None or dst.addr_mode != t.AddrMode.NWK:
            return  # broadcasts: nothing for the meters to answer
        data = packet.data.serialize()
        self._observe(
            CAD_NWK,
            int(cast("int", dst.address)),
            int(packet.src_ep or 0),
            int(packet.dst_ep or 0),
            int(packet.profile_id),
            int(packet.cluster_id),
            data,
        )
        device = self._by_nwk.get(int(cast("int", dst.address)))
        if device is None:
            return
        self.requests += 1
        if device is self.gsme:
            self.gsme_wakeups += 1
            return  # asleep: a GSME answers nobody but its GPF
        if self.faults.radio_lost:
            return
        if self.faults.drop_requests > 0:
            self.faults.drop_requests -= 1
            return
        encrypted = bool(packet.tx_options & t.TransmitOptions.APS_Encryption)
        if encrypted and not self.shares_key(device):
            # APS decryption fails: the frame is dropped, nobody is told
            self.undecryptable.append((device.name, int(packet.cluster_id)))
            return
        if not encrypted and _needs_link_security(packet):
            self.unsecured_requests.append((device.name, int(packet.cluster_id)))
            self._outbox.extend(
                (device, reply) for reply in _security_failure(packet, data)
            )
            self._flush()
            return
        if (
            device is self.hub
            and int(packet.cluster_id) == c.KeyEstablishment.cluster_id
            and len(data) >= 5
            and data[0] & 0x0B == 0x00  # general command, client to server
            and data[2] == foundation.GeneralCommand.Default_Response
        ):
            # The reference initiator ends a key establishment that stored the
            # link key with Default Response SUCCESS to the Confirm Key Data
            # Response (key-establishment.c cleanupAndStopWithDelay)
            self.cbke_default_responses.append((data[1], data[3], data[4]))
        now = self.clock.time()
        try:
            replies = device.handle(
                int(packet.dst_ep or 0), int(packet.cluster_id), data, now
            )
        except ValueError:
            _LOGGER.debug("Unparseable frame to %s: %s", device.name, data.hex())
            return
        self._configure_reporting(
            device, int(packet.dst_ep or 0), int(packet.cluster_id), data
        )
        self._outbox.extend((device, reply) for reply in replies)
        self._flush()

    # --- ZDO: what the devices (and the hub for its sleeping GSME) answer ---------------

    def _zdo(self, packet: t.ZigbeePacket) -> None:
        cluster = int(packet.cluster_id)
        data = packet.data.serialize()
        try:
            command = _zdo_t.ZDOCmd(cluster)
        except ValueError:
            return
        if command not in _ZDO_ANSWERED or not data:
            return  # e.g. Mgmt_Permit_Joining: the hub decides joining itself
        dst = packet.dst
        broadcast = (
            dst is None
            or dst.addr_mode != t.AddrMode.NWK
            or int(cast("int", dst.address)) >= 0xFFF8
        )
        dst_nwk = 0xFFFD if broadcast else int(cast("int", cast("Any", dst).address))
        self.zdo_requests.append(command.name)
        self._observe(CAD_NWK, dst_nwk, 0, 0, 0, cluster, data)
        if self.faults.radio_lost:
            return
        try:
            args, _ = _t.deserialize(data[1:], _zdo_types(cluster))
        except ValueError, KeyError:
            _LOGGER.debug("Unparseable ZDO %s: %s", command.name, data.hex())
            return
        if broadcast:
            # A broadcast to rx-on-when-idle devices: each router answers for
            # itself (some miss it: broadcasts are not acknowledged)
            responders = []
            for router in self.devices:
                if router.end_device:
                    continue
                misses = self.broadcast_misses.get(router.name, 0)
                if misses > 0:
                    self.broadcast_misses[router.name] = misses - 1
                    continue
                responders.append(router)
        else:
            device = self._by_nwk.get(dst_nwk)
            if device is None:
                return
            if device.end_device:
                self.gsme_wakeups += 1
                return  # asleep: its parent answers for it
            responders = [device]
            misses = self.zdo_answer_misses.get(command.name, 0)
            if misses > 0:
                self.zdo_answer_misses[command.name] = misses - 1
                return
        for device in responders:
            for values in self._zdo_answers(device, command, args, broadcast=broadcast):
                payload = bytes((data[0],)) + _t.serialize(
                    values, _zdo_types(cluster | 0x8000)
                )
                self._outbox.append((device, Reply(0, cluster | 0x8000, payload)))
        self._flush()

    def _neighbours(self, device: EmulatedDevice, start: int) -> Any:
        """``device``'s neighbour table from ``start`` (Mgmt_Lqi_rsp), as the hub sees the HAN.

        The hub (coordinator) neighbours every device: routers (the ESME) and
        its end-device children (the GSME, a CAD joined as an end device).
        """
        entries: list[bytes] = []
        others = [d for d in self.devices if d is not device]
        table = [(d.ieee, d.nwk, d.end_device) for d in others]
        if device is self.hub:
            table += [
                (eui, nwk, self.end_device_cad)
                for eui, nwk in sorted(self.joined.items())
            ]
        else:
            table = [(self.hub.ieee, self.hub.nwk, False)]
        for ieee, nwk, end_device in table:
            # device type (0 coordinator, 1 router, 2 end device), rx on when
            # idle (1 on, 0 off), relationship (0 parent, 1 child, 2 sibling)
            device_type = 2 if end_device else 0 if nwk == HUB_NWK else 1
            rx_on = 0 if end_device and nwk != CAD_NWK else 1
            relationship = 1 if device is self.hub else 0
            packed = device_type | rx_on << 2 | relationship << 4
            entries.append(
                bytes(self.extended_pan_id)
                + bytes(ieee)
                + nwk.to_bytes(2, "little")
                + bytes((packed, 0x00, 0 if nwk == HUB_NWK else 1, 200))
            )
        page = entries[start : start + 2]  # two a frame, as a small stack sends them
        raw = bytes((len(entries), start, len(page))) + b"".join(page)
        neighbours, _ = _zdo_t.Neighbors.deserialize(raw)
        return neighbours

    def _described(self, device: EmulatedDevice, nwk: int) -> EmulatedDevice | None:
        """Return the device whose descriptors ``device`` holds for ``nwk``.

        That is the device itself, or (for the hub) a sleeping child it keeps a
        discovery cache for.
        """
        subject = self._by_nwk.get(nwk)
        if subject is device or (
            device is self.hub and subject is not None and subject.end_device
        ):
            return subject
        return None

    def _in_clusters(self, device: EmulatedDevice, ep: SimEndpoint) -> list[int]:
        clusters = list(ep.clusters)
        if device is self.hub and self.cbke_mode == "absent" and 0x0800 in clusters:
            clusters.remove(0x0800)
        return clusters

    def _zdo_answers(
        self,
        device: EmulatedDevice,
        command: zdo_t.ZDOCmd,
        args: list[Any],
        *,
        broadcast: bool,
    ) -> list[list[Any]]:
        """Return the ZDO responses ``device`` sends to one request (fields in order)."""
        if command == zdo_t.ZDOCmd.Match_Desc_req:
            _, profile, in_clusters, out_clusters = args
            answers = []
            # A parent does not answer a broadcast for its sleeping children
            # (ZigBee spec 2.4.4.2.7): only a unicast naming the child
            subjects = [device]
            if not broadcast:
                subject = self._described(device, int(args[0]))
                if subject is None:
                    return [[_ZDO_DEVICE_NOT_FOUND, args[0], []]]
                subjects = [subject]
            for subject in subjects:
                matches = [
                    ep.endpoint_id
                    for ep in subject.endpoints.values()
                    if ep.profile_id == profile
                    and (
                        set(self._in_clusters(subject, ep)) & set(in_clusters)
                        or set(ep.out_clusters) & set(out_clusters)
                    )
                ]
                if matches or not broadcast:
                    answers.append([_ZDO_SUCCESS, _t.NWK(subject.nwk), matches])
            return answers
        if broadcast:
            return []  # only Match_Desc is answered to a broadcast here
        if command == zdo_t.ZDOCmd.Bind_req:
            return [[self._bind(device, args)]]
        nwk = int(args[0])
        subject = self._described(device, nwk)
        if command == zdo_t.ZDOCmd.IEEE_addr_req:
            if subject is None:
                return [
                    [
                        _ZDO_DEVICE_NOT_FOUND,
                        t.EUI64.convert("00:00:00:00:00:00:00:00"),
                        args[0],
                    ]
                ]
            values: list[Any] = [_ZDO_SUCCESS, subject.ieee, _t.NWK(subject.nwk)]
            if int(args[1]) == 1 and subject is self.hub:  # extended: its children
                # The associated devices are its end-device children, not the
                # routers (the ESME) that joined through it
                children = [d.nwk for d in self.devices if d.end_device]
                if self.end_device_cad:
                    children += sorted(set(self.joined.values()))
                values += [len(children), 0, [_t.NWK(n) for n in children]]
            return [values]
        if command == zdo_t.ZDOCmd.Mgmt_Lqi_req:
            return [[_ZDO_SUCCESS, self._neighbours(device, int(args[0]))]]
        if subject is None:
            return [[_ZDO_DEVICE_NOT_FOUND, args[0], None]]
        if command == zdo_t.ZDOCmd.Node_Desc_req:
            return [
                [_ZDO_SUCCESS, args[0], _node_descriptor(end_device=subject.end_device)]
            ]
        if command == zdo_t.ZDOCmd.Active_EP_req:
            return [[_ZDO_SUCCESS, args[0], sorted(subject.endpoints)]]
        # Simple_Desc_req
        ep = subject.endpoints.get(int(args[1]))
        if ep is None:
            return [[_ZDO_NOT_ACTIVE, args[0], None]]
        descriptor = _zdo_t.SizePrefixedSimpleDescriptor(
            endpoint=ep.endpoint_id,
            profile=ep.profile_id,
            device_type=ep.device_type,
            device_version=0,
            input_clusters=self._in_clusters(subject, ep),
            output_clusters=list(ep.out_clusters),
        )
        return [[_ZDO_SUCCESS, args[0], descriptor]]

    def _bind(self, device: EmulatedDevice, args: list[Any]) -> int:
        """Answer a Bind_req (source: one of ``device``'s endpoints) with a ZDO status.

        Key Establishment is the partner link key handshake
        (partner-link-key-exchange.c): the trust centre refuses it (NOT
        PERMITTED), a meter accepts it while it has a key slot (else TABLE
        FULL). Any other cluster binds the CAD as a destination of its pushes,
        unless the device is in :attr:`bind_refused` (NOT SUPPORTED).
        """
        src, src_ep, cluster_id, dst = args
        if t.EUI64(src) != device.ieee or int(dst.addrmode) != 0x03:
            return _ZDO_NOT_SUPPORTED
        if int(src_ep) not in device.endpoints:
            return _ZDO_INVALID_EP
        requester = t.EUI64(dst.ieee)
        if int(cluster_id) == c.KeyEstablishment.cluster_id:
            if device is self.hub:
                return _ZDO_NOT_PERMITTED
            agreed = self.ke_bindings.setdefault(device.name, set())
            keys = self.link_keys.get(device.name, set())
            if requester not in agreed | keys and (
                len(agreed | keys) >= self.partner_key_slots
            ):
                return _ZDO_TABLE_FULL
            agreed.add(requester)
            return _ZDO_SUCCESS
        if device.name in self.bind_refused:
            return _ZDO_NOT_SUPPORTED
        self.bindings.add((device.name, int(src_ep), int(cluster_id)))
        return _ZDO_SUCCESS

    def _flush(self) -> None:
        outbox, self._outbox = self._outbox, []
        for device, reply in outbox:
            self._send_to_app(device, reply)

    def _send_to_app(self, device: EmulatedDevice, reply: Reply) -> None:
        app = self.app
        if app is None or self.faults.radio_lost:
            return
        data = reply.data
        if self.faults.malformed_responses > 0 and len(data) > 4:
            self.faults.malformed_responses -= 1
            data = data[: 3 + (len(data) - 3) // 2 - 1]
        profile = 0 if reply.src_ep == 0 else device.endpoints[reply.src_ep].profile_id
        secured = profile == SE_PROFILE and reply.cluster_id in LINK_SECURED_CLUSTERS
        encrypt = secured and reply.secured and not self.unencrypted_pushes
        if encrypt and not self.shares_key(device):
            return  # its stack cannot encrypt to the CAD: nothing goes out
        self._observe(
            device.nwk,
            CAD_NWK,
            reply.src_ep,
            0 if reply.src_ep == 0 else CAD_ENDPOINT,
            profile,
            reply.cluster_id,
            data,
        )
        packet = t.ZigbeePacket(
            timestamp=self.clock.now(),
            src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(device.nwk)),
            src_ep=_t.uint8_t(reply.src_ep),
            dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(CAD_NWK)),
            dst_ep=_t.uint8_t(0 if reply.src_ep == 0 else CAD_ENDPOINT),
            tsn=_t.uint8_t(
                data[0]
                if reply.src_ep == 0 and data
                else data[2]
                if len(data) > 2
                else 0
            ),
            profile_id=_t.uint16_t(profile),
            cluster_id=_t.uint16_t(reply.cluster_id),
            data=t.SerializableBytes(data),
            lqi=_t.uint8_t(200),
            rssi=_t.int8s(-48),
            tx_options=t.TransmitOptions.APS_Encryption
            if encrypt
            else t.TransmitOptions.NONE,
        )
        delay = max(self.faults.response_delay, self._reply_delay)
        self._reply_delay = 0.0
        if delay > 0:
            # Only an injected slowness takes real time (a loop timer)
            asyncio.get_running_loop().call_later(delay, self._deliver, app, packet)
        else:
            # At once: the answer is there before its request can time out,
            # whatever the event loop's clock does meanwhile
            self._deliver(app, packet)

    def _deliver(self, app: PacketSink, packet: t.ZigbeePacket) -> None:
        if self.app is app:  # frames still in flight when the app left are lost
            app.packet_received(packet)

    # --- device builders ---------------------------------------------------------------

    def _basic(
        self, identity: MeterIdentity, *, battery: bool = False
    ) -> ServerCluster:
        return ServerCluster(
            zgeneral.Basic,
            {
                0x0000: lambda _: 3,
                0x0001: lambda _: 1,
                0x0003: lambda _: 2,
                0x0004: lambda _: identity.manufacturer,
                0x0005: lambda _: identity.model,
                0x0006: lambda _: identity.date_code,
                0x0007: lambda _: 0x03 if battery else 0x01,
                0x4000: lambda _: identity.sw_build_id,
            },
        )

    def _key_establishment(self, device_name: str) -> ServerCluster:
        """Build the Key Establishment server (CBKE responder, crypto suite 2).

        It checks what a real responder checks, in order: suite 2, a 74-byte
        certificate from a known issuer for the device that sends it, a 37-byte
        ephemeral key after the initiate step, a 16-byte SMAC after that, and
        that SMAC equal to the initiator SMAC computed here (see :mod:`.cbke`).
        Anything else is answered with Terminate Key Establishment and noted in
        :attr:`problems` when it is a protocol error.
        """
        suite = c.KeyEstablishmentSuite.CBKE_ECMQV_283k1

        def terminate(
            device: EmulatedDevice, tsn: int, status: int, wait: int | None = None
        ) -> list[Reply]:
            # A Terminate is the hub's own command: its own sequence number
            del tsn
            self._ke.pop(device_name, None)
            wait = self.cbke_wait_time if wait is None else wait
            self.cbke_hub_terminations.append(status)
            self._ke_backoff_until = self._ke_now() + wait
            return [
                self._ke_sent(
                    "terminate",
                    device.command_frame(
                        next(iter(device.endpoints)),
                        c.KeyEstablishment,
                        "server_terminate_key_establishment",
                        status_code=status,
                        wait_time=wait,
                        key_establishment_suite=suite,
                    ),
                )
            ]

        def answer_tsn(tsn: int) -> int | None:
            return None if self.cbke_careless_tsn else tsn

        def unsupported(
            device: EmulatedDevice, hdr: foundation.ZCLHeader
        ) -> list[Reply]:
            body = foundation.DefaultResponse(
                command_id=hdr.command_id,
                status=foundation.Status.UNSUP_CLUSTER_COMMAND,
            )
            return [
                Reply(
                    next(iter(device.endpoints)),
                    c.KeyEstablishment.cluster_id,
                    device.header(
                        hdr.tsn,
                        foundation.GeneralCommand.Default_Response,
                        general=True,
                    )
                    + body.serialize(),
                )
            ]

        def step(name: str) -> Callable[[foundation.ZCLHeader, Any, int], list[Reply]]:
            def handler(hdr: foundation.ZCLHeader, args: Any, now: int) -> list[Reply]:
                device = self._device_named(device_name)
                ep = next(iter(device.endpoints))

                def bad_message(why: str) -> list[Reply]:
                    self.problems.append(why)
                    return terminate(
                        device, hdr.tsn, c.KeyEstablishmentStatus.Bad_Message
                    )

                if device is self.hub and self.cbke_mode != "required":
                    return unsupported(device, hdr)
                if self.cbke_terminate is not None and self.cbke_terminate[0] == name:
                    return terminate(device, hdr.tsn, self.cbke_terminate[1])
                hiccup = next((h for h in self.cbke_hiccups if h[0] == name), None)
                if hiccup is not None:
                    self.cbke_hiccups.remove(hiccup)
                    return terminate(device, hdr.tsn, hiccup[1], hiccup[2])
                left = self._ke_backoff_until - self._ke_now()
                if name == "initiate" and left > 0:
                    # Asked again before the Wait Time it gave: still busy
                    return terminate(
                        device,
                        hdr.tsn,
                        c.KeyEstablishmentStatus.No_Resources,
                        max(1, math.ceil(left)),
                    )
                own_eui = bytes(device.ieee)[::-1]
                own_cert = cbke.certificate(own_eui)
                if device is self.hub and self.hub_certificate_fault is not None:
                    own_cert = _faulty_certificate(own_cert, self.hub_certificate_fault)
                state = self._ke.get(device_name)
                if name == "initiate":
                    identity = bytes(args.identity)
                    if int(args.key_establishment_suite) != suite:
                        return terminate(
                            device, hdr.tsn, c.KeyEstablishmentStatus.Unsupported_Suite
                        )
                    if len(identity) != cbke.CERTIFICATE_LENGTH:
                        return bad_message(
                            f"Initiate Key Establishment with a {len(identity)}-byte certificate"
                        )
                    subject = cbke.certificate_subject(identity)
                    if subject is None:
                        return terminate(
                            device, hdr.tsn, c.KeyEstablishmentStatus.Unknown_Issuer
                        )
                    if subject != bytes(self.cad_ieee)[::-1]:
                        # A trust centre looks the subject up among the devices
                        # it admitted ("Unknown EUI64 trying to perform CBKE":
                        # key-establishment.c checkKeyTable, INVALID_PARTNER_MESSAGE)
                        return terminate(
                            device, hdr.tsn, c.KeyEstablishmentStatus.Bad_Message
                        )
                    self._ke[device_name] = {"cert": identity}
                    return [
                        self._ke_sent(
                            "initiate_key_establishment_response",
                            device.command_frame(
                                ep,
                                c.KeyEstablishment,
                                "initiate_key_establishment_response",
                                tsn=answer_tsn(hdr.tsn),
                                key_establishment_suite=suite,
                                ephemeral_data_generate_time=self.cbke_times[0],
                                confirm_key_generate_time=self.cbke_times[1],
                                identity=c.RemainingBytes(own_cert),
                            ),
                        )
                    ]
                if name == "ephemeral":
                    data = bytes(args.ephemeral_data)
                    if state is None or "peer_eph" in state:
                        return bad_message("Ephemeral Data Request out of order")
                    if len(data) != cbke.EPHEMERAL_LENGTH:
                        return bad_message(
                            f"Ephemeral Data Request with {len(data)} bytes, not 37"
                        )
                    self._ke_counter += 1
                    own_eph = cbke.ephemeral_key(own_eui, self._ke_counter)
                    state["peer_eph"] = data
                    state["own_eph"] = own_eph
                    if self.cbke_corrupt == "ephemeral":
                        own_eph = own_eph[:-1]
                    self._reply_delay = self.cbke_delays.get(name, 0.0)
                    return [
                        self._ke_sent(
                            "ephemeral_data_response",
                            device.command_frame(
                                ep,
                                c.KeyEstablishment,
                                "ephemeral_data_response",
                                tsn=answer_tsn(hdr.tsn),
                                ephemeral_data=c.RemainingBytes(own_eph),
                            ),
                        )
                    ]
                # confirm
                mac = bytes(args.secure_message_authentication_code)
                if state is None or "own_eph" not in state:
                    return bad_message("Confirm Key Data Request out of order")
                if len(mac) != cbke.SMAC_LENGTH:
                    return bad_message(
                        f"Confirm Key Data Request with {len(mac)} bytes, not 16"
                    )
                initiator, responder = cbke.smacs(
                    state["cert"], state["peer_eph"], own_cert, state["own_eph"]
                )
                if mac != initiator:
                    return terminate(
                        device, hdr.tsn, c.KeyEstablishmentStatus.Bad_Key_Confirm
                    )
                self._ke.pop(device_name, None)
                if device is self.hub:
                    self.cbke_completed.add(self.cad_ieee)
                if self.cbke_corrupt == "confirm":
                    responder = bytes(b ^ 0xFF for b in responder)
                self._reply_delay = self.cbke_delays.get(name, 0.0)
                return [
                    self._ke_sent(
                        "confirm_key_data_response",
                        device.command_frame(
                            ep,
                            c.KeyEstablishment,
                            "confirm_key_data_response",
                            tsn=answer_tsn(hdr.tsn),
                            secure_message_authentication_code=c.RemainingBytes(
                                responder
                            ),
                        ),
                    )
                ]

            return handler

        def client_terminate(
            hdr: foundation.ZCLHeader, args: Any, now: int
        ) -> list[Reply]:
            self._ke.pop(device_name, None)
            self.cbke_terminations.append(int(args.status_code))
            if self._device_named(device_name) is self.hub:
                self.cbke_completed.discard(self.cad_ieee)
            return []

        return ServerCluster(
            c.KeyEstablishment,
            {0x0000: lambda _: suite},
            {
                0x00: step("initiate"),
                0x01: step("ephemeral"),
                0x02: step("confirm"),
                0x03: client_terminate,
            },
        )

    def _ke_now(self) -> float:
        clock = self.ke_clock
        return clock() if clock is not None else asyncio.get_running_loop().time()

    def _ke_sent(self, command: str, reply: Reply) -> Reply:
        """Note a key establishment frame the hub sends (command, sequence number)."""
        self.cbke_sent.append((command, reply.data[1]))
        return reply

    def _device_named(self, name: str) -> EmulatedDevice:
        return next(d for d in self.devices if d.name == name)

    def _device_management(self) -> ServerCluster:
        return ServerCluster(
            c.DeviceManagement,
            {
                0x0100: lambda _: 0x00001234,
                0x0101: lambda _: _octets(self.provider_name),
                0x0102: lambda _: _octets("0800 000 0000"),
            },
        )

    def _events(self, device_name: str, ep: int) -> ServerCluster:
        def get_log(hdr: foundation.ZCLHeader, args: Any, now: int) -> list[Reply]:
            device = self._device_named(device_name)
            entries = self.events.get(device.nwk, [])[
                : max(1, int(args.number_of_events))
            ]
            if self.event_log_busy > 0:
                # "Only one GetEventLog can be processed at a time"
                # (events-server.c): FAILURE while another is being published
                self.event_log_busy -= 1
                return device.default_response(
                    ep, c.Events.cluster_id, hdr, foundation.Status.FAILURE
                )
            if not entries:
                # "A ZCL Default Response with status NOT_FOUND shall be
                # returned if no events match" (events-server.c)
                return device.default_response(
                    ep, c.Events.cluster_id, hdr, foundation.Status.NOT_FOUND
                )
            payload = [
                c.EventLogEntry(
                    log_id=log, event_id=code, event_time=zcl_time(when), event_data=b""
                )
                for when, code, log in entries[:5]
            ]
            return [
                device.command_frame(
                    ep,
                    c.Events,
                    "publish_event_log",
                    tsn=hdr.tsn,
                    total_number_of_matching_events=len(entries),
                    command_index=0,
                    total_commands=1,
                    number_of_events_log_payload_control=len(payload) << 4,
                    log_payload=payload,
                )
            ]

        return ServerCluster(
            c.Events, {}, {0x00: get_log, 0x01: lambda hdr, args, now: []}
        )

    def _build_hub(self, identity: MeterIdentity) -> EmulatedDevice:
        gas = self.gas
        hub = EmulatedDevice(
            "hub",
            _ieee(self.seed, "hub"),
            HUB_NWK,
            manufacturer=identity.manufacturer,
            model=identity.model,
        )
        hub.add(
            SimEndpoint(
                HUB_ENDPOINT,
                _ESI,
                {
                    0x0000: self._basic(identity),
                    0x000A: ServerCluster(
                        zgeneral.Time,
                        {0x0000: zcl_time, 0x0001: lambda _: 0x02},
                    ),
                    0x0708: self._device_management(),
                    0x0709: self._events("hub", HUB_ENDPOINT),
                    0x0800: self._key_establishment("hub"),
                },
            )
        )

        def day_kwh(now: int) -> int:
            return gas.kwh_x1000(gas.day_volume(now))

        def previous_day(now: int) -> int:
            midnight = now - now % 86_400
            return gas.register(midnight) - gas.register(
                max(midnight - 86_400, gas.base * HALF_HOUR)
            )

        metering_attrs: dict[int, Callable[[int], Any]] = {
            0x0000: gas.register,
            0x000F: lambda _: c.ProfileIntervalPeriod.Minutes_30,
            0x0014: self._supply("gas"),
            0x0200: lambda _: 0x00,
            0x0205: lambda _: 3_650,
            0x0300: lambda _: 0x01,
            0x0301: lambda _: 1,
            0x0302: lambda _: 1_000,
            0x0303: lambda _: 0xBB,
            0x0304: lambda _: 0xAB,
            0x0305: lambda _: 0xBB,
            0x0306: lambda _: zse.MeteringDeviceType.Mirrored_Gas_Metering,
            0x0307: lambda _: _octets(self.mprn),
            0x0308: lambda _: _octets(f"G4W{self.seed % 100_000_000:08d}"),
            0x0312: lambda _: 0x00,
            0x0313: lambda _: 0xAB,
            0x0314: lambda _: 0xBB,
            0x0401: gas.day_volume,
            0x0403: previous_day,
            0x0500: lambda _: MAX_PERIODS,
            0x0C01: day_kwh,
            0x0C03: lambda now: gas.kwh_x1000(previous_day(now)),
        }
        if self.gas_flow:
            # A GPF that publishes a flow (real GB ones mostly do not): litres/h
            metering_attrs[0x0400] = gas.flow_litres_per_hour
        metering = ServerCluster(
            c.Metering,
            metering_attrs,
            {0x00: self._get_profile("hub", GPF_ENDPOINT, gas=True)},
        )
        price = ServerCluster(
            c.Price,
            {
                0x0000: lambda _: b"Gas",
                0x0300: lambda _: zse.MeteringDeviceType.Gas_Metering,
                0x0301: lambda _: self.gas_standing_charge,
                0x0302: lambda _: gas.conversion_factor,
                0x0303: lambda _: 0x60,
                0x0304: lambda _: gas.calorific_value,
                0x0305: lambda _: c.CalorificValueUnit.MJ_per_m3,
                0x0306: lambda _: 0x30,
                0x0410: lambda _: self.gas_price,
                0x0610: lambda _: b"Standard Gas",
                0x0611: lambda _: 1,
                0x0615: lambda _: 0x00,
                0x0616: lambda _: 826,
                0x0617: lambda _: 0x30,
            },
        )
        clusters = {
            0x0000: self._basic(IDENTITIES[self.profile]["gsme"], battery=True),
            0x0700: price,
            0x0702: metering,
            0x0708: self._device_management(),
            0x0709: self._events("hub", GPF_ENDPOINT),
        }
        if self.gas_account.prepayment:
            # The GPF mirrors a prepayment GSME's Prepayment cluster too
            clusters[0x0705] = self._prepayment_cluster(hub, GPF_ENDPOINT, "gas")
        hub.add(SimEndpoint(GPF_ENDPOINT, _METERING_DEVICE, clusters))
        return hub

    def _get_profile(
        self, device_name: str, ep: int, *, gas: bool
    ) -> Callable[[foundation.ZCLHeader, Any, int], list[Reply]]:
        def handler(hdr: foundation.ZCLHeader, args: Any, now: int) -> list[Reply]:
            device = self._device_named(device_name)
            channel, end_time, periods = c.command_fields(args)[:3]
            status = c.ProfileStatus.Success
            intervals: list[int] = []
            newest = now // HALF_HOUR - 1
            oldest = (
                self.gas.first_available(now)
                if gas
                else self.electricity.first_available(now)
            )
            if gas and self.gpf_since is not None:
                oldest = max(oldest, self.gpf_since)
            if end_time:
                newest = min(newest, unix_time(int(end_time)) // HALF_HOUR - 1)
            if gas and channel != c.IntervalChannel.Consumption_Delivered:
                status = c.ProfileStatus.Interval_Channel_Not_Supported
            elif channel not in (0, 1):
                status = c.ProfileStatus.Undefined_Interval_Channel
            elif periods > MAX_PERIODS:
                status = c.ProfileStatus.More_Periods_Requested_Than_Can_Be_Returned
            elif newest < oldest:
                status = c.ProfileStatus.No_Intervals_Available
            else:
                value = (
                    self.gas.litres
                    if gas
                    else self.electricity.import_wh
                    if channel == 0
                    else self.electricity.export_wh
                )
                intervals = [
                    value(i)
                    for i in range(
                        newest, max(oldest, newest - int(periods) + 1) - 1, -1
                    )
                ]
            return [
                device.command_frame(
                    ep,
                    c.Metering,
                    "get_profile_response",
                    tsn=hdr.tsn,
                    **dict(
                        zip(
                            [
                                f.name
                                for f in c.Metering.client_commands[0].schema.fields
                            ],
                            (
                                zcl_time((newest + 1) * HALF_HOUR)
                                if intervals
                                else end_time,
                                status,
                                c.ProfileIntervalPeriod.Minutes_30,
                                len(intervals),
                                intervals,
                            ),
                            strict=True,
                        )
                    ),
                )
            ]

        return handler

    def _publish_price(self, now: int, tsn: int | None) -> Reply:
        tariff = self.tariff
        tier = tariff.tier_at(now)
        # The current tier's block runs to the next half hour at which the tier changes
        start = now - now % HALF_HOUR
        while start > now - 86_400 and tariff.tier_at(start - HALF_HOUR) == tier:
            start -= HALF_HOUR
        end = now - now % HALF_HOUR + HALF_HOUR
        while end < now + 86_400 and tariff.tier_at(end) == tier:
            end += HALF_HOUR
        return self.esme.command_frame(
            ESME_ENDPOINT,
            c.Price,
            "publish_price",
            tsn=tsn,
            provider_id=0x00001234,
            rate_label=_octets(tariff.label(tier)),
            issuer_event_id=now // HALF_HOUR,
            current_time=zcl_time(now),
            unit_of_measure=zse.MeteringUnitofMeasure.Kwh_and_Kwh_binary,
            currency=826,
            price_trailing_digit_and_price_tier=(3 << 4) | tier,
            number_of_price_tiers_and_register_tier=(tariff.tiers << 4) | tier,
            start_time=zcl_time(start),
            duration_in_minutes=(end - start) // 60,
            price=tariff.price(tier),
        )

    def _get_current_price(
        self, hdr: foundation.ZCLHeader, args: Any, now: int
    ) -> list[Reply]:
        """GetCurrentPrice: the price in force, to the requester (its options kept)."""
        (options,) = c.command_fields(args)[:1]
        self.price_request_options.append(int(options))
        return [self._publish_price(now, hdr.tsn)]

    def _publish_gas_price(self, now: int) -> Reply:
        """Return the gas meter's single-rate PublishPrice, from its GPF (per kWh)."""
        start = now - now % 86_400
        return self.hub.command_frame(
            GPF_ENDPOINT,
            c.Price,
            "publish_price",
            provider_id=0x00001234,
            rate_label=_octets("Standard Gas"),
            issuer_event_id=now // 86_400,
            current_time=zcl_time(now),
            unit_of_measure=zse.MeteringUnitofMeasure.Kwh_and_Kwh_binary,
            currency=826,
            price_trailing_digit_and_price_tier=(3 << 4) | 1,
            number_of_price_tiers_and_register_tier=(1 << 4) | 1,
            start_time=zcl_time(start),
            duration_in_minutes=24 * 60,
            price=self.gas_price,
        )

    def _prepay_snapshot(
        self, now: int, tsn: int | None, fuel: Fuel = "electricity"
    ) -> Reply:
        account = self.prepayment_account(fuel)
        device, ep = (
            (self.esme, ESME_ENDPOINT)
            if fuel == "electricity"
            else (self.hub, GPF_ENDPOINT)
        )
        status = c.DebtCreditStatus(
            accumulated_debt=0,
            type1_debt_remaining=0,
            type2_debt_remaining=0,
            type3_debt_remaining=0,
            emergency_credit_remaining=account.emergency_credit(now),
            credit_remaining=account.credit(now),
        )
        return device.command_frame(
            ep,
            c.Prepayment,
            "publish_prepay_snapshot",
            tsn=tsn,
            snapshot_id=now // 60,
            snapshot_time=zcl_time(now),
            total_snapshots_found=1,
            command_index=0,
            total_number_of_commands=1,
            snapshot_cause=0x00000001,
            snapshot_payload_type=0,
            snapshot_payload=c.RemainingBytes(status.serialize()),
        )

    def _supply(self, fuel: Fuel) -> Callable[[int], int]:
        """SupplyStatus of a meter: armed once its prepayment credit is exhausted."""

        def supply(now: int) -> int:
            account = self.prepayment_account(fuel)
            if account.prepayment and account.status(now) & 0x40:
                return 0x01  # armed: credit and emergency credit exhausted
            return 0x02

        return supply

    def _prepayment_cluster(
        self, device: EmulatedDevice, ep: int, fuel: Fuel
    ) -> ServerCluster:
        """Build the Prepayment cluster of the ESME, or of the GPF (a prepayment gas meter).

        The same attributes and commands for both fuels: credit, emergency
        credit, debt, limits and the top-up log; SelectAvailableEmergencyCredit,
        ConsumerTopUp (when the meter takes UTRNs over the HAN) and
        GetPrepaySnapshot.
        """

        def account() -> PrepaymentAccount:
            return self.prepayment_account(fuel)

        prepay_attrs: dict[int, Callable[[int], Any]] = {
            0x0000: lambda _: 0x0003 if account().prepayment else 0x0000,
            0x0001: lambda now: account().credit(now),
            0x0002: lambda now: account().emergency_credit(now),
            0x0003: lambda now: account().status(now),
            0x0004: zcl_time,
            0x0005: lambda _: 0,
            0x0010: lambda _: account().emergency_credit_limit,
            0x0011: lambda _: account().emergency_credit_threshold,
            0x0020: lambda _: account().total_credit_added,
            0x0021: lambda _: account().max_credit_limit,
            0x0022: lambda _: account().max_credit_per_top_up,
            0x0031: lambda _: account().low_credit_warning,
            0x0040: lambda _: 0,
            0x0400: lambda _: 0x0000,
            0x0500: lambda _: 0x2B,  # money in 1/1000 p: 3 digits right of the point
            0x0502: lambda _: 0x00,
            0x0503: lambda _: 826,
        }

        def cost(period: str, back: int) -> Callable[[int], int]:
            def read(now: int) -> int:
                floor = (self.gas if fuel == "gas" else self.electricity).base
                start, end = cost_period(now, period, back)
                floor *= HALF_HOUR
                return self._past_cost(
                    account().meter, max(start, floor), max(end, floor)
                )

            return read

        # The Historical Cost Consumption set: each period's energy at the
        # tariff's prices (each half-hour at its tier), no standing charge
        # (GBCS: "the total cost of consumption"; the standing charge is
        # charged apart), in the same money units as the credit.
        for period, first, count in (
            ("day", 0x051C, 9),
            ("week", 0x0530, 6),
            ("month", 0x0540, 14),
        ):
            for back in range(count):
                prepay_attrs[first + 2 * back] = cost(period, back)
        for n in range(5):
            base = 0x0100 + 0x10 * n
            prepay_attrs[base] = (  # noqa: PLC3002 - binds the loop variable
                lambda k: (
                    lambda _: (
                        zcl_time(account().top_up_log[k][0])
                        if k < len(account().top_up_log)
                        else 0
                    )
                )
            )(n)
            prepay_attrs[base + 1] = (  # noqa: PLC3002 - binds the loop variable
                lambda k: (
                    lambda _: (
                        account().top_up_log[k][1]
                        if k < len(account().top_up_log)
                        else 0
                    )
                )
            )(n)
            prepay_attrs[base + 2] = (  # noqa: PLC3002 - binds the loop variable
                lambda k: (
                    lambda _: (
                        account().top_up_log[k][2]
                        if k < len(account().top_up_log)
                        else 0
                    )
                )
            )(n)

        def top_up(hdr: foundation.ZCLHeader, args: Any, now: int) -> list[Reply]:
            if not self.consumer_top_up:
                # Top-up over the HAN is the PPMID's role: not from a CAD
                return device._default(  # noqa: SLF001 - the device's own answer
                    ep, c.Prepayment.cluster_id, hdr, self.top_up_refusal
                )
            code = bytes(args.top_up_code).decode("ascii", "replace")
            outcome = account().top_up(code, now)
            replies = [
                device.command_frame(
                    ep,
                    c.Prepayment,
                    "consumer_top_up_response",
                    tsn=hdr.tsn,
                    result_type=outcome.result,
                    top_up_value=outcome.value,
                    source_of_top_up=args.originating_device,
                    credit_remaining=account().credit(now),
                )
            ]
            if outcome.alert is not None:
                self.push_alert(outcome.alert, fuel=fuel, when=now)
            self._credit_seen[fuel] = account().status(now)
            return replies

        def select_ec(hdr: foundation.ZCLHeader, args: Any, now: int) -> list[Reply]:
            ok = account().prepayment and account().select_emergency_credit(now)
            if ok:
                self.push_alert(0x81AB, fuel=fuel, when=now)
                self._credit_seen[fuel] = account().status(now)
            status = foundation.Status.SUCCESS if ok else foundation.Status.FAILURE
            body = foundation.DefaultResponse(command_id=hdr.command_id, status=status)
            return [
                Reply(
                    ep,
                    c.Prepayment.cluster_id,
                    device.header(
                        hdr.tsn,
                        foundation.GeneralCommand.Default_Response,
                        general=True,
                    )
                    + body.serialize(),
                )
            ]

        commands: dict[int, Callable[[foundation.ZCLHeader, Any, int], list[Reply]]] = {
            0x00: select_ec,
            0x07: lambda hdr, args, now: [self._prepay_snapshot(now, hdr.tsn, fuel)],
        }
        if account().accepts_utrn:
            commands[0x04] = top_up
        return ServerCluster(c.Prepayment, prepay_attrs, commands)

    def _build_esme(self, identity: MeterIdentity) -> EmulatedDevice:
        meter = self.electricity
        tariff = self.tariff
        esme = EmulatedDevice(
            "esme",
            _ieee(self.seed, "esme"),
            ESME_NWK,
            manufacturer=identity.manufacturer,
            model=identity.model,
        )

        def previous_day(register: Callable[[int], int]) -> Callable[[int], int]:
            def read(now: int) -> int:
                midnight = now - now % 86_400
                floor = meter.base * HALF_HOUR
                return register(max(midnight, floor)) - register(
                    max(midnight - 86_400, floor)
                )

            return read

        metering_attrs: dict[int, Callable[[int], Any]] = {
            0x0000: meter.import_register,
            0x0001: meter.export_register,
            0x000F: lambda _: c.ProfileIntervalPeriod.Minutes_30,
            0x0014: self._supply("electricity"),
            0x0020: tariff.tier_at,
            0x0200: lambda _: 0x00,
            0x0300: lambda _: 0x00,
            0x0301: lambda _: 1,
            0x0302: lambda _: 1_000,
            0x0303: lambda _: 0xBB,
            0x0304: lambda _: 0xAB,
            0x0305: lambda _: 0xBB,
            0x0306: lambda _: zse.MeteringDeviceType.Electric_Metering,
            0x0307: lambda _: _octets(self.mpan),
            0x0308: lambda _: _octets(f"21E{self.seed % 10_000_000:07d}"),
            0x0400: meter.demand_w,
            0x0401: meter.day_import,
            0x0402: meter.day_export,
            0x0403: previous_day(meter.import_register),
            0x0404: previous_day(meter.export_register),
            0x0500: lambda _: MAX_PERIODS,
        }
        for tier in range(1, tariff.tiers + 1):
            metering_attrs[0x0100 + 2 * (tier - 1)] = (  # noqa: PLC3002 - binds the loop variable
                lambda k: lambda now: meter.tier_register(k, now)
            )(tier)

        price_attrs: dict[int, Callable[[int], Any]] = {
            0x0300: lambda _: zse.MeteringDeviceType.Electric_Metering,
            0x0301: lambda _: tariff.standing_charge,
            0x0610: lambda _: _octets(f"Smart TOU {tariff.tiers}"),
            0x0611: lambda _: tariff.tiers,
            0x0615: lambda _: 0x00,
            0x0616: lambda _: 826,
            0x0617: lambda _: 0x30,
        }
        for tier in range(1, tariff.tiers + 1):
            price_attrs[tier - 1] = (lambda k: lambda _: _octets(tariff.label(k)))(tier)  # noqa: PLC3002 - binds the loop variable
            price_attrs[0x0400 + 0x10 * tier] = (lambda k: lambda _: tariff.price(k))(  # noqa: PLC3002 - binds the loop variable
                tier
            )

        def last_message(hdr: foundation.ZCLHeader, args: Any, now: int) -> list[Reply]:
            if not self.messages:
                body = foundation.DefaultResponse(
                    command_id=hdr.command_id, status=foundation.Status.NOT_FOUND
                )
                return [
                    Reply(
                        ESME_ENDPOINT,
                        c.Messaging.cluster_id,
                        esme.header(
                            hdr.tsn,
                            foundation.GeneralCommand.Default_Response,
                            general=True,
                        )
                        + body.serialize(),
                    )
                ]
            message_id, text = self.messages[0]
            return [
                esme.command_frame(
                    ESME_ENDPOINT,
                    c.Messaging,
                    "display_message",
                    tsn=hdr.tsn,
                    message_id=message_id,
                    message_control=0,
                    start_time=zcl_time(now),
                    duration_in_minutes=1440,
                    message=text,
                    extended_message_control=0,
                )
            ]

        esme.add(
            SimEndpoint(
                ESME_ENDPOINT,
                _METERING_DEVICE,
                {
                    0x0000: self._basic(identity),
                    0x0700: ServerCluster(
                        c.Price,
                        price_attrs,
                        {0x00: self._get_current_price},
                    ),
                    0x0702: ServerCluster(
                        c.Metering,
                        metering_attrs,
                        {0x00: self._get_profile("esme", ESME_ENDPOINT, gas=False)},
                    ),
                    0x0703: ServerCluster(
                        c.Messaging,
                        {},
                        {
                            0x00: last_message,
                            0x01: lambda hdr, args, now: [],
                            0x02: lambda hdr, args, now: [],
                        },
                    ),
                    0x0705: self._prepayment_cluster(
                        esme, ESME_ENDPOINT, "electricity"
                    ),
                    0x0708: self._device_management(),
                    0x0709: self._events("esme", ESME_ENDPOINT),
                    0x0800: self._key_establishment("esme"),
                },
            )
        )
        return esme

    def _build_gsme(self, identity: MeterIdentity) -> EmulatedDevice:
        gsme = EmulatedDevice(
            "gsme",
            _ieee(self.seed, "gsme"),
            GSME_NWK,
            manufacturer=identity.manufacturer,
            model=identity.model,
            end_device=True,
        )
        gsme.add(
            SimEndpoint(
                GSME_ENDPOINT,
                _METERING_DEVICE,
                {
                    0x0000: self._basic(identity, battery=True),
                    0x0702: ServerCluster(
                        c.Metering,
                        {
                            0x0000: self.gas.register,
                            0x0306: lambda _: zse.MeteringDeviceType.Gas_Metering,
                        },
                    ),
                    0x0800: self._key_establishment("gsme"),
                },
            )
        )
        return gsme
