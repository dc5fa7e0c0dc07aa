"""Join a GB smart meter's HAN with a Silicon Labs EZSP radio, and run on it.

A Comms Hub is the coordinator and trust centre of its HAN: a consumer access
device (CAD) does not form a network, it JOINS the hub's, with the link key
derived from its install code, inside the join window the energy supplier
opened (service request 8.11, UpdateHANDeviceLog). zigpy's radio libraries
(bellows' ``ControllerApplication`` included) form a network as its
coordinator, so this module uses bellows only for the serial protocol (its
``EZSP`` object: ASH, EZSP frames, callbacks) and does the joining device's part
itself:

:func:`join_han` (pairing, once)
    open the radio; read its EUI64 and Smart Energy certificate (sect283k1,
    74 bytes; none: ``JoinError("no_certificate")``); active scan of all
    2.4 GHz channels for ZigBee PRO networks (none: ``"no_network"``; none
    permitting joins: ``"join_window_closed"``); set the initial security
    state with the preconfigured link key, the AES-MMO hash of the install code
    (the radio's token, or the code the user typed); ``joinNetwork`` as a router
    and wait for ``stackStatusHandler``: NETWORK_UP, or ``"join_refused"`` (the
    hub sent no network key we could decrypt: wrong or unregistered install
    code) or ``"join_window_closed"`` (no beacon permitting association). A hub
    with no room for another router refuses the association (JOIN_FAILED; or
    CANNOT_JOIN_AS_ROUTER): the join is made again as an end device that keeps
    its receiver on (a mains-powered CAD is never sleepy), and
    :class:`HanNetwork` keeps which
    (``node_type``). Statuses a stack reports while it joins (NETWORK_OPENED,
    NETWORK_CLOSED, NODE_ID_CHANGED...) are not the join's result: the wait goes
    on until another status. Then certificate-based key establishment with the
    hub (below), which GBCS requires (a hub that does not run it:
    ``"no_cbke"``; a hub certificate the reference initiator would refuse:
    ``"hub_certificate"``); then a partner link key with the electricity meter
    (:func:`_partner_link_keys`: Match_Desc, IEEE_addr_req, Bind_req on Key
    Establishment, ``requestLinkKey`` answered by
    ``zigbeeKeyEstablishmentHandler``), without which the meter answers every
    Smart Energy request with Default Response FAILURE; close the radio.
    Once the radio is on the HAN the supplier's registration is spent, so
    only a refusal for good ends the join without a network: each ZDO step
    is sent up to :data:`ZDO_ATTEMPTS` times, a key establishment that does
    not finish is left pending (``ke_pending``), and so are partner link keys
    a meter refuses or does not answer for (``partner_keys_pending``), both
    finished by :func:`open_radio`.

:func:`open_radio` (every start)
    ``networkInit`` resumes the stored network (no scan, no join; no CBKE but
    the one a join left pending, then the partner link keys a join left
    pending, :class:`PartnerKeysPendingError` while the meter gives none; the
    radio must be on it as the node type stored; an end device then polls the
    hub every :data:`END_DEVICE_POLL_MINUTES` with ``pollForData``; a
    NETWORK_DOWN while running is a rejoin, secure then through the Trust
    Centre, and the radio lost when neither works), then
    ZDO over the air finds the meters: IEEE_addr (extended) of the hub lists
    its end-device children, a broadcast Match_Desc for Smart Energy Metering /
    Key Establishment finds the routers' endpoints (sent again when no
    electricity meter answered), Mgmt_Lqi gives the hub's neighbour table and
    each router in it that did not answer is asked directly, and the hub is
    asked about each sleeping child (it answers from its discovery cache, so
    the GSME is never woken), then Node_Desc, IEEE_addr and Simple_Desc per
    device, asked of whoever answered for it, then a Bind_req per pushed
    cluster each meter serves (refusals in ``unbound``, to be polled). The
    zigpy devices it fills are what :class:`~.link.HanLink` discovers from.
    Every Smart Energy unicast but Key Establishment is APS-encrypted; an SE
    frame on a cluster that needs it and arrives unencrypted is dropped and
    counted (``unencrypted_dropped``).

:func:`leave_han`
    ``leaveNetwork`` and wait for NETWORK_DOWN, so the radio forgets the HAN.

CBKE (Key Establishment cluster 0x0800, crypto suite 2)
-------------------------------------------------------
The CAD initiates: ``getCertificate283k1`` -> Initiate Key Establishment
Request carrying it -> the hub's response carries its 74-byte certificate ->
``generateCbkeKeys283k1`` (answered OPERATION_IN_PROGRESS: the radio works on
it) / ``generateCbkeKeysHandler283k1`` (37-byte ephemeral key) -> Ephemeral
Data Request -> the hub's 37-byte ephemeral key ->
``calculateSmacs283k1`` / ``calculateSmacsHandler283k1`` (two 16-byte SMACs) ->
Confirm Key Data Request with the initiator SMAC -> the hub's must equal the
responder SMAC -> ``clearTemporaryDataMaybeStoreLinkKey283k1(True)`` stores the
new link key in the radio. The hub's Initiate Key Establishment Response says
how many seconds it takes to generate its ephemeral data and its key
confirmation: those plus :data:`KE_MARGIN` (at most :data:`KE_MAX_WAIT`)
are the waits for its next two answers. The hub's certificate is checked as
the reference initiator does as soon as it arrives (:func:`check_hub_certificate`;
refused: our Terminate, the radio leaves the HAN, ``JoinError("hub_certificate")``).
A Terminate Key Establishment from the hub is followed by the Wait Time it
gives, a step timing out or failing on our side by :data:`KE_RETRY_WAIT`, and
the exchange is tried again (:data:`KE_ATTEMPTS` in all); a Terminate no retry
can change (unknown issuer, unsupported suite, invalid certificate) is
``JoinError("cbke_failed")`` and the radio leaves the HAN; attempts that run out
of time or of tries leave it pending (``HanNetwork.ke_pending``), finished by
:func:`open_radio` at the next start. A step failing on
our side first sends the hub our own Terminate Key Establishment (client to
server, command 0x03: status, wait time, suite) with the SE status: Bad Message
(0x03) for an answer of the wrong size or a command out of place, Unsupported
Suite (0x05) for another suite, Bad Key Confirm (0x02) for a wrong SMAC, No
Resources (0x04) when the radio's CBKE library fails. Either way the radio's
temporary data is cleared without storing anything.

What is confirmed, what is assumed
----------------------------------
EZSP v14 and later (EmberZNet 8, Simplicity SDK: every status an
``sl_status_t``, new messaging and address table frames) is read through
:mod:`.ezsp_versions` at the boundary (``_Radio.command`` and its callbacks):
the code below sees EmberStatus codes and the v4 argument order at every
version, and ``_Radio.remember_address`` uses ``setAddressTableInfo`` there.
Confirmed against the installed bellows (0.49 to 1.2; EZSP v6 to v13 inherit
these frames from v4 unchanged): the frame names and arguments used here
(``joinNetwork(nodeType, parameters)``, ``stackStatusHandler(status)``,
``getNetworkParameters -> status, nodeType, parameters``,
``pollForData(interval, units, failureLimit)``, the four ``*283k1`` frames and
their handlers' ``status`` first argument), EmberNodeType (ROUTER 0x02,
END_DEVICE 0x03 = receiver on when idle, SLEEPY_END_DEVICE 0x04) and the
EmberStatus values (NETWORK_UP 0x90, NETWORK_DOWN 0x91, JOIN_FAILED 0x94,
CANNOT_JOIN_AS_ROUTER 0x98, NODE_ID_CHANGED 0x99 to NETWORK_CLOSED 0x9D,
NO_BEACONS 0xAB, NO_NETWORK_KEY_RECEIVED 0xAD). Against ZigBee SE 1.x's Key
Establishment cluster: the command ids and payloads (Initiate: suite, ephemeral
data generate time, confirm key generate time, identity; Terminate: status,
wait time, suite) and the Terminate status codes 0x01 to 0x06.
Against Silicon Labs' gecko_sdk (docs/radio-conformance.md):
generateCbkeKeys283k1 and calculateSmacs283k1 answer OPERATION_IN_PROGRESS, the result is the
handler's; an active scan reports a channel it could not scan and goes on
until a SUCCESS completion; setConfigurationValue and addEndpoint answer an
EzspStatus; JOIN_FAILED is a join that failed (a full hub's refused
association), CANNOT_JOIN_AS_ROUTER a ZigBee / ZigBee PRO mismatch (both make
a router join fall back to an end device; an end device refused with
JOIN_FAILED stays "join_refused").
Assumed (no real Comms Hub or NCP trace here): which transient statuses a
real NCP emits during a join; that the responder's advertised times are the right base
for the initiator's waits (the usual reading of the SE text); the margin and
bound; the Wait Time we put in our Terminate (:data:`_KE_WAIT_TIME`); No
Resources for our own library's failures; and that a one-minute
``pollForData`` keeps an end device in the hub's child table.

GBCS requires CBKE on the SMHAN, and Silicon Labs' Smart Energy servers drop
unencrypted unicasts on their Smart Energy clusters: a hub that has no Key
Establishment cluster (Match_Desc finds none) or answers it with "unsupported
command" is ``JoinError("no_cbke")``, not a mode. docs/radio-conformance.md
lists every rule of this kind with its source.

No secret leaves this module: the install code and link key are never logged
(the serial stack's debug log is muted while the install code is read and the key
is handed to the radio), and :class:`HanNetwork` holds only addresses.

This module must never import Home Assistant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
import contextlib
import copy
import dataclasses
from dataclasses import dataclass
import logging
import string
from typing import TYPE_CHECKING, Any, Final, cast

import zigpy.application
import zigpy.config as zconf
import zigpy.device
import zigpy.endpoint
import zigpy.exceptions
import zigpy.state
import zigpy.types as t
import zigpy.util
import zigpy.zdo.types as zdo_t

from .errors import HanError, HanTimeout
from .ezsp_versions import (
    SL_STATUS_VERSION,
    normalise,
    status_text,
    v4_callback,
    v14_arguments,
)
from .radio import (
    DEFAULT_BAUDRATE,
    FlowControl,
    RadioError,
    check_ezsp_version,
    serial_log_muted,
)

if TYPE_CHECKING:
    from .capture import PcapWriter
    from .transcript import JoinTranscript

__all__ = [
    "DISCOVERY_WINDOW",
    "END_DEVICE_POLL_MINUTES",
    "JOIN_REASONS",
    "JOIN_TIMEOUT",
    "KE_ATTEMPTS",
    "KE_ECC_WAIT",
    "KE_MARGIN",
    "KE_MAX_WAIT",
    "KE_RETRY_WAIT",
    "NODE_TYPES",
    "ZDO_ATTEMPTS",
    "EzspHanApplication",
    "HanNetwork",
    "JoinError",
    "PartnerKeysPendingError",
    "join_han",
    "ke_step_timeout",
    "leave_han",
    "open_radio",
    "open_timeout",
    "parse_hub_id",
    "parse_install_code",
]

_LOGGER = logging.getLogger(__name__)

_t: Any = t
_zdo_t: Any = zdo_t

JOIN_TIMEOUT: Final = 120.0
"""Seconds :func:`join_han` may take in all."""
OPEN_TIMEOUT: Final = 60.0
"""Seconds :func:`open_radio` may take to resume the network and discover."""
LEAVE_TIMEOUT: Final = 30.0
DISCOVERY_WINDOW: Final = 5.0
"""Seconds to collect the answers to the broadcast Match_Desc (less when the hub
and an electricity meter have answered)."""
DISCOVERY_RETRIES: Final = 1
"""Broadcasts sent again when no electricity meter answered the first."""
ZDO_ATTEMPTS: Final = 3
"""Times a ZDO request of the join (the hub's IEEE address, its Key
Establishment endpoint, a meter's IEEE address, the Key Establishment binding)
is sent before the step is left for the next start: an answer may be lost, and
Silicon Labs' joining device retries each step up to three times
(smart-energy-registration.h: ..._ERROR_LIMIT)."""
_ZDO_ROUTER: Final = 1  # Neighbor.device_type: 0 coordinator, 1 router, 2 end device
REQUEST_TIMEOUT: Final = 10.0
"""Seconds for one ZDO or key establishment answer, or a send to be confirmed."""
SCAN_DURATION: Final = 4
"""Active scan duration exponent: (2**n + 1) x 15.36 ms per channel (261 ms; about
4 s for the 16 channels), the default of Silicon Labs' network steering for a
joining device (gecko_sdk ``network-steering-config.h``)."""

JOIN_REASONS: Final = (
    "no_network",
    "join_refused",
    "join_window_closed",
    "no_certificate",
    "cbke_failed",
    "no_cbke",
    "hub_certificate",
    "hub_not_found",
    "certificate_not_this_radio",
    "no_key_table",
)

CONF_HAN_NETWORK: Final = "smets_han_network"
CONF_CAPTURE: Final = "smets_capture"
CONF_BAUDRATE: Final = "smets_baudrate"
CONF_FLOW_CONTROL: Final = "smets_flow_control"

SE_PROFILE: Final = 0x0109
BASIC: Final = 0x0000
TIME: Final = 0x000A
PRICE: Final = 0x0700
METERING: Final = 0x0702
MESSAGING: Final = 0x0703
PREPAYMENT: Final = 0x0705
DEVICE_MANAGEMENT: Final = 0x0708
EVENTS: Final = 0x0709
KEY_ESTABLISHMENT: Final = 0x0800
HUB_NWK: Final = 0x0000
CAD_ENDPOINT: Final = 1
_CAD_DEVICE_ID: Final = 0x0502  # ZSE In-Premise Display (0x0503 is a thermostat)
CAD_SERVER_CLUSTERS: Final = (BASIC, KEY_ESTABLISHMENT)
CAD_CLIENT_CLUSTERS: Final = (
    BASIC,
    TIME,
    PRICE,
    METERING,
    MESSAGING,
    PREPAYMENT,
    DEVICE_MANAGEMENT,
    EVENTS,
    KEY_ESTABLISHMENT,
)
"""The clusters the CAD's endpoint uses as a client (its simple descriptor's
output clusters): a meter binds and matches against them."""
SE_SECURED_CLUSTERS: Final = frozenset(
    {
        0x000A,  # Time
        0x0015,  # Commissioning
        0x0019,  # OTA Upgrade
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
"""Smart Energy clusters whose unicasts must be APS-encrypted (SE 1.x section
5.4.6, as Silicon Labs' framework lists them): a frame on one of them that
arrives without APS encryption is dropped and counted, never handed on."""
PUSHED_CLUSTERS: Final = (PRICE, METERING, MESSAGING, PREPAYMENT, EVENTS)
"""Clusters whose servers push to bound clients: the CAD binds each of them
that a meter's endpoint serves (where the meter refuses, it must poll)."""
KEY_TABLE_SIZE: Final = 4
ADDRESS_TABLE_SIZE: Final = 8
"""Address table entries the radio has (EMBER_ADDRESS_TABLE_SIZE's default,
ember-configuration-defaults.h): one per partner meter."""
"""Key table entries configured in the radio (CONFIG_KEY_TABLE_SIZE) before the
stack starts: one partner link key per meter, with room to spare."""
_ALL_CHANNELS: Final = 0x07FFF800  # 11-26
_RX_ON_WHEN_IDLE: Final = 0xFFFD
_STACK_PROFILE_PRO: Final = 2
_SUITE_283K1: Final = 0x0002
_CERTIFICATE: Final = 74
_SUBJECT_AT: Final = 28
"""Where a sect283k1 implicit certificate holds its subject (EUI64, big-endian):
after type, serial, curve, hash, issuer, valid-from and valid-to."""
_EPHEMERAL: Final = 37
_SMAC: Final = 16

KE_MARGIN: Final = 10.0
"""Seconds added to the hub's advertised CBKE generate times to wait for its answer
(Silicon Labs' key-establishment plugin: KEY_ESTABLISHMENT_TIMEOUT_BASE_SECONDS)."""
KE_MAX_WAIT: Final = KE_MARGIN + 255
"""The longest a CBKE step waits for the hub: the time it advertises is a uint8,
and Silicon Labs' initiator adds its base to it with no other bound
(key-establishment.c ``setupEventTimeouts`` keeps the sums in 16 bits so
that adding its base to an 8-bit time cannot overflow)."""
KE_EPHEMERAL_TIME: Final = 11
KE_CONFIRM_TIME: Final = 16
"""What we advertise for our ephemeral data and key confirmation (seconds):
Silicon Labs' defaults, 10 and 15 s of elliptic-curve work plus 1 s APS ack."""
KE_ECC_WAIT: Final = {
    "generateCbkeKeys283k1": KE_MARGIN + KE_EPHEMERAL_TIME,
    "calculateSmacs283k1": KE_MARGIN + KE_CONFIRM_TIME,
}
"""Seconds the radio's elliptic-curve work may take (more than 10 s on a slow NCP)."""
KE_ATTEMPTS: Final = 3
"""Key establishment exchanges tried in one join before it is left pending."""
KE_RETRY_WAIT: Final = 10.0
"""Seconds before trying again after a failure the hub gave no Wait Time for
(Silicon Labs: INTERNAL_ERROR_BACK_OFF_TIME)."""
_KE_WAIT_TIME: Final = 30
"""The Wait Time (seconds) in a Terminate Key Establishment we send (Silicon
Labs: BACK_OFF_TIME_REPORTED_TO_PARTNER)."""
_KE_PERMANENT: Final = frozenset({0x01, 0x05, 0x06})
"""Terminate statuses no retry can change: unknown issuer, unsupported suite,
invalid certificate (a development kit's test certificate on a production hub)."""
_KE_COMMANDS: Final = {0x00: "initiate", 0x01: "ephemeral_data", 0x02: "confirm_key"}
ke_retry_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
"""How :func:`_cbke` waits before trying again (the benchmark models the time)."""
KE_RESUME_BUDGET: Final = REQUEST_TIMEOUT + 2 * KE_MAX_WAIT + sum(KE_ECC_WAIT.values())
"""Seconds :func:`open_radio` gives a key establishment the join left pending:
one whole exchange with a hub that advertises the longest times there are
(a hub that answers as Silicon Labs' does takes under a minute)."""
PARTNER_KEYS_BUDGET: Final = 60.0
"""Seconds :func:`open_radio` gives the partner link keys a join left pending."""
_KE_DEADLINE_MARGIN: Final = 5.0
"""Seconds of the join's budget kept back so a key establishment still running
is left pending (the radio stays joined) rather than cut off by the timeout."""

END_DEVICE_POLL_MINUTES: Final = 1
"""How often a radio on the HAN as an end device polls the hub (its parent)."""
NODE_TYPES: Final = ("router", "end_device")
"""How the radio is on the HAN: a router, or (when the hub admits no more
routers) a non-sleepy, rx-on-when-idle end device."""

# EmberStatus
_SUCCESS: Final = 0x00
_NETWORK_UP: Final = 0x90
_NETWORK_DOWN: Final = 0x91
_NOT_JOINED: Final = 0x93
_JOIN_FAILED: Final = 0x94
_CANNOT_JOIN_AS_ROUTER: Final = 0x98
_NOT_AS_ROUTER: Final = frozenset({_JOIN_FAILED, _CANNOT_JOIN_AS_ROUTER, _NOT_JOINED})
"""A join as a router failing with these is made again as an end device: a
full hub refuses the association (JOIN_FAILED, "An attempt to join a network
failed"); CANNOT_JOIN_AS_ROUTER is a ZigBee / ZigBee PRO mismatch (gecko_sdk
``error-def.h``). An EZSP v14+ stack reports both as SL_STATUS_NOT_JOINED
(simplicity_sdk ``stack-info.h``: ``sl_zigbee_stack_status_handler`` lists no
JOIN_FAILED), which :func:`.ezsp_versions.ember_status` reads as NOT_JOINED."""
_NO_BEACONS: Final = 0xAB
_LIBRARY_NOT_PRESENT: Final = 0xB5
_OPERATION_IN_PROGRESS: Final = 0xBA
_CBKE_STARTED: Final = frozenset({_OPERATION_IN_PROGRESS, _SUCCESS})
"""What generateCbkeKeys283k1 / calculateSmacs283k1 answer when the work started:
OPERATION_IN_PROGRESS, as the stack documents (SUCCESS taken too)."""
_TRANSIENT_STATUSES: Final = frozenset(
    {
        0x99,  # NODE_ID_CHANGED
        0x9A,  # PAN_ID_CHANGED
        0x9B,  # CHANNEL_CHANGED
        0x9C,  # NETWORK_OPENED
        0x9D,  # NETWORK_CLOSED
    }
)
"""Stack statuses that report a change on a network, never a command's result."""
# bellows configuration and security values (ids from UG100)
_CONFIG_STACK_PROFILE: Final = 0x0C
_CONFIG_SECURITY_LEVEL: Final = 0x0D
_CONFIG_KEY_TABLE_SIZE: Final = 0x1E
_CONFIG_MAX_END_DEVICE_CHILDREN: Final = 0x11
_CONFIG_VALUES: Final = (
    (_CONFIG_STACK_PROFILE, _STACK_PROFILE_PRO, "stack profile"),
    (_CONFIG_SECURITY_LEVEL, 5, "security level"),
    # A router CAD is nobody's parent: a sleepy GSME or another device choosing
    # it would lose its link whenever Home Assistant stops (the firmware
    # default is 6; Silicon Labs' leaf stack configuration has 0)
    (_CONFIG_MAX_END_DEVICE_CHILDREN, 0, "end-device children"),
    # partner link keys with the meters (the trust centre's is not in the table)
    (_CONFIG_KEY_TABLE_SIZE, KEY_TABLE_SIZE, "key table size"),
)
"""setConfigurationValue before the network comes up: (EzspConfigId, value, name)."""
_EZSP_ERROR_INVALID_ID: Final = 0x37
_BAD_ARGUMENT: Final = 0x02
"""SL_STATUS_INVALID_PARAMETER, read as EmberStatus: what an EZSP v14+ NCP answers
both for a configuration id it does not know and for a value out of bounds."""
_APP_LINK_KEY_ESTABLISHED: Final = 0x01  # EmberKeyStatus
_NO_EUI64: Final = "00:00:00:00:00:00:00:00"
_KEY_STATUS: Final = {
    0x04: "the trust centre sent no key (timeout)",
    0x05: "the radio's key table is full",
}
_ZDO_STATUS: Final = {
    0x84: "not supported",
    0x8B: "not permitted",
    0x8C: "its table is full (it holds as many consumer devices as it can)",
    0x8D: "not authorised",
}
_HAVE_PRECONFIGURED_KEY: Final = 0x0100
_VALUE_EXTENDED_SECURITY_BITMASK: Final = 0x0A  # EzspValueId
_EXT_NO_FRAME_COUNTER_RESET: Final = 0x0020  # EmberExtendedSecurityBitmask
_NWK_LEAVE_REQUEST_NOT_ALLOWED: Final = 0x0100
_REQUIRE_ENCRYPTED_KEY: Final = 0x0800
_APS_ENCRYPTION: Final = 0x0020
_APS_RETRY: Final = 0x0040
_APS_ROUTE_DISCOVERY: Final = 0x0100
_ROUTER: Final = 0x02
_END_DEVICE: Final = 0x03  # EmberNodeType: rx-on-when-idle, not sleepy
_NODE_TYPE_IDS: Final = {"router": _ROUTER, "end_device": _END_DEVICE}
_EVENT_MINUTE_TIME: Final = 0x03  # EmberEventUnits
_INIT_PARENT_INFO_IN_TOKEN: Final = 0x0001  # EmberNetworkInitBitmask
_INIT_END_DEVICE_REJOIN_ON_REBOOT: Final = 0x0002
_ACTIVE_SCAN: Final = 0x01
_OUTGOING_DIRECT: Final = 0x00
_MFG_INSTALLATION_CODE: Final = 0x0A
_ZCL_UNSUP_CLUSTER_COMMAND: Final = 0x81
_ZCL_UNSUPPORTED_CLUSTER: Final = 0xC3
_KE_UNKNOWN_ISSUER: Final = 0x01
_KE_BAD_KEY_CONFIRM: Final = 0x02
_KE_BAD_MESSAGE: Final = 0x03
_KE_NO_RESOURCES: Final = 0x04
_KE_UNSUPPORTED_SUITE: Final = 0x05
_KE_STATUS: Final = {
    0x01: "unknown issuer",
    0x02: "bad key confirm",
    0x03: "bad message",
    0x04: "no resources",
    0x05: "unsupported suite",
    0x06: "invalid certificate",
}


class JoinError(RadioError):
    """Joining the hub's HAN failed; :attr:`reason` is one of :data:`JOIN_REASONS`."""

    def __init__(self, reason: str, message: str) -> None:
        """Keep the reason (a translation key for the config flow)."""
        if reason not in JOIN_REASONS:
            msg = f"unknown join failure reason {reason!r}"
            raise ValueError(msg)
        super().__init__(message)
        self.reason = reason


class _PartnerKeyError(Exception):
    """No partner link key with a meter (it refused, or an answer did not come)."""


class PartnerKeysPendingError(RadioError):
    """The radio is on the HAN, but holds no partner link key with the meter yet.

    :attr:`network` is the network as it stands now (a key establishment the
    join left pending may have finished on the way): the caller stores it and
    tries again later (the meter may free a slot, a lost answer come through).
    """

    def __init__(self, message: str, network: HanNetwork) -> None:
        """Keep the network to store."""
        super().__init__(message)
        self.network = network


@dataclass(frozen=True, slots=True)
class HanNetwork:
    """The hub's network as joined: what a restart needs to rejoin without pairing."""

    eui64: str
    """The radio's EUI64 (the network belongs to that radio)."""
    extended_pan_id: str
    pan_id: int
    channel: int
    hub_ieee: str
    cbke: bool
    """True: CBKE completed (every join since it is required). False only in a
    network stored by an older version; :func:`open_radio` refuses it."""
    node_type: str = "router"
    """One of :data:`NODE_TYPES` (networks stored before it existed: "router")."""
    ke_pending: bool = False
    """Joined, key establishment not finished yet: :func:`open_radio` finishes it
    (the supplier's registration is spent, so the radio stays on the HAN)."""
    partner_keys_pending: bool = False
    """Key establishment done, but no partner link key with the electricity
    meter yet (the meter full, an answer lost): :func:`open_radio` asks again
    at every start until one arrives, raising :class:`PartnerKeysPendingError`
    while none does."""

    def __post_init__(self) -> None:
        """Refuse a node type this module does not join as."""
        if self.node_type not in NODE_TYPES:
            msg = f"unknown node type {self.node_type!r}"
            raise ValueError(msg)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (no secrets)."""
        return {
            "eui64": self.eui64,
            "extended_pan_id": self.extended_pan_id,
            "pan_id": self.pan_id,
            "channel": self.channel,
            "hub_ieee": self.hub_ieee,
            "cbke": self.cbke,
            "node_type": self.node_type,
            "ke_pending": self.ke_pending,
            "partner_keys_pending": self.partner_keys_pending,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HanNetwork:
        """Build from :meth:`as_dict`'s output (or an older version's: no node type)."""
        return cls(
            eui64=str(data["eui64"]),
            extended_pan_id=str(data["extended_pan_id"]),
            pan_id=int(data["pan_id"]),
            channel=int(data["channel"]),
            hub_ieee=str(data["hub_ieee"]),
            cbke=bool(data["cbke"]),
            node_type=str(data.get("node_type", "router")),
            ke_pending=bool(data.get("ke_pending", False)),
            partner_keys_pending=bool(data.get("partner_keys_pending", False)),
        )


def parse_hub_id(text: str) -> str:
    """Return the Comms Hub's ID as printed on it, as an EUI64 (``aa:bb:...``).

    GBCS sets the HAN's extended PAN id to the hub's HAN interface IEEE
    address, which is the GPF's entity identifier printed on the hub (CHTS):
    16 hexadecimal digits, most significant first. Spaces, dashes and colons
    between them are allowed. Raises ValueError for anything else.
    """
    cleaned = "".join(text.split()).replace("-", "").replace(":", "")
    if len(cleaned) != 16 or any(ch not in string.hexdigits for ch in cleaned):
        msg = "a Comms Hub ID is 16 hexadecimal digits"
        raise ValueError(msg)
    return ":".join(cleaned[i : i + 2] for i in range(0, 16, 2)).lower()


def parse_install_code(text: str) -> bytes:
    """Return an install code as printed (hex, spaces allowed, CRC included) in bytes.

    The result keeps the CRC (what the link key is hashed from). Raises
    ValueError when it is not hex, not 6, 8, 12 or 16 bytes plus a 2-byte CRC,
    or the CRC (CRC-16/X-25, printed little-endian) does not match.
    """
    cleaned = "".join(text.split()).replace("-", "").replace(":", "")
    try:
        code = bytes.fromhex(cleaned)
    except ValueError as err:
        msg = "an install code is hexadecimal digits"
        raise ValueError(msg) from err
    if len(code) not in (8, 10, 14, 18):
        msg = "an install code has 6, 8, 12 or 16 bytes and a 2-byte CRC"
        raise ValueError(msg)
    crc = 0xFFFF
    for byte in code[:-2]:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    if (crc ^ 0xFFFF).to_bytes(2, "little") != code[-2:]:
        msg = "the install code's CRC does not match (a typing mistake?)"
        raise ValueError(msg)
    return code


def _link_key(code: bytes) -> bytes:
    """Return the preconfigured link key: the AES-MMO hash of the code with its CRC."""
    return bytes(zigpy.util.aes_mmo_hash(code))


async def _unless_lost[T](
    awaitable: Awaitable[T] | asyncio.Future[T], lost: asyncio.Future[Any]
) -> T:
    """Await ``awaitable``, unless ``lost`` ends first: then raise its RadioError."""
    getter = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait(
            (getter, lost), return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        if not getter.done():
            getter.cancel()
    if lost in done:
        lost.result()  # raises the RadioError
    return getter.result()


# --- the radio: bellows' EZSP object, callbacks awaited by name ---------------------


class _Radio:
    """bellows' EZSP protocol on a serial port, with its callbacks awaitable."""

    def __init__(
        self,
        path: str,
        baudrate: int,
        on_lost: Callable[[Exception], None] | None = None,
        flow_control: FlowControl = None,
    ) -> None:
        try:
            from bellows.ezsp import EZSP  # noqa: PLC0415 - only the radio path needs it
        except ImportError as err:  # pragma: no cover - bellows is a requirement
            msg = "bellows is not installed"
            raise RadioError(msg) from err
        self.path = path
        self.ezsp: Any = EZSP(
            {"path": path, "baudrate": baudrate, "flow_control": flow_control},
            application=self,
        )
        self.ezsp.add_callback(self._callback)
        self._waiters: list[
            tuple[frozenset[str], asyncio.Future[tuple[str, list[Any]]]]
        ] = []
        self.listeners: list[Callable[[str, list[Any]], None]] = []
        self.lost: RadioError | None = None
        self.addresses: dict[str, int] = {}
        """The NCP's address table as this host filled it: EUI64 -> index. The
        table is RAM (lost at every reset), and this object lives for one
        open of the radio, so the two stay the same."""
        self._on_lost = on_lost
        self._open = False

    async def open(self) -> None:
        try:
            await self.ezsp.connect(use_thread=False)
        except HanError:
            raise
        except Exception as err:
            msg = f"could not open the radio on {self.path}: {err}"
            raise RadioError(msg) from err
        self._open = True
        check_ezsp_version(int(self.ezsp.ezsp_version))

    async def close(self) -> None:
        self._open = False
        try:
            await self.ezsp.disconnect()
        except Exception:
            _LOGGER.debug("Closing the radio failed", exc_info=True)
        self._fail(RadioError("the radio was closed"))

    def connection_lost(self, exc: Exception | None) -> None:
        """bellows: the serial line went away or the NCP reset by itself."""
        if not self._open:
            return
        self._open = False
        error = RadioError(f"lost the radio on {self.path}: {exc!r}")
        _LOGGER.warning("Lost the EZSP radio on %s: %r", self.path, exc)
        self._fail(error)
        if self._on_lost is not None:
            self._on_lost(error)

    def _fail(self, error: RadioError) -> None:
        if self.lost is None:
            self.lost = error
        waiters, self._waiters = self._waiters, []
        for _, future in waiters:
            if not future.done():
                future.set_exception(error)

    @property
    def sl_status(self) -> bool:
        """Whether the radio speaks EZSP v14+ (sl_status_t statuses, the new frames)."""
        return int(self.ezsp.ezsp_version) >= SL_STATUS_VERSION

    def _callback(self, name: str, args: list[Any]) -> None:
        # The boundary: every version's callback in the v4 order, its statuses
        # as EmberStatus codes (ezsp_versions)
        if self.sl_status:
            args = normalise(v4_callback(name, list(args)))
        for listener in list(self.listeners):
            listener(name, args)
        for names, future in list(self._waiters):
            if name in names and not future.done():
                future.set_result((name, list(args)))
                self._waiters.remove((names, future))
                break

    def expect(self, *names: str) -> asyncio.Future[tuple[str, list[Any]]]:
        """Return a future for the next callback among ``names`` (register before sending)."""
        future: asyncio.Future[tuple[str, list[Any]]] = (
            asyncio.get_running_loop().create_future()
        )
        # A waiter nobody awaits any more (the radio went first) is not an error
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        if self.lost is not None:
            future.set_exception(self.lost)
        else:
            self._waiters.append((frozenset(names), future))
        return future

    def forget(self, future: asyncio.Future[Any]) -> None:
        self._waiters = [(n, f) for n, f in self._waiters if f is not future]
        if not future.done():
            future.cancel()

    async def wait(
        self, future: asyncio.Future[tuple[str, list[Any]]], seconds: float
    ) -> tuple[str, list[Any]]:
        try:
            async with asyncio.timeout(seconds):
                return await future
        finally:
            self.forget(future)

    async def command(self, name: str, **kwargs: Any) -> list[Any]:
        if self.lost is not None:
            raise self.lost
        try:
            # The raw frame: bellows wraps some names (startScan, leaveNetwork)
            # in helpers that wait for callbacks their own way
            if self.sl_status:
                kwargs = v14_arguments(name, kwargs)
            result = await self.ezsp._command(name, **kwargs)  # noqa: SLF001
        except HanError:
            raise
        except Exception as err:
            if self.lost is not None:
                raise self.lost from err
            msg = f"the radio failed {name}: {err!r}"
            raise RadioError(msg) from err
        return normalise(list(result)) if self.sl_status else list(result)

    async def eui64(self) -> t.EUI64:
        (eui64,) = await self.command("getEui64")
        return t.EUI64(eui64)

    async def remember_address(self, eui64: t.EUI64, nwk: int) -> None:
        """Put a partner's EUI64 and node id in the NCP's address table.

        The key table holds partner link keys by EUI64: to APS-encrypt a
        unicast to a node id the stack must find that node's EUI64 in its
        tables, and the Smart Energy framework adds an address table entry
        for each partner as soon as IEEE_addr named it
        (smart-energy-registration.c, ``emberAfAddAddressTableEntry``). The
        table is in RAM, so this is done again after every reset.
        """
        index = self.addresses.get(str(eui64), len(self.addresses))
        if index >= ADDRESS_TABLE_SIZE:
            msg = f"the radio's address table has no room for {eui64}"
            raise RadioError(msg)
        if self.sl_status:
            # EZSP v14+: one frame sets both (bellows/ezsp/v14/commands.py,
            # "Replaces setAddressTableRemoteEui64 and setAddressTableRemoteNodeId")
            (status,) = await self.command(
                "setAddressTableInfo", index=index, eui64=eui64, nwk=_t.NWK(nwk)
            )
        else:
            (status,) = await self.command(
                "setAddressTableRemoteEui64", addressTableIndex=index, eui64=eui64
            )
        if int(status) != _SUCCESS:
            msg = (
                f"the radio refused an address table entry for {eui64}:"
                f" 0x{int(status):02X}"
            )
            raise RadioError(msg)
        if not self.sl_status:
            await self.command(
                "setAddressTableRemoteNodeId", addressTableIndex=index, id=_t.NWK(nwk)
            )
        self.addresses[str(eui64)] = index

    async def secure_as_smart_energy(self) -> None:
        """Set the extended security bitmask as Silicon Labs' SE profile does.

        ``zaNodeSecurityInit`` (gecko_sdk app/framework/security/af-node.c)
        sets the profile's node extended bitmask after the initial security
        state, keeping EXT_NO_FRAME_COUNTER_RESET when the radio had it; for
        "SE Full" that bitmask is NWK_LEAVE_REQUEST_NOT_ALLOWED (simplicity_sdk
        app/framework/security/security-config.h): a router discards network
        Leave commands, so nobody can talk the radio off the HAN, whose
        registration allows one join.
        """
        status, value = await self.command(
            "getValue", valueId=_enum("EzspValueId", _VALUE_EXTENDED_SECURITY_BITMASK)
        )
        old = int.from_bytes(bytes(value), "little") if int(status) == _SUCCESS else 0
        bitmask = _NWK_LEAVE_REQUEST_NOT_ALLOWED | (old & _EXT_NO_FRAME_COUNTER_RESET)
        (status,) = await self.command(
            "setValue",
            valueId=_enum("EzspValueId", _VALUE_EXTENDED_SECURITY_BITMASK),
            value=bitmask.to_bytes(2, "little"),
        )
        if int(status) != _SUCCESS:
            msg = (
                f"the radio refused its extended security bitmask: 0x{int(status):02X}"
            )
            raise RadioError(msg)

    async def configure(self) -> None:
        """Set what a joining ZigBee PRO Smart Energy device needs, add the CAD's endpoint.

        Both answer an EzspStatus (UG100): a value or endpoint the radio refuses
        is a RadioError, before any join, except EZSP_ERROR_INVALID_ID for a
        setting the firmware does not have (Silicon Labs' own host tolerates
        that one: ``af-host.c``, ``emberAfSetEzspConfigValue``). A router CAD
        takes no end-device children (:data:`_CONFIG_VALUES`).
        """
        for config_id, value, name in _CONFIG_VALUES:
            (status,) = await self.command(
                "setConfigurationValue",
                configId=_enum("EzspConfigId", config_id),
                value=value,
            )
            if int(status) == _EZSP_ERROR_INVALID_ID or (
                # v14+ says INVALID_PARAMETER for both; every value here is
                # within its bounds, so it is a setting the firmware lacks
                self.sl_status and int(status) == _BAD_ARGUMENT
            ):
                _LOGGER.info("The radio's firmware has no %s setting", name)
            elif int(status) != _SUCCESS:
                msg = (
                    f"the radio refused its configuration ({name} = {value}):"
                    f" {status_text(int(status))}"
                )
                raise RadioError(msg)
        (status,) = await self.command(
            "addEndpoint",
            endpoint=CAD_ENDPOINT,
            profileId=SE_PROFILE,
            deviceId=_CAD_DEVICE_ID,
            deviceVersion=0,
            inputClusterCount=len(CAD_SERVER_CLUSTERS),
            outputClusterCount=len(CAD_CLIENT_CLUSTERS),
            inputClusterList=list(CAD_SERVER_CLUSTERS),
            outputClusterList=list(CAD_CLIENT_CLUSTERS),
        )
        if int(status) != _SUCCESS:
            msg = (
                f"the radio refused the Smart Energy endpoint {CAD_ENDPOINT}:"
                f" {status_text(int(status))}"
            )
            raise RadioError(msg)

    async def key_table_size(self) -> int:
        """Return the entries the radio's key table has (0: none, or unknown)."""
        status, value = await self.command(
            "getConfigurationValue",
            configId=_enum("EzspConfigId", _CONFIG_KEY_TABLE_SIZE),
        )
        return int(value) if int(status) == _SUCCESS else 0

    async def stack_status(self, command: str, seconds: float, **kwargs: Any) -> int:
        """Send a command answered by stackStatusHandler; return the status that ends it.

        A stack reports changes on the network as they happen: the statuses in
        :data:`_TRANSIENT_STATUSES` (a router hears the network opened or closed
        for joining while it joins, its node id may change) come and go before
        the command's result and are not taken for it. ``seconds`` bounds the
        whole wait.
        """
        statuses: asyncio.Queue[int] = asyncio.Queue()

        def listener(name: str, args: list[Any]) -> None:
            if name == "stackStatusHandler":
                statuses.put_nowait(int(args[0]))

        lost = self.expect("__never__")
        self.listeners.append(listener)
        try:
            (status, *_) = await self.command(command, **kwargs)
            if int(status) != _SUCCESS:
                return int(status)
            async with asyncio.timeout(seconds):
                while True:
                    result = await _unless_lost(statuses.get(), lost)
                    if result not in _TRANSIENT_STATUSES:
                        return result
                    _LOGGER.debug(
                        "Stack status 0x%02X while waiting for %s to finish",
                        result,
                        command,
                    )
        finally:
            self.listeners.remove(listener)
            self.forget(lost)

    async def send(  # noqa: PLR0917 - the fields of an APS frame
        self,
        nwk: int,
        profile: int,
        cluster: int,
        src_ep: int,
        dst_ep: int,
        data: bytes,
        *,
        tag: int,
        options: int = _APS_RETRY | _APS_ROUTE_DISCOVERY,
        broadcast: bool = False,
    ) -> None:
        """Send one APS frame; wait for messageSentHandler (failure: DeliveryError)."""
        from bellows import types as bt  # noqa: PLC0415 - only the radio path needs it

        aps = bt.EmberApsFrame(
            profileId=profile,
            clusterId=cluster,
            sourceEndpoint=src_ep,
            destinationEndpoint=dst_ep,
            options=bt.EmberApsOption(options),
            groupId=0,
            sequence=data[0] if data and profile == 0 else 0,
        )
        sent: asyncio.Future[tuple[str, list[Any]]] = (
            asyncio.get_running_loop().create_future()
        )

        def listener(name: str, args: list[Any]) -> None:
            if name == "messageSentHandler" and int(args[3]) == tag and not sent.done():
                sent.set_result((name, args))

        lost = self.expect("__never__")
        self.listeners.append(listener)
        try:
            if broadcast:
                status, _ = await self.command(
                    "sendBroadcast",
                    destination=nwk,
                    apsFrame=aps,
                    radius=0,
                    messageTag=tag,
                    messageContents=data,
                )
            else:
                status, _ = await self.command(
                    "sendUnicast",
                    type=_enum("EmberOutgoingMessageType", _OUTGOING_DIRECT),
                    indexOrDestination=nwk,
                    apsFrame=aps,
                    messageTag=tag,
                    messageContents=data,
                )
            if int(status) != _SUCCESS:
                msg = f"the radio could not send to 0x{nwk:04X}: status 0x{int(status):02X}"
                raise zigpy.exceptions.DeliveryError(msg, status=int(status))
            async with asyncio.timeout(REQUEST_TIMEOUT):
                _, args = await _unless_lost(sent, lost)
        except TimeoutError as err:
            msg = f"no confirmation of the send to 0x{nwk:04X}"
            raise zigpy.exceptions.DeliveryError(msg) from err
        finally:
            self.listeners.remove(listener)
            self.forget(lost)
            if not sent.done():
                sent.cancel()
        if int(args[4]) != _SUCCESS:
            msg = f"delivery to 0x{nwk:04X} failed: status 0x{int(args[4]):02X}"
            raise zigpy.exceptions.DeliveryError(msg, status=int(args[4]))


def _aps_options(profile: int, cluster: int) -> int:
    """APS options of a unicast: every Smart Energy one is APS-encrypted.

    Key Establishment is the exception (it runs before the link key exists).
    The radio needs a link key with the destination: the trust centre's
    (CBKE) for the hub, a partner link key for a meter (:func:`join_han`).
    """
    options = _APS_RETRY | _APS_ROUTE_DISCOVERY
    if profile == SE_PROFILE and cluster != KEY_ESTABLISHMENT:
        options |= _APS_ENCRYPTION
    return options


def _secured_enough(aps: Any) -> bool:
    """Say whether an incoming frame may be handed on.

    Not when it is a Smart Energy frame that needs APS encryption and arrived
    without it (the stack marks the encrypted ones in the APS options).
    """
    return not (
        int(aps.profileId) == SE_PROFILE
        and int(aps.clusterId) in SE_SECURED_CLUSTERS
        and not int(aps.options) & _APS_ENCRYPTION
    )


def _enum(name: str, value: int) -> Any:
    """Return a bellows named type by name (the names are the same on every leg)."""
    from bellows import types as bt  # noqa: PLC0415 - only the radio path needs it

    return getattr(bt, name)(value)


# --- a small APS/ZDO/ZCL requester over the raw radio (joining only) ----------------


class _Requests:
    """Requests over a :class:`_Radio` whose answers come as incomingMessageHandler."""

    def __init__(self, radio: _Radio) -> None:
        self.radio = radio
        self._tsn = 0x40
        self._tag = 0x80
        self._pending: dict[tuple[int, int], asyncio.Queue[tuple[int, bytes]]] = {}
        self._listening: dict[tuple[int, int], asyncio.Queue[bytes]] = {}
        self.capture: PcapWriter | None = None
        """Where the frames of the join go (a pcap Wireshark opens), if anywhere."""
        self.nwk = 0xFFFE
        self.pan_id = 0
        radio.listeners.append(self._incoming)

    def _capture(  # noqa: PLR0917 - the fields of a frame
        self,
        src: int,
        dst: int,
        profile: int,
        cluster: int,
        src_ep: int,
        dst_ep: int,
        data: bytes,
    ) -> None:
        if self.capture is None or self.capture.closed:
            return
        try:
            self.capture.write(
                _now(),
                src,
                dst,
                src_ep,
                dst_ep,
                profile,
                cluster,
                data,
                pan_id=self.pan_id,
            )
        except ValueError, OSError:
            _LOGGER.debug("Could not write a frame to the capture", exc_info=True)

    def listen(self, cluster: int, sender: int) -> asyncio.Queue[bytes]:
        """Queue every frame ``sender`` sends on ``cluster`` (any sequence number)."""
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._listening[cluster, sender] = queue
        return queue

    def unlisten(self, cluster: int, sender: int) -> None:
        self._listening.pop((cluster, sender), None)

    def next_tsn(self) -> int:
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    def close(self) -> None:
        """Stop looking at the radio's frames."""
        with contextlib.suppress(ValueError):
            self.radio.listeners.remove(self._incoming)

    def _incoming(self, name: str, args: list[Any]) -> None:
        if name != "incomingMessageHandler":
            return
        aps, sender, data = args[1], int(args[4]), bytes(args[7])
        profile, cluster = int(aps.profileId), int(aps.clusterId)
        self._capture(
            sender,
            self.nwk,
            profile,
            cluster,
            int(aps.sourceEndpoint),
            int(aps.destinationEndpoint),
            data,
        )
        listening = self._listening.get((cluster, sender))
        if profile != 0 and listening is not None:
            listening.put_nowait(data)
            return
        if profile == 0 and data:
            key = (cluster, data[0])
        elif len(data) >= 5 or (len(data) >= 3 and not data[0] & 0x04):
            key = (cluster, data[3] if data[0] & 0x04 else data[1])
        else:
            return
        queue = self._pending.get(key)
        if queue is not None:
            queue.put_nowait((sender, data))

    async def request(  # noqa: PLR0917 - the fields of an APS frame
        self,
        nwk: int,
        profile: int,
        cluster: int,
        src_ep: int,
        dst_ep: int,
        payload: bytes,
        *,
        answer_cluster: int,
        tsn: int,
        options: int = _APS_RETRY | _APS_ROUTE_DISCOVERY,
        timeout: float | None = None,  # noqa: ASYNC109 - seconds for the answer
    ) -> tuple[int, bytes]:
        """Send a frame; return (sender, frame) of the answer.

        TimeoutError when none comes in ``timeout`` seconds (default
        :data:`REQUEST_TIMEOUT`).
        """
        queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        key = (answer_cluster, tsn)
        self._pending[key] = queue
        lost = self.radio.expect("__never__")
        try:
            await self.send(
                nwk, profile, cluster, src_ep, dst_ep, payload, options=options
            )
            async with asyncio.timeout(REQUEST_TIMEOUT if timeout is None else timeout):
                return await _unless_lost(queue.get(), lost)
        finally:
            self.radio.forget(lost)
            self._pending.pop(key, None)

    async def send(  # noqa: PLR0917 - the fields of an APS frame
        self,
        nwk: int,
        profile: int,
        cluster: int,
        src_ep: int,
        dst_ep: int,
        payload: bytes,
        *,
        options: int = _APS_RETRY | _APS_ROUTE_DISCOVERY,
    ) -> None:
        """Send a frame that has no answer (DeliveryError when it is not delivered)."""
        self._capture(self.nwk, nwk, profile, cluster, src_ep, dst_ep, payload)
        self._tag = (self._tag + 1) & 0xFF
        await self.radio.send(
            nwk,
            profile,
            cluster,
            src_ep,
            dst_ep,
            payload,
            tag=self._tag,
            options=options,
        )

    async def zdo_broadcast(
        self,
        command: zdo_t.ZDOCmd,
        *args: Any,
        window: float,
        enough: Callable[[int, list[Any]], bool],
    ) -> list[tuple[int, list[Any]]]:
        """Broadcast a ZDO request (to every receiver-on device); collect the answers.

        The answers (sender, fields) are collected for ``window`` seconds, or
        until ``enough(sender, fields)`` says the one that matters came.
        """
        tsn = self.next_tsn()
        payload = bytes((tsn,)) + _t.serialize(list(args), _zdo_types(command))
        queue: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        key = (int(command) | 0x8000, tsn)
        self._pending[key] = queue
        answers: list[tuple[int, list[Any]]] = []
        lost = self.radio.expect("__never__")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + window
        try:
            self._capture(self.nwk, _RX_ON_WHEN_IDLE, 0, int(command), 0, 0, payload)
            self._tag = (self._tag + 1) & 0xFF
            await self.radio.send(
                _RX_ON_WHEN_IDLE,
                0,
                int(command),
                0,
                0,
                payload,
                tag=self._tag,
                options=0,
                broadcast=True,
            )
            while loop.time() < deadline:
                try:
                    async with asyncio.timeout(deadline - loop.time()):
                        sender, data = await _unless_lost(queue.get(), lost)
                except TimeoutError:
                    break
                try:
                    values, _ = _t.deserialize(
                        data[1:], _zdo_types(int(command) | 0x8000)
                    )
                except ValueError, KeyError:
                    continue  # a malformed answer: as if none came
                answers.append((sender, list(values)))
                if enough(sender, list(values)):
                    break
        finally:
            self.radio.forget(lost)
            self._pending.pop(key, None)
        return answers

    async def zdo(self, nwk: int, command: zdo_t.ZDOCmd, *args: Any) -> list[Any]:
        tsn = self.next_tsn()
        payload = bytes((tsn,)) + _t.serialize(list(args), _zdo_types(command))
        _, data = await self.request(
            nwk,
            0,
            int(command),
            0,
            0,
            payload,
            answer_cluster=int(command) | 0x8000,
            tsn=tsn,
        )
        values, _ = _t.deserialize(data[1:], _zdo_types(int(command) | 0x8000))
        return list(values)


def _zdo_types(cluster: int) -> list[Any]:
    _names, types = zdo_t.CLUSTERS[_zdo_t.ZDOCmd(cluster)]
    return list(types)


# --- joining ---------------------------------------------------------------------------


async def join_han(
    path: str,
    *,
    baudrate: int = DEFAULT_BAUDRATE,
    flow_control: FlowControl = None,
    install_code: str | None = None,
    hub_id: str | None = None,
    timeout: float = JOIN_TIMEOUT,  # noqa: ASYNC109 - the documented API
    transcript: JoinTranscript | None = None,
    capture: PcapWriter | None = None,
) -> HanNetwork:
    """Join the Comms Hub's HAN with the radio at ``path``; run CBKE; close the radio.

    ``install_code`` (printed hex, spaces allowed, CRC included) is used when
    given, else the radio's own install-code token. Raises :class:`JoinError`
    (reason in :data:`JOIN_REASONS`), ValueError for an install code that is
    malformed or missing, ``RadioError`` when the radio cannot be opened or
    vanishes, ``HanTimeout`` when it all takes longer than ``timeout`` seconds.
    ``hub_id`` (the Comms Hub's ID printed on it, :func:`parse_hub_id`) limits
    the join to the network whose extended PAN id it is (GBCS: the hub's HAN
    IEEE address); none in range is ``JoinError("hub_not_found")``.

    Once the radio is on the HAN the supplier's registration is spent: key
    establishment that does not finish in time (the hub busy, its answers
    lost) gives a network with ``ke_pending`` rather than an error, and
    :func:`open_radio` finishes it. ``transcript`` (a :class:`JoinTranscript`)
    is filled with each step, whatever the outcome; ``capture`` gets the
    frames exchanged once the radio is on the HAN (key establishment included).
    """
    note = transcript.note if transcript is not None else _no_note
    code = parse_install_code(install_code) if install_code is not None else None
    hub = parse_hub_id(hub_id) if hub_id is not None else None
    note("install_code", source="typed" if code is not None else "radio token")
    if hub is not None:
        note("hub_id", extended_pan_id=hub)
    radio = _Radio(path, baudrate, flow_control=flow_control)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout - _KE_DEADLINE_MARGIN
    try:
        async with asyncio.timeout(timeout):
            await radio.open()
            note("radio_open", ezsp_version=int(radio.ezsp.ezsp_version))
            network = await _join(
                radio,
                code,
                hub_id=hub,
                deadline=deadline,
                transcript=transcript,
                capture=capture,
            )
            note(
                "joined",
                node_type=network.node_type,
                cbke=network.cbke,
                ke_pending=network.ke_pending,
            )
            return network
    except TimeoutError as err:
        note("timeout", seconds=timeout)
        if radio.lost is not None:
            raise radio.lost from err
        msg = f"joining the HAN took longer than {timeout:g} s"
        raise HanTimeout(msg) from err
    except HanError as err:
        note(
            "failed",
            error=type(err).__name__,
            reason=getattr(err, "reason", None),
            message=str(err),
        )
        raise
    finally:
        await radio.close()


def _no_note(step: str, **details: Any) -> None:
    """Note nothing (a join without a transcript)."""


async def _join(
    radio: _Radio,
    code: bytes | None,
    *,
    hub_id: str | None = None,
    deadline: float | None = None,
    transcript: JoinTranscript | None = None,
    capture: PcapWriter | None = None,
) -> HanNetwork:
    note = transcript.note if transcript is not None else _no_note
    eui64 = await radio.eui64()
    note("eui64", eui64=str(eui64))
    try:
        status, certificate = await radio.command("getCertificate283k1")
    except RadioError as err:
        if radio.lost is not None:
            raise
        msg = "the radio's firmware has no Smart Energy (CBKE) support"
        raise JoinError("no_certificate", msg) from err
    note("certificate", status=f"0x{int(status):02X}")
    if int(status) == _LIBRARY_NOT_PRESENT:
        # The firmware was built with the CBKE library stub (gecko_sdk
        # cbke-crypto-engine-283k1-stub.c): the certificate may be there
        msg = (
            "the radio's firmware has no CBKE library (sect283k1): flash a Zigbee"
            " NCP firmware built with it"
        )
        raise JoinError("no_certificate", msg)
    if int(status) != _SUCCESS:
        # EMBER_ERR_FATAL: the certificate token is blank
        msg = "the radio has no Smart Energy certificate (sect283k1)"
        raise JoinError("no_certificate", msg)
    certificate = bytes(certificate)
    # The hub, as CBKE responder, looks the certificate's subject up among the
    # devices it admitted (key-establishment.c checkKeyTable): a certificate
    # for another EUI64 (a stick whose EUI64 was rewritten, as a coordinator
    # backup restore does) would join and then never pass key establishment
    subject = t.EUI64(certificate[_SUBJECT_AT : _SUBJECT_AT + 8][::-1])
    if subject != eui64:
        msg = (
            f"the radio's Smart Energy certificate is for {subject}, but the radio"
            f" is {eui64} (was its EUI64 rewritten?): the hub would refuse it"
        )
        raise JoinError("certificate_not_this_radio", msg)
    if code is None:
        from .radio import decode_install_code  # noqa: PLC0415

        with serial_log_muted():
            token = await radio.ezsp.get_mfg_token(
                _enum("EzspMfgTokenId", _MFG_INSTALLATION_CODE)
            )
        try:
            printed = decode_install_code(bytes(token))
        except ValueError as err:
            msg = f"{err}: enter the install code printed on the radio"
            raise ValueError(msg) from err
        if printed is None:
            msg = "the radio has no install code: enter the one printed on it"
            raise ValueError(msg)
        code = parse_install_code(printed)
    await radio.configure()
    key_table = await radio.key_table_size()
    note("key_table", entries=key_table)
    if key_table == 0:
        # Before the join: the registration is not spent on a radio that could
        # never hold the electricity meter's link key (partner-link-key-exchange.c
        # validateKeyRequest: "an existing entry or an empty entry in the key table")
        msg = (
            "the radio's firmware has no key table for the meter's link key: flash"
            " a Zigbee NCP firmware with one"
        )
        raise JoinError("no_key_table", msg)
    networks = await _scan(radio)
    for found, lqi in networks:
        note(
            "network_found",
            channel=int(found.channel),
            pan_id=f"0x{int(found.panId):04X}",
            extended_pan_id=str(t.EUI64(bytes(found.extendedPanId))),
            allowing_join=bool(found.allowingJoin),
            lqi=lqi,
        )
    if not networks:
        msg = "no ZigBee network found: is the Comms Hub in range?"
        raise JoinError("no_network", msg)
    if hub_id is not None:
        # GBCS: the extended PAN id is the hub's HAN IEEE address, the ID
        # printed on it; a neighbour's hub in range is never joined
        found_ids = [str(t.EUI64(bytes(n.extendedPanId))) for n, _ in networks]
        networks = [
            n for n in networks if str(t.EUI64(bytes(n[0].extendedPanId))) == hub_id
        ]
        if not networks:
            msg = (
                f"no network of the Comms Hub {hub_id} in range (found:"
                f" {', '.join(found_ids)}): check the ID printed on the hub"
            )
            raise JoinError("hub_not_found", msg)
    open_networks = [n for n in networks if n[0].allowingJoin]
    if not open_networks:
        msg = "the Comms Hub is not admitting devices: ask the supplier to add this one"
        raise JoinError("join_window_closed", msg)
    from bellows import types as bt  # noqa: PLC0415

    state = bt.EmberInitialSecurityState(
        bitmask=bt.EmberInitialSecurityBitmask(
            _HAVE_PRECONFIGURED_KEY | _REQUIRE_ENCRYPTED_KEY
        ),
        preconfiguredKey=bt.KeyData(_link_key(code)),
        networkKey=bt.KeyData(bytes(16)),
        networkKeySequenceNumber=0,
        preconfiguredTrustCenterEui64=bt.EUI64.convert("00:00:00:00:00:00:00:00"),
    )
    error: JoinError | None = None
    node_type = "router"
    for found, _lqi in open_networks:
        node_type = "router"
        status = await _join_network(radio, state, found, _ROUTER)
        note("join_network", node_type="router", status=f"0x{status:02X}")
        if status in _NOT_AS_ROUTER:
            # The hub has no room for another router (its association refused:
            # JOIN_FAILED, as when no beacon offers router capacity): a
            # mains-powered CAD joins as an end device that keeps its receiver on
            _LOGGER.info(
                "The Comms Hub admits no more routers: joining as an end device"
            )
            node_type = "end_device"
            status = await _join_network(radio, state, found, _END_DEVICE)
            note("join_network", node_type="end_device", status=f"0x{status:02X}")
        if status == _NETWORK_UP:
            error = None
            break
        if status == _NO_BEACONS:
            error = JoinError(
                "join_window_closed",
                "the Comms Hub stopped admitting devices before the join",
            )
        else:
            error = JoinError(
                "join_refused",
                f"the Comms Hub refused the join (status 0x{status:02X}): is the install"
                " code the one the supplier registered for this radio?",
            )
    if error is not None:
        raise error
    status, joined_type, parameters = await radio.command("getNetworkParameters")
    if int(status) != _SUCCESS:
        msg = f"the radio did not report the network it joined: 0x{int(status):02X}"
        raise RadioError(msg)
    if int(joined_type) != _NODE_TYPE_IDS[node_type]:
        msg = f"the radio joined as node type {int(joined_type)}, not as a {node_type}"
        raise RadioError(msg)
    requests = _Requests(radio)
    if capture is not None:
        (nwk,) = await radio.command("getNodeId")
        requests.capture, requests.nwk = capture, int(nwk)
        requests.pan_id = int(parameters.panId)
    # From here on the supplier's registration is spent: nothing but a refusal
    # for good may end the join without a network (Silicon Labs' joining device
    # retries each step after the join and never drops the network for it)
    extended_pan_id = str(t.EUI64(bytes(parameters.extendedPanId)))
    hub_ieee = await _hub_ieee(requests, deadline)
    if hub_ieee is None:
        # GBCS: the extended PAN id is the hub's HAN IEEE address
        hub_ieee = extended_pan_id
        note("hub", hub_ieee=hub_ieee, source="extended_pan_id")
    else:
        note("hub", hub_ieee=hub_ieee)
    try:
        outcome = await _cbke(
            radio,
            requests,
            certificate,
            hub_ieee=hub_ieee,
            deadline=deadline,
            transcript=transcript,
        )
    except JoinError:
        # The hub refuses this radio for good (or runs no CBKE, which GBCS
        # requires): do not stay half-joined
        if radio.lost is None:
            with contextlib.suppress(HanError, TimeoutError):
                status = await radio.stack_status("leaveNetwork", REQUEST_TIMEOUT)
                note("left_network", status=f"0x{status:02X}")
        raise
    note("key_establishment", outcome=outcome)
    partner_keys_pending = False
    if outcome == "done":
        # Pending: open_radio asks for them once it finished key establishment
        try:
            async with asyncio.timeout_at(deadline):
                await _partner_link_keys(radio, requests, eui64, transcript=transcript)
        except (_PartnerKeyError, TimeoutError) as err:
            if radio.lost is not None:
                raise radio.lost from err
            why = str(err) or "the join ran out of time"
            note("partner_keys_pending", reason=why)
            _LOGGER.warning(
                "Joined the HAN, but no link key with the electricity meter yet"
                " (%s): asking again at the next start",
                why,
            )
            partner_keys_pending = True
    return HanNetwork(
        eui64=str(eui64),
        extended_pan_id=extended_pan_id,
        pan_id=int(parameters.panId),
        channel=int(parameters.radioChannel),
        hub_ieee=hub_ieee,
        cbke=outcome == "done",
        node_type=node_type,
        ke_pending=outcome == "pending",
        partner_keys_pending=partner_keys_pending,
    )


async def _zdo_again(
    requests: _Requests, nwk: int, command: zdo_t.ZDOCmd, *args: Any
) -> list[Any]:
    """Send a ZDO request up to :data:`ZDO_ATTEMPTS` times until it is answered.

    TimeoutError when none answered (a send the radio could not make counts as
    no answer).
    """
    for attempt in range(1, ZDO_ATTEMPTS + 1):
        try:
            return await requests.zdo(nwk, command, *args)
        except TimeoutError, zigpy.exceptions.DeliveryError:
            if requests.radio.lost is not None:
                raise requests.radio.lost from None
            _LOGGER.debug(
                "No %s answer from 0x%04X (attempt %d)", command.name, nwk, attempt
            )
        except RadioError:
            if requests.radio.lost is not None:
                raise
            _LOGGER.debug(
                "%s to 0x%04X not sent (attempt %d)", command.name, nwk, attempt
            )
    msg = f"no {command.name} answer from 0x{nwk:04X}"
    raise TimeoutError(msg)


async def _hub_ieee(requests: _Requests, deadline: float | None) -> str | None:
    """Ask the hub its IEEE address (IEEE_addr_req); None if it does not say."""
    try:
        async with asyncio.timeout_at(deadline):
            hub = await _zdo_again(
                requests, HUB_NWK, zdo_t.ZDOCmd.IEEE_addr_req, _t.NWK(HUB_NWK), 0, 0
            )
    except TimeoutError:
        if requests.radio.lost is not None:
            raise requests.radio.lost from None
        return None
    return str(hub[1]) if int(hub[0]) == 0 else None


async def _join_network(radio: _Radio, state: Any, found: Any, node_type: int) -> int:
    """Set the security state and join ``found`` as ``node_type``; the final status.

    As Silicon Labs' ``zaNodeSecurityInit`` before a join (gecko_sdk
    app/framework/security/af-node.c): the initial security state, the
    profile's extended bitmask, then the key table cleared
    (``sli_zigbee_af_clear_link_key_table``). The key table is a stack token
    that a leave does not clear (token-stack.h ``STACK_KEY_TABLE``): without
    this, partner link keys of earlier networks (a meter exchanged, a stick
    used elsewhere) linger and fill it, and the new meter's key finds no
    entry (KEY_TABLE_FULL). The trust centre link key is not in the table.
    A start that resumes the network (``networkInit``) keeps the table.
    """
    from bellows import types as bt  # noqa: PLC0415

    with serial_log_muted():
        (status,) = await radio.command("setInitialSecurityState", state=state)
    if int(status) != _SUCCESS:
        msg = f"the radio refused the security state: 0x{int(status):02X}"
        raise RadioError(msg)
    await radio.secure_as_smart_energy()
    (status,) = await radio.command("clearKeyTable")
    if int(status) != _SUCCESS:
        # Before joinNetwork: the supplier's registration is not spent
        msg = f"the radio could not clear its key table: {status_text(int(status))}"
        raise RadioError(msg)
    parameters = bt.EmberNetworkParameters(
        extendedPanId=found.extendedPanId,
        panId=found.panId,
        radioTxPower=8,
        radioChannel=found.channel,
        joinMethod=bt.EmberJoinMethod(0),  # MAC association
        nwkManagerId=0,
        nwkUpdateId=0,
        channels=bt.Channels(1 << int(found.channel)),
    )
    return await radio.stack_status(
        "joinNetwork",
        REQUEST_TIMEOUT * 3,
        nodeType=_enum("EmberNodeType", node_type),
        parameters=parameters,
    )


async def _scan(radio: _Radio) -> list[tuple[Any, int]]:
    """Active scan of all channels; ZigBee PRO networks found, best link first.

    A scanCompleteHandler with a status other than SUCCESS is one channel the
    radio could not scan (UG100: "Other error conditions signify a failure to
    scan on the channel specified"): the scan goes on until SUCCESS. Every
    router of a network answers the beacon request: one entry per extended PAN
    id is kept (joining if any of its beacons says so, with its best link), as
    Silicon Labs' network steering keeps one candidate per PAN.
    """
    beacons: list[tuple[Any, int]] = []
    failed: list[tuple[int, int]] = []
    complete: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def listener(name: str, args: list[Any]) -> None:
        if name == "networkFoundHandler":
            beacons.append((args[0], int(args[1])))
        elif name == "scanCompleteHandler" and not complete.done():
            if int(args[1]) == _SUCCESS:
                complete.set_result(None)
            else:
                failed.append((int(args[0]), int(args[1])))

    radio.listeners.append(listener)
    lost = radio.expect("__never__")
    try:
        (status,) = await radio.command(
            "startScan",
            scanType=_enum("EzspNetworkScanType", _ACTIVE_SCAN),
            channelMask=_enum("Channels", _ALL_CHANNELS),
            duration=SCAN_DURATION,
        )
        if int(status) != _SUCCESS:
            msg = f"the radio could not scan: status 0x{int(status):02X}"
            raise RadioError(msg)
        async with asyncio.timeout(REQUEST_TIMEOUT * 3):
            await _unless_lost(complete, lost)
    finally:
        radio.listeners.remove(listener)
        radio.forget(lost)
    for channel, failure in failed:
        _LOGGER.info(
            "The radio could not scan channel %d (status 0x%02X)", channel, failure
        )
    networks: dict[bytes, tuple[Any, int]] = {}
    for found, lqi in beacons:
        if int(found.stackProfile) != _STACK_PROFILE_PRO:
            continue
        key = bytes(found.extendedPanId)
        best = networks.get(key)
        # A beacon admitting joins beats one that does not, then the better link
        if best is None or (bool(found.allowingJoin), lqi) > (
            bool(best[0].allowingJoin),
            best[1],
        ):
            networks[key] = (found, lqi)
    return sorted(networks.values(), key=lambda n: -n[1])


def ke_step_timeout(advertised: int) -> float:
    """Seconds to wait for the hub's answer to a CBKE step it says takes ``advertised`` s.

    The hub's Initiate Key Establishment Response advertises how long it takes
    to generate its ephemeral data and its key confirmation; the wait is that
    plus :data:`KE_MARGIN` (Silicon Labs' key-establishment plugin waits its
    10-second base plus the partner's advertised time), never less than
    :data:`REQUEST_TIMEOUT` and never more than :data:`KE_MAX_WAIT`.
    """
    return min(max(float(advertised) + KE_MARGIN, REQUEST_TIMEOUT), KE_MAX_WAIT)


class _KeAbortError(Exception):
    """A CBKE step failed on our side: the hub is told with this Terminate status."""

    def __init__(self, status: int, message: str, reason: str = "cbke_failed") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


_KE_INVALID_KEY_USAGE: Final = 0x06
_CERT_TYPE: Final = 0
_CERT_CURVE: Final = 9
_CERT_HASH: Final = 10
_CERT_ISSUER: Final = slice(11, 19)
_CERT_SUBJECT: Final = slice(28, 36)
_CERT_KEY_USAGE: Final = 36


def check_hub_certificate(
    hub_certificate: bytes, own_certificate: bytes, hub_ieee: str
) -> tuple[int, str] | None:
    """Check the hub's sect283k1 certificate as the reference initiator does.

    Silicon Labs' key-establishment plugin refuses a partner certificate that
    is not an implicit one (type 0x00) on sect283k1 (curve 0x0D) with the
    AES-MMO hash (0x08) and the key-agreement key usage bit (0x08), that
    another CA issued than its own certificate's issuer, or whose subject is
    not the trust centre it runs CBKE with. Returns None when it passes, else
    (the Terminate status to send, what is wrong).
    """
    checks = (
        (hub_certificate[_CERT_TYPE] == 0x00, "it is not an implicit certificate"),
        (hub_certificate[_CERT_CURVE] == 0x0D, "it is not for the sect283k1 curve"),
        (hub_certificate[_CERT_HASH] == 0x08, "it does not use the AES-MMO hash"),
        (
            hub_certificate[_CERT_KEY_USAGE] & 0x08 == 0x08,
            "its key usage is not key agreement",
        ),
    )
    for ok, why in checks:
        if not ok:
            return (
                _KE_INVALID_KEY_USAGE,
                f"the Comms Hub's certificate is refused: {why}",
            )
    if hub_certificate[_CERT_ISSUER] != own_certificate[_CERT_ISSUER]:
        return _KE_UNKNOWN_ISSUER, (
            "the Comms Hub's certificate is refused: another authority issued it"
            " than the radio's (a test certificate and a production one never mix)"
        )
    subject = str(t.EUI64(hub_certificate[_CERT_SUBJECT][::-1]))
    if subject != hub_ieee:
        return _KE_BAD_MESSAGE, (
            f"the Comms Hub's certificate is refused: it is {subject}'s, not the"
            f" hub {hub_ieee}'s"
        )
    return None


class _KeTerminatedError(Exception):
    """The hub ended key establishment (Terminate Key Establishment, server to client)."""

    def __init__(self, status: int, wait: int) -> None:
        super().__init__(
            "the Comms Hub ended key establishment: "
            f"{_KE_STATUS.get(status, f'status 0x{status:02X}')}"
            f" (try again in {wait} s)"
        )
        self.status = status
        self.wait = wait


class _KeUnsupportedError(Exception):
    """The hub answered key establishment with unsupported command or cluster."""


_NO_CBKE: Final = (
    "the Comms Hub did not run key establishment (CBKE), which a GB smart"
    " meter network requires: its meters would not talk to this radio"
)


async def _radio_cbke(
    radio: _Radio, handler: str, command: str, **kwargs: Any
) -> list[Any]:
    """Run one of the radio's CBKE computations; its handler's arguments after status.

    The radio's elliptic-curve work takes seconds: the wait for its handler is
    :data:`KE_ECC_WAIT` (Silicon Labs' base plus what the initiator advertises
    for that step). The radio failing it (a status, or no handler in time) is a
    :class:`_KeAbortError` with No Resources: its CBKE library could not do its part.
    """
    done = radio.expect(handler)
    try:
        (status,) = await radio.command(command, **kwargs)
        # The library queues the work and says OPERATION_IN_PROGRESS; the
        # result is the handler's (gecko_sdk cbke-crypto-engine.h)
        if int(status) not in _CBKE_STARTED:
            msg = f"the radio's CBKE library failed {command}: 0x{int(status):02X}"
            raise _KeAbortError(_KE_NO_RESOURCES, msg)
        try:
            _, args = await radio.wait(done, KE_ECC_WAIT[command])
        except TimeoutError as err:
            msg = f"the radio did not finish {command}"
            raise _KeAbortError(_KE_NO_RESOURCES, msg) from err
    finally:
        radio.forget(done)
    if int(args[0]) != _SUCCESS:
        msg = f"the radio's CBKE library failed {command}: 0x{int(args[0]):02X}"
        raise _KeAbortError(_KE_NO_RESOURCES, msg)
    return list(args[1:])


def _ke_frame(data: bytes) -> tuple[bool, bool, int, bytes] | None:
    """Split a ZCL frame: (cluster-specific, server to client, command id, payload)."""
    if len(data) < 3:
        return None
    control = data[0]
    offset = 5 if control & 0x04 else 3  # manufacturer-specific: 2 more bytes
    if len(data) < offset:
        return None
    return control & 0x03 == 0x01, bool(control & 0x08), data[offset - 1], data[offset:]


class _KeSession:
    """One key establishment exchange with the hub's endpoint, answers matched by command.

    Answers are taken by cluster, sender and command, not by sequence number:
    real devices are careless with it, and a Terminate the hub starts has its
    own. Everything the hub sends on the Key Establishment cluster while the
    exchange runs is looked at, so a Terminate that arrives while the radio
    computes ends the exchange at the next step.
    """

    def __init__(
        self, radio: _Radio, requests: _Requests, hub_ep: int, transcript: Any
    ) -> None:
        self.radio = radio
        self.requests = requests
        self.hub_ep = hub_ep
        self.transcript = transcript
        self.queue = requests.listen(KEY_ESTABLISHMENT, HUB_NWK)
        self.answer_tsn = 0
        """The ZCL sequence number of the hub's last answer."""

    def close(self) -> None:
        self.requests.unlisten(KEY_ESTABLISHMENT, HUB_NWK)

    def _note(self, step: str, **details: Any) -> None:
        if self.transcript is not None:
            self.transcript.note(step, **details)

    async def step(self, command: int, payload: bytes, seconds: float) -> bytes:
        """Send a KE request; the payload of the hub's answer to that command."""
        tsn = self.requests.next_tsn()
        frame = bytes((0x01, tsn, command)) + payload  # cluster-specific, to server
        self._note("ke_send", command=_KE_COMMANDS[command], wait_s=round(seconds, 1))
        await self.requests.send(
            HUB_NWK, SE_PROFILE, KEY_ESTABLISHMENT, CAD_ENDPOINT, self.hub_ep, frame
        )
        lost = self.radio.expect("__never__")
        try:
            async with asyncio.timeout(seconds):
                while True:
                    data = await _unless_lost(self.queue.get(), lost)
                    answer = self._answer(command, data)
                    if answer is not None:
                        self.answer_tsn = data[1]
                        return answer
        except TimeoutError:
            self._note("ke_timeout", command=_KE_COMMANDS[command])
            raise
        finally:
            self.radio.forget(lost)

    def _answer(self, command: int, data: bytes) -> bytes | None:
        """Return the payload if ``data`` answers ``command`` (raise for a Terminate)."""
        parsed = _ke_frame(data)
        if parsed is None:
            self._note("ke_ignored", reason="short frame", length=len(data))
            return None
        specific, to_client, answer_id, body = parsed
        if not specific and answer_id == 0x0B and len(body) >= 2 and body[0] == command:
            self._note(
                "ke_default_response",
                command=_KE_COMMANDS[command],
                status=f"0x{body[1]:02X}",
            )
            if body[1] in (_ZCL_UNSUP_CLUSTER_COMMAND, _ZCL_UNSUPPORTED_CLUSTER):
                raise _KeUnsupportedError
            msg = f"the hub answered key establishment with status 0x{body[1]:02X}"
            raise _KeAbortError(_KE_BAD_MESSAGE, msg)
        if specific and answer_id == 0x03:
            # Whichever direction bit it carries: key-establishment.c
            # commandIsFromOurPartner does not check it for a Terminate
            status = body[0] if body else 0
            wait = body[1] if len(body) >= 2 else int(KE_RETRY_WAIT)
            self._note(
                "ke_terminated_by_hub",
                status=_KE_STATUS.get(status, f"0x{status:02X}"),
                wait_s=wait,
            )
            raise _KeTerminatedError(status, wait)
        if specific and to_client and answer_id == command:
            self._note("ke_answer", command=_KE_COMMANDS[command], length=len(body))
            return body
        self._note("ke_ignored", command_id=answer_id, cluster_specific=specific)
        return None

    async def _acknowledge(self) -> None:
        """End a key establishment that stored the key as the reference initiator does.

        A Default Response SUCCESS to the hub's Confirm Key Data Response, with
        its sequence number (key-establishment.c ``cleanupAndStopWithDelay``:
        the initiator's ``emberAfSendImmediateDefaultResponse(SUCCESS)``). The
        key is stored whatever becomes of this frame.
        """
        frame = bytes((0x10, self.answer_tsn, 0x0B, 0x02, _SUCCESS))
        try:
            await self.requests.send(
                HUB_NWK, SE_PROFILE, KEY_ESTABLISHMENT, CAD_ENDPOINT, self.hub_ep, frame
            )
        except (HanError, zigpy.exceptions.DeliveryError) as err:
            if self.radio.lost is not None:
                raise
            _LOGGER.debug("The Default Response ending key establishment: %s", err)

    async def terminate(self, status: int) -> None:
        """Tell the hub we end the exchange (Terminate Key Establishment, to server)."""
        from .clusters import KeyEstablishment as Ke  # noqa: PLC0415

        tsn = self.requests.next_tsn()
        body = Ke.ServerCommandDefs.terminate_key_establishment.schema(
            status_code=status,
            wait_time=_KE_WAIT_TIME,
            key_establishment_suite=_SUITE_283K1,
        ).serialize()
        self._note(
            "ke_terminate_sent", status=_KE_STATUS.get(status, f"0x{status:02X}")
        )
        # cluster-specific, client to server, as the reference initiator sends
        # it (key-establishment.c sendKeyEstablishMessage)
        frame = bytes((0x01, tsn, 0x03)) + body
        await self.requests.send(
            HUB_NWK, SE_PROFILE, KEY_ESTABLISHMENT, CAD_ENDPOINT, self.hub_ep, frame
        )

    async def run(self, certificate: bytes, hub_ieee: str | None = None) -> bool:
        """One exchange; True when the link key is stored, False: unsupported.

        The hub's certificate is checked as the reference initiator does
        (:func:`check_hub_certificate`, when ``hub_ieee`` is known) as soon as
        it is read: a refusal Terminates the exchange with its status and is a
        :class:`_KeAbortError` with reason "hub_certificate".
        """
        from bellows import types as bt  # noqa: PLC0415

        from .clusters import KeyEstablishment as Ke  # noqa: PLC0415

        radio = self.radio
        # Each exchange starts from the radio's certificate, as the reference
        # initiator's does (and the radio's CBKE library expects)
        status, fresh = await radio.command("getCertificate283k1")
        if int(status) == _SUCCESS:
            certificate = bytes(fresh)
        initiate = Ke.ServerCommandDefs.initiate_key_establishment.schema(
            key_establishment_suite=_SUITE_283K1,
            ephemeral_data_generate_time=KE_EPHEMERAL_TIME,
            confirm_key_generate_time=KE_CONFIRM_TIME,
            identity=certificate,
        ).serialize()
        stored = False
        try:
            try:
                body = await self.step(0x00, initiate, REQUEST_TIMEOUT)
            except _KeUnsupportedError:
                return False
            if len(body) >= 2 and int.from_bytes(body[:2], "little") != _SUITE_283K1:
                msg = (
                    "the Comms Hub answered key establishment with another crypto suite"
                )
                raise _KeAbortError(_KE_UNSUPPORTED_SUITE, msg)
            if len(body) != 4 + _CERTIFICATE:
                msg = "the hub's key establishment answer does not carry a 74-byte certificate"
                raise _KeAbortError(_KE_BAD_MESSAGE, msg)
            ephemeral_wait, confirm_wait = (
                ke_step_timeout(body[2]),
                ke_step_timeout(body[3]),
            )
            self._note("ke_hub_times", ephemeral_s=body[2], confirm_s=body[3])
            _LOGGER.debug(
                "The Comms Hub takes %d s for its ephemeral data and %d s for its key"
                " confirmation: waiting up to %g s and %g s",
                body[2],
                body[3],
                ephemeral_wait,
                confirm_wait,
            )
            hub_certificate = body[4:]
            if hub_ieee is not None and (
                problem := check_hub_certificate(hub_certificate, certificate, hub_ieee)
            ):
                self._note("ke_hub_certificate_refused", reason=problem[1])
                raise _KeAbortError(*problem, reason="hub_certificate")
            started = asyncio.get_running_loop().time()
            (ephemeral,) = await _radio_cbke(
                radio, "generateCbkeKeysHandler283k1", "generateCbkeKeys283k1"
            )
            self._note(
                "ncp_generate_keys",
                seconds=round(asyncio.get_running_loop().time() - started, 2),
            )
            answer = await self.step(0x01, bytes(ephemeral), ephemeral_wait)
            if len(answer) != _EPHEMERAL:
                msg = "the hub's ephemeral key is not 37 bytes"
                raise _KeAbortError(_KE_BAD_MESSAGE, msg)
            started = asyncio.get_running_loop().time()
            initiator_smac, responder_smac = await _radio_cbke(
                radio,
                "calculateSmacsHandler283k1",
                "calculateSmacs283k1",
                amInitiator=True,
                partnerCertificate=bt.EmberCertificate283k1Data(hub_certificate),
                partnerEphemeralPublicKey=bt.EmberPublicKey283k1Data(answer),
            )
            self._note(
                "ncp_calculate_smacs",
                seconds=round(asyncio.get_running_loop().time() - started, 2),
            )
            answer = await self.step(0x02, bytes(initiator_smac), confirm_wait)
            if len(answer) != _SMAC:
                msg = "the hub's key confirmation is not 16 bytes"
                raise _KeAbortError(_KE_BAD_MESSAGE, msg)
            if answer != bytes(responder_smac):
                msg = "the Comms Hub's key confirmation does not match"
                raise _KeAbortError(_KE_BAD_KEY_CONFIRM, msg)
            (status,) = await radio.command(
                "clearTemporaryDataMaybeStoreLinkKey283k1", storeLinkKey=True
            )
            if int(status) != _SUCCESS:
                msg = (
                    f"the radio could not store the CBKE link key: 0x{int(status):02X}"
                )
                raise _KeAbortError(_KE_NO_RESOURCES, msg)
            stored = True
            self._note("ke_link_key_stored")
            await self._acknowledge()
        except _KeAbortError as err:
            _LOGGER.info("Key establishment failed (%s): terminating it", err)
            self._note("ke_failed_here", reason=str(err))
            if radio.lost is None:
                with contextlib.suppress(HanError, zigpy.exceptions.DeliveryError):
                    await self.terminate(err.status)
            raise
        finally:
            if not stored and radio.lost is None:
                with contextlib.suppress(HanError):
                    await radio.command(
                        "clearTemporaryDataMaybeStoreLinkKey283k1", storeLinkKey=False
                    )
        return True


async def _cbke(
    radio: _Radio,
    requests: _Requests,
    certificate: bytes,
    *,
    hub_ieee: str | None = None,
    deadline: float | None = None,
    transcript: Any = None,
) -> str:
    """Run CBKE with the hub, retrying as Silicon Labs' initiator does.

    Returns "done" (the link key is stored) or "pending" (it did not complete
    by ``deadline``, loop time, or in :data:`KE_ATTEMPTS` attempts, or the hub
    did not say which endpoint serves it: the radio is on the HAN and the
    exchange is finished after the next start). A hub's
    Terminate is followed by its Wait Time, a timeout or our own failure by
    :data:`KE_RETRY_WAIT`. Raises JoinError when retrying cannot help:
    "no_cbke" when the hub does not do key establishment (no Key
    Establishment cluster, or "unsupported" answers: GBCS requires it),
    "hub_certificate" when the hub's certificate is one the reference
    initiator refuses (:func:`check_hub_certificate`, with ``hub_ieee``),
    "cbke_failed" when the hub refuses us for good (unknown issuer, invalid
    certificate, unsupported suite).
    """

    def note(step: str, **details: Any) -> None:
        if transcript is not None:
            transcript.note(step, **details)

    try:
        async with asyncio.timeout_at(deadline):
            match = await _zdo_again(
                requests,
                HUB_NWK,
                zdo_t.ZDOCmd.Match_Desc_req,
                _t.NWK(HUB_NWK),
                SE_PROFILE,
                [KEY_ESTABLISHMENT],
                [],
            )
    except TimeoutError:
        if radio.lost is not None:
            raise radio.lost from None
        # Silent, not a refusal: the exchange is left for the next start
        note("ke_hub_silent")
        return "pending"
    if int(match[0]) != 0 or not match[2]:
        note("ke_absent")
        raise JoinError("no_cbke", _NO_CBKE)
    hub_ep = int(match[2][0])
    loop = asyncio.get_running_loop()
    for attempt in range(1, KE_ATTEMPTS + 1):
        note("ke_attempt", attempt=attempt)
        session = _KeSession(radio, requests, hub_ep, transcript)
        wait: float = KE_RETRY_WAIT
        try:
            async with asyncio.timeout_at(deadline):
                if not await session.run(certificate, hub_ieee):
                    note("ke_unsupported")
                    raise JoinError("no_cbke", _NO_CBKE)
            return "done"
        except _KeTerminatedError as err:
            if err.status in _KE_PERMANENT:
                raise JoinError("cbke_failed", str(err)) from err
            _LOGGER.info("%s", err)
            wait = max(float(err.wait), 1.0)
        except _KeAbortError as err:
            if err.reason != "cbke_failed":
                # The hub's certificate: no retry makes it another one
                raise JoinError(err.reason, str(err)) from err
            _LOGGER.info("Key establishment attempt %d failed: %s", attempt, err)
        except TimeoutError:
            if deadline is not None and loop.time() >= deadline:
                note("ke_out_of_time")
                return "pending"
            _LOGGER.info("The Comms Hub did not answer key establishment in time")
        finally:
            session.close()
        if radio.lost is not None:
            raise radio.lost
        if attempt == KE_ATTEMPTS:
            break
        if deadline is not None and loop.time() + wait >= deadline:
            note("ke_out_of_time", wait_s=wait)
            return "pending"
        note("ke_retry_wait", wait_s=wait)
        await ke_retry_sleep(wait)
    note("ke_gave_up", attempts=KE_ATTEMPTS)
    return "pending"


async def _find_partners(requests: _Requests) -> list[tuple[int, int]]:
    """Find the meters to share a partner link key with: [(nwk, endpoint)].

    A broadcast Match_Desc for a Smart Energy Metering server. The hub (the
    trust centre, whose key CBKE gave) is not a partner, nor a sleeping
    device the hub answers for (the GSME talks only to its GPF). The answers
    are collected until such a meter answered for itself, or for
    :data:`DISCOVERY_WINDOW` seconds. A broadcast is not acknowledged, so a
    meter may miss it: as :meth:`EzspHanApplication._discover` does, it is
    sent again (:data:`DISCOVERY_RETRIES`), then each router in the hub's
    neighbour table (Mgmt_Lqi) is asked directly.
    """

    def partner(sender: int, values: list[Any]) -> tuple[int, int] | None:
        nwk = int(values[1])
        if int(values[0]) != 0 or not values[2] or nwk in (HUB_NWK, 0xFFFF):
            return None
        return (nwk, int(values[2][0])) if sender == nwk else None

    found: set[tuple[int, int]] = set()
    for _ in range(1 + DISCOVERY_RETRIES):
        answers = await requests.zdo_broadcast(
            zdo_t.ZDOCmd.Match_Desc_req,
            _t.NWK(_RX_ON_WHEN_IDLE),
            SE_PROFILE,
            [METERING],
            [],
            window=DISCOVERY_WINDOW,
            enough=lambda sender, values: partner(sender, values) is not None,
        )
        found |= {p for sender, values in answers if (p := partner(sender, values))}
        if found:
            return sorted(found)
    for nwk in sorted(await _neighbour_routers(requests) - {requests.nwk}):
        with contextlib.suppress(TimeoutError, zigpy.exceptions.DeliveryError):
            values = await requests.zdo(
                nwk,
                zdo_t.ZDOCmd.Match_Desc_req,
                _t.NWK(nwk),
                SE_PROFILE,
                [METERING],
                [],
            )
            if (p := partner(nwk, values)) is not None:
                found.add(p)
    return sorted(found)


async def _neighbour_routers(requests: _Requests) -> set[int]:
    """Return the routers in the hub's neighbour table (Mgmt_Lqi; none if silent)."""
    routers: set[int] = set()
    start = 0
    while True:
        try:
            values = await requests.zdo(HUB_NWK, zdo_t.ZDOCmd.Mgmt_Lqi_req, start)
        except TimeoutError, zigpy.exceptions.DeliveryError:
            return routers
        if int(values[0]) != 0:
            return routers
        table = values[1]
        entries = list(table.NeighborTableList or [])
        routers |= {
            int(entry.nwk) for entry in entries if int(entry.device_type) == _ZDO_ROUTER
        }
        start += len(entries)
        if not entries or start >= int(table.Entries):
            return routers


async def _partner_link_keys(
    radio: _Radio,
    requests: _Requests,
    own: t.EUI64,
    *,
    transcript: JoinTranscript | None = None,
) -> None:
    """After CBKE with the hub, a partner link key with each meter.

    As Silicon Labs' smart-energy-registration and partner-link-key-exchange
    plugins do it: find the meter, learn its EUI64 (IEEE_addr_req), bind its
    Key Establishment cluster to this radio (the meter accepts when it has room
    for another link key), then ask the trust centre for an application link
    key with it (``requestLinkKey``); ``zigbeeKeyEstablishmentHandler`` says
    whether the key arrived. Without it the meter answers nothing but Default
    Response FAILURE (its Smart Energy clusters need APS encryption).
    ``transcript`` gets each step.
    """
    note = transcript.note if transcript is not None else _no_note
    partners = await _find_partners(requests)
    note(
        "partner_meters_found",
        meters=" ".join(f"0x{nwk:04X}/{endpoint}" for nwk, endpoint in partners),
    )
    if not partners:
        msg = "no electricity meter answered on the HAN: no link key to ask for"
        raise _PartnerKeyError(msg)
    for nwk, endpoint in partners:
        await _partner_link_key(radio, requests, own, nwk, endpoint, note=note)


async def _partner_link_key(
    radio: _Radio,
    requests: _Requests,
    own: t.EUI64,
    nwk: int,
    endpoint: int,
    *,
    note: Callable[..., None] = _no_note,
) -> None:
    """Get a partner link key with the meter at ``nwk`` (its Metering ``endpoint``)."""
    try:
        ieee = await _zdo_again(
            requests, nwk, zdo_t.ZDOCmd.IEEE_addr_req, _t.NWK(nwk), 0, 0
        )
    except TimeoutError as err:
        note("partner_ieee", meter=f"0x{nwk:04X}", status="timeout")
        msg = f"the meter at 0x{nwk:04X} did not say who it is"
        raise _PartnerKeyError(msg) from err
    note("partner_ieee", meter=f"0x{nwk:04X}", status=f"0x{int(ieee[0]):02X}")
    if int(ieee[0]) != 0:
        msg = f"the meter at 0x{nwk:04X} did not say who it is: status {ieee[0]}"
        raise _PartnerKeyError(msg)
    partner = t.EUI64(ieee[1])
    await radio.remember_address(partner, nwk)
    try:
        (status,) = await _zdo_again(
            requests,
            nwk,
            zdo_t.ZDOCmd.Bind_req,
            partner,
            endpoint,
            KEY_ESTABLISHMENT,
            _zdo_t.MultiAddress(addrmode=3, ieee=own, endpoint=CAD_ENDPOINT),
        )
    except TimeoutError as err:
        note("partner_bind", meter=f"0x{nwk:04X}", status="timeout")
        msg = f"the meter {partner} did not answer the link key binding"
        raise _PartnerKeyError(msg) from err
    note("partner_bind", meter=f"0x{nwk:04X}", status=f"0x{int(status):02X}")
    if int(status) != 0:
        why = _ZDO_STATUS.get(int(status), f"status 0x{int(status):02X}")
        msg = f"the meter {partner} refused a link key with this radio: {why}"
        raise _PartnerKeyError(msg)
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def listener(name: str, args: list[Any]) -> None:
        # The partner's EUI64, "or all zeros if the Key establishment failed"
        # (gecko_sdk security.h): one request is outstanding, so a failure
        # with no partner named is this one
        if (
            name == "zigbeeKeyEstablishmentHandler"
            and (
                str(args[0]) == str(partner)
                or (
                    str(args[0]) == _NO_EUI64
                    and int(args[1]) != _APP_LINK_KEY_ESTABLISHED
                )
            )
            and not answer.done()
        ):
            answer.set_result(int(args[1]))

    lost = radio.expect("__never__")
    radio.listeners.append(listener)
    try:
        (status,) = await radio.command("requestLinkKey", partner=partner)
        note("request_link_key", meter=f"0x{nwk:04X}", status=f"0x{int(status):02X}")
        if int(status) != _SUCCESS:
            msg = f"the radio could not ask for a link key: 0x{int(status):02X}"
            raise _PartnerKeyError(msg)
        async with asyncio.timeout(REQUEST_TIMEOUT):
            key_status = await _unless_lost(answer, lost)
    except TimeoutError as err:
        note("partner_link_key", meter=f"0x{nwk:04X}", status="timeout")
        msg = f"the Comms Hub sent no link key for the meter {partner}"
        raise _PartnerKeyError(msg) from err
    finally:
        radio.listeners.remove(listener)
        radio.forget(lost)
    note("partner_link_key", meter=f"0x{nwk:04X}", key_status=f"0x{key_status:02X}")
    if key_status != _APP_LINK_KEY_ESTABLISHED:
        why = _KEY_STATUS.get(key_status, f"key status 0x{key_status:02X}")
        msg = f"no link key with the meter {partner}: {why}"
        raise _PartnerKeyError(msg)
    _LOGGER.info("A link key with the meter %s is in the radio", partner)


async def leave_han(
    path: str, *, baudrate: int = DEFAULT_BAUDRATE, flow_control: FlowControl = None
) -> None:
    """Leave the network cleanly (leaveNetwork, wait NETWORK_DOWN) so the radio forgets it.

    A radio on no network has nothing to leave. Raises ``RadioError`` when the
    radio cannot be opened, ``HanTimeout`` when it does not confirm.
    """
    radio = _Radio(path, baudrate, flow_control=flow_control)
    try:
        async with asyncio.timeout(LEAVE_TIMEOUT):
            await radio.open()
            # The network may be an end device's: resume it with its parent
            # from the token, as connect() does (the bits concern end devices
            # only: EmberNetworkInitBitmask, ember-types.h), else an orphan
            # scan comes first
            status = await radio.stack_status(
                "networkInit",
                REQUEST_TIMEOUT,
                networkInitBitmask=_enum(
                    "EmberNetworkInitBitmask",
                    _INIT_PARENT_INFO_IN_TOKEN | _INIT_END_DEVICE_REJOIN_ON_REBOOT,
                ),
            )
            if status != _NETWORK_UP:
                _LOGGER.debug("No network to leave (0x%02X)", status)
                return
            status = await radio.stack_status("leaveNetwork", REQUEST_TIMEOUT)
            if status not in (_NETWORK_DOWN, _NOT_JOINED):
                msg = f"the radio did not leave the network: 0x{status:02X}"
                raise RadioError(msg)
    except TimeoutError as err:
        if radio.lost is not None:
            raise radio.lost from err
        msg = "the radio did not confirm leaving the network"
        raise HanTimeout(msg) from err
    finally:
        await radio.close()


# --- running on the joined network: a zigpy application ------------------------------


class _ValidatedSchema:
    """zigpy's configuration schema, run once per configuration; our keys pass through.

    (Home Assistant 2026.10's probatio breaks zigpy's schema after 50 uses, so
    the result is cached, as the simulator does.)
    """

    _OURS: Final = (CONF_HAN_NETWORK, CONF_CAPTURE, CONF_BAUDRATE)

    def __init__(self, schema: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._schema = schema
        self._validated: dict[str, dict[str, Any]] = {}

    def __call__(self, config: dict[str, Any]) -> dict[str, Any]:
        rest = {k: v for k, v in config.items() if k not in self._OURS}
        key = repr(rest)
        if key not in self._validated:
            self._validated[key] = self._schema(rest)
        result = copy.deepcopy(self._validated[key])
        result.update({k: config[k] for k in self._OURS if k in config})
        return result


class EzspHanApplication(zigpy.application.ControllerApplication):
    """A zigpy application on an EZSP radio that joined a Comms Hub's network."""

    SCHEMA = cast(
        "Any", _ValidatedSchema(zigpy.application.ControllerApplication.SCHEMA)
    )

    def __init__(self, config: dict[str, Any]) -> None:
        """Take the stored network (and an optional capture) from the config."""
        network = config.get(CONF_HAN_NETWORK)
        if not isinstance(network, HanNetwork):
            msg = f"the EZSP HAN application needs a HanNetwork under {CONF_HAN_NETWORK!r}"
            raise TypeError(msg)
        super().__init__(config)
        self.network: HanNetwork = network
        self.capture: PcapWriter | None = config.get(CONF_CAPTURE)
        self._baudrate = int(config.get(CONF_BAUDRATE, DEFAULT_BAUDRATE))
        self._flow_control: FlowControl = config.get(CONF_FLOW_CONTROL)
        self._radio: _Radio | None = None
        self._nwk = 0xFFFE
        self._tag = 0
        self._zdo_pending: dict[tuple[int, int], asyncio.Queue[t.ZigbeePacket]] = {}
        self.unencrypted_dropped = 0
        """Smart Energy frames dropped because they came without APS encryption."""
        self.unbound: set[tuple[str, int, int]] = set()
        """(EUI64, endpoint, cluster) whose pushes a meter would not bind: poll them."""
        self._running = False
        """True from the network's resumption to the radio's closing."""
        self._rejoin: asyncio.Task[None] | None = None
        self.rejoined = 0
        """How often the radio rejoined the HAN after losing it."""

    # --- the radio ---------------------------------------------------------------

    @property
    def radio(self) -> _Radio:
        """The open radio (RadioError when it is gone)."""
        if self._radio is None:
            msg = "the radio is not open"
            raise RadioError(msg)
        if self._radio.lost is not None:
            raise self._radio.lost
        return self._radio

    async def connect(self) -> None:
        """Open the radio and resume the stored network (networkInit, no pairing)."""
        path = self.config[zconf.CONF_DEVICE][zconf.CONF_DEVICE_PATH]
        radio = _Radio(
            path,
            self._baudrate,
            on_lost=self.connection_lost,
            flow_control=self._flow_control,
        )
        radio.listeners.append(self._ezsp_callback)
        self._radio = radio
        await radio.open()
        eui64 = await radio.eui64()
        if str(eui64) != self.network.eui64:
            msg = f"this radio is {eui64}, the HAN was joined by {self.network.eui64}"
            raise RadioError(msg)
        if not self.network.cbke and not self.network.ke_pending:
            msg = (
                "this HAN was joined without key establishment, which its meters"
                " require: pair the radio again"
            )
            raise RadioError(msg)
        await radio.configure()
        # An end device resumes with the parent it stored and rejoins it
        # (EmberNetworkInitBitmask: PARENT_INFO_IN_TOKEN, END_DEVICE_REJOIN_ON_REBOOT)
        bitmask = (
            _INIT_PARENT_INFO_IN_TOKEN | _INIT_END_DEVICE_REJOIN_ON_REBOOT
            if self.network.node_type == "end_device"
            else 0
        )
        status = await radio.stack_status(
            "networkInit",
            REQUEST_TIMEOUT,
            networkInitBitmask=_enum("EmberNetworkInitBitmask", bitmask),
        )
        if status != _NETWORK_UP:
            msg = f"the radio could not resume the HAN (status 0x{status:02X}): pair it again"
            raise RadioError(msg)
        status, node_type, parameters = await radio.command("getNetworkParameters")
        if (
            str(t.EUI64(bytes(parameters.extendedPanId)))
            != self.network.extended_pan_id
        ):
            msg = "the radio is on another network than the stored HAN"
            raise RadioError(msg)
        if int(node_type) != _NODE_TYPE_IDS[self.network.node_type]:
            msg = (
                f"the radio is on the HAN as node type {int(node_type)}, not as the"
                f" {self.network.node_type} it joined as: pair it again"
            )
            raise RadioError(msg)
        (nwk,) = await radio.command("getNodeId")
        self._nwk = int(nwk)
        if self.network.node_type == "end_device":
            # An end device (receiver on or not) polls its parent now and then:
            # the hub keeps a child that shows it is alive in its child table
            (status,) = await radio.command(
                "pollForData",
                interval=END_DEVICE_POLL_MINUTES,
                units=_enum("EmberEventUnits", _EVENT_MINUTE_TIME),
                failureLimit=3,
            )
            if int(status) != _SUCCESS:
                msg = f"the radio could not start polling the hub: 0x{int(status):02X}"
                raise RadioError(msg)
        if self.network.ke_pending:
            await self._finish_key_establishment(radio)
        if self.network.partner_keys_pending:
            await self._finish_partner_keys(radio)
        self._running = True

    async def _finish_key_establishment(self, radio: _Radio) -> None:
        """Finish the key establishment a join left pending (the radio is on the HAN).

        Done: :attr:`network` says so, with the partner link keys with the
        meters pending (:meth:`_finish_partner_keys` follows, as at the join).
        Still pending: the radio runs without the hub's link key until the next
        start. The hub refusing us for good (its certificate, ours, no CBKE at
        all): RadioError (pair again).
        """
        status, certificate = await radio.command("getCertificate283k1")
        if int(status) != _SUCCESS:
            msg = "the radio has no Smart Energy certificate (sect283k1)"
            raise RadioError(msg)
        requests = _Requests(radio)
        loop = asyncio.get_running_loop()
        try:
            outcome = await _cbke(
                radio,
                requests,
                bytes(certificate),
                hub_ieee=self.network.hub_ieee,
                deadline=loop.time() + KE_RESUME_BUDGET,
            )
            _LOGGER.info("Key establishment left pending at the join: %s", outcome)
        except JoinError as err:
            msg = f"{err}: pair the radio again"
            raise RadioError(msg) from err
        finally:
            requests.close()
        if outcome == "done":
            self.network = dataclasses.replace(
                self.network, cbke=True, ke_pending=False, partner_keys_pending=True
            )

    async def _finish_partner_keys(self, radio: _Radio) -> None:
        """Get the partner link keys the join did not (the radio is on the HAN).

        Done: :attr:`network` says so (the caller stores it). A meter that
        still refuses or does not answer: :class:`PartnerKeysPendingError`
        with the network as it stands, asked again at the next start (the
        supplier's registration is spent: pairing again would not help).
        """
        requests = _Requests(radio)
        try:
            async with asyncio.timeout(PARTNER_KEYS_BUDGET):
                await _partner_link_keys(radio, requests, await radio.eui64())
        except (_PartnerKeyError, TimeoutError) as err:
            if radio.lost is not None:
                raise radio.lost from err
            why = str(err) or "no answer in time"
            msg = f"no link key with the electricity meter yet: {why}"
            raise PartnerKeysPendingError(msg, self.network) from err
        finally:
            requests.close()
        self.network = dataclasses.replace(self.network, partner_keys_pending=False)

    async def disconnect(self) -> None:
        """Close the radio."""
        self._running = False
        if self._rejoin is not None:
            self._rejoin.cancel()
            self._rejoin = None
        if self._radio is not None:
            await self._radio.close()
            self._radio = None

    def connection_lost(self, exc: Exception) -> None:
        """Fail what waits and tell zigpy's listeners: the radio went away."""
        for queue in self._zdo_pending.values():
            queue.put_nowait(cast("Any", None))
        super().connection_lost(exc)

    async def load_network_info(self, *, load_devices: bool = False) -> None:
        """Describe the CAD's place on the hub's network."""
        network = self.network
        self.state.node_info = zigpy.state.NodeInfo(
            nwk=_t.NWK(self._nwk),
            ieee=t.EUI64.convert(network.eui64),
            logical_type=zdo_t.LogicalType.EndDevice
            if network.node_type == "end_device"
            else zdo_t.LogicalType.Router,
            manufacturer="SMETS HAN",
            model="EZSP CAD",
            version="1",
        )
        self.state.network_info = zigpy.state.NetworkInfo(
            extended_pan_id=cast(
                "t.ExtendedPanId", t.ExtendedPanId.convert(network.extended_pan_id)
            ),
            pan_id=_t.PanId(network.pan_id),
            channel=_t.uint8_t(network.channel),
            nwk_manager_id=_t.NWK(HUB_NWK),
            security_level=_t.uint8_t(5),
        )

    async def write_network_info(self, *, network_info: Any, node_info: Any) -> None:
        """Refuse: the hub owns the network, a CAD joins it (see :func:`join_han`)."""
        msg = "a CAD cannot write network settings: join the hub's network instead"
        raise RadioError(msg)

    async def reset_network_info(self) -> None:
        """Refuse: leaving is :func:`leave_han`."""
        msg = "use leave_han to leave the HAN"
        raise RadioError(msg)

    async def permit(self, time_s: int = 60, node: Any = None) -> None:
        """Do nothing: the hub decides who joins (a CAD must not broadcast permits)."""

    async def permit_ncp(self, time_s: int = 60) -> None:
        """Do nothing: joining is the hub's business."""

    async def permit_with_link_key(
        self, node: t.EUI64, link_key: t.KeyData, time_s: int = 60
    ) -> None:
        """Do nothing: joining is the hub's business."""

    async def force_remove(self, dev: Any) -> None:
        """Do nothing: a CAD removes nobody."""

    async def add_endpoint(self, descriptor: Any) -> None:
        """Do nothing: the CAD's endpoint is added when the radio opens."""

    # --- frames ------------------------------------------------------------------

    async def send_packet(self, packet: t.ZigbeePacket) -> None:
        """Send a frame with sendUnicast / sendBroadcast; DeliveryError when it fails."""
        radio = self.radio
        dst = packet.dst
        assert dst is not None
        if dst.addr_mode == t.AddrMode.IEEE:
            nwk = int(self.get_device(ieee=cast("Any", dst.address)).nwk)
        else:
            nwk = int(cast("Any", dst.address))
        broadcast = dst.addr_mode == t.AddrMode.Broadcast or nwk >= 0xFFF8
        if dst.addr_mode == t.AddrMode.Group:
            msg = "a CAD sends no group frames"
            raise zigpy.exceptions.DeliveryError(msg)
        data = packet.data.serialize()
        options = _aps_options(int(packet.profile_id), int(packet.cluster_id))
        if broadcast:
            options = 0
        self._tag = (self._tag + 1) & 0xFF
        self._capture(self._nwk, nwk, packet, data)
        await radio.send(
            nwk,
            int(packet.profile_id),
            int(packet.cluster_id),
            int(packet.src_ep or 0),
            int(packet.dst_ep or 0),
            data,
            tag=self._tag,
            options=options,
            broadcast=broadcast,
        )

    def _ezsp_callback(self, name: str, args: list[Any]) -> None:
        if name == "stackStatusHandler":
            self._stack_status(int(args[0]))
            return
        if name != "incomingMessageHandler":
            return
        aps, lqi, rssi, sender, data = (
            args[1],
            args[2],
            args[3],
            int(args[4]),
            bytes(args[7]),
        )
        if not _secured_enough(aps):
            self.unencrypted_dropped += 1
            _LOGGER.debug(
                "Dropped a frame on cluster 0x%04X from 0x%04X: not APS-encrypted",
                int(aps.clusterId),
                sender,
            )
            return
        packet = t.ZigbeePacket(
            src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(sender)),
            src_ep=_t.uint8_t(int(aps.sourceEndpoint)),
            dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(self._nwk)),
            dst_ep=_t.uint8_t(int(aps.destinationEndpoint)),
            tsn=_t.uint8_t(data[0] if int(aps.profileId) == 0 and data else 0),
            profile_id=_t.uint16_t(int(aps.profileId)),
            cluster_id=_t.uint16_t(int(aps.clusterId)),
            data=t.SerializableBytes(data),
            lqi=_t.uint8_t(int(lqi)),
            rssi=_t.int8s(int(rssi)),
        )
        self._capture(sender, self._nwk, packet, data)
        if not self._running:
            # What connect() finishes itself (key establishment, partner link
            # keys) is answered to its own requests: zigpy is not started yet
            return
        self.packet_received(packet)

    def _capture(self, src: int, dst: int, packet: t.ZigbeePacket, data: bytes) -> None:
        if self.capture is None or self.capture.closed:
            return
        try:
            self.capture.write(
                packet.timestamp.timestamp() if packet.timestamp else _now(),
                src,
                dst,
                int(packet.src_ep or 0),
                int(packet.dst_ep or 0),
                int(packet.profile_id),
                int(packet.cluster_id),
                data,
                pan_id=self.network.pan_id,
            )
        except ValueError, OSError:
            _LOGGER.debug("Could not write a frame to the capture", exc_info=True)

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        """Answers to discovery's ZDO requests go to discovery; the rest to zigpy."""
        if packet.profile_id == 0 and packet.dst_ep == 0:
            data = packet.data.serialize()
            queue = self._zdo_pending.get(
                (int(packet.cluster_id), data[0] if data else -1)
            )
            if queue is not None:
                queue.put_nowait(packet)
                return
        super().packet_received(packet)

    # --- staying on the network ----------------------------------------------------

    def _stack_status(self, status: int) -> None:
        """Take a stack status reported while running: NETWORK_DOWN, rejoin.

        The stack no longer operates the network (the parent gone, a network
        key rotation missed, the hub made it leave) and every send answers
        NETWORK_DOWN: the radio rejoins (:meth:`_rejoin_network`); when it
        cannot, it is given up as lost, so its owner reopens it
        (``networkInit`` resumes the network from the radio's tokens, or says
        to pair again).
        """
        if (
            status != _NETWORK_DOWN
            or not self._running
            or self._radio is None
            or self._rejoin is not None
        ):
            return
        _LOGGER.warning("The radio lost the HAN: rejoining it")
        self._rejoin = asyncio.get_running_loop().create_task(self._rejoin_network())

    async def _rejoin_network(self) -> None:
        """Rejoin securely, else via the Trust Centre; the radio is lost when neither works.

        As gecko_sdk's network-formation.h says of findAndRejoinNetwork: try
        with the current network key first; if that fails (the hub rotated
        the key while the radio was away), rejoin unsecured and the Trust
        Centre sends the current key under the radio's link key.
        """
        radio = self._radio
        if radio is None:
            self._rejoin = None
            return
        try:
            for have_key in (True, False):
                status = await radio.stack_status(
                    "findAndRejoinNetwork",
                    REQUEST_TIMEOUT * 3,
                    haveCurrentNetworkKey=have_key,
                    channelMask=1 << self.network.channel,
                )
                if status == _NETWORK_UP:
                    _LOGGER.info(
                        "Back on the HAN (%s rejoin)",
                        "secure" if have_key else "Trust Centre",
                    )
                    self.rejoined += 1
                    return
            why = f"status 0x{status:02X}"
        except (HanError, TimeoutError) as err:
            if radio.lost is not None:
                return  # the radio itself went: its loss is reported already
            why = str(err) or type(err).__name__
        finally:
            self._rejoin = None
        self._running = False
        error = RadioError(
            "the radio's stack left the HAN (NETWORK_DOWN) and could not rejoin"
            f" it ({why})"
        )
        _LOGGER.warning("%s", error)
        radio.connection_lost(error)

    # --- discovery over the air ---------------------------------------------------

    async def _zdo_send(
        self, nwk: int, command: zdo_t.ZDOCmd, *args: Any
    ) -> tuple[int, asyncio.Queue[t.ZigbeePacket]]:
        tsn = self.get_sequence()
        queue: asyncio.Queue[t.ZigbeePacket] = asyncio.Queue()
        self._zdo_pending[(int(command) | 0x8000, int(tsn))] = queue
        payload = bytes((tsn,)) + _t.serialize(list(args), _zdo_types(int(command)))
        broadcast = nwk >= 0xFFF8
        await self.send_packet(
            t.ZigbeePacket(
                src=t.AddrModeAddress(
                    addr_mode=t.AddrMode.NWK, address=_t.NWK(self._nwk)
                ),
                src_ep=_t.uint8_t(0),
                dst=t.AddrModeAddress(
                    addr_mode=t.AddrMode.Broadcast if broadcast else t.AddrMode.NWK,
                    address=_t.NWK(nwk),
                ),
                dst_ep=_t.uint8_t(0),
                tsn=_t.uint8_t(tsn),
                profile_id=_t.uint16_t(0),
                cluster_id=_t.uint16_t(int(command)),
                data=t.SerializableBytes(payload),
            )
        )
        return int(tsn), queue

    async def _zdo_answer(
        self, queue: asyncio.Queue[t.ZigbeePacket], seconds: float
    ) -> tuple[int, list[Any]]:
        async with asyncio.timeout(seconds):
            packet = await queue.get()
        if packet is None:
            raise self.radio.lost or RadioError("the radio went away")
        data = packet.data.serialize()
        values, _ = _t.deserialize(data[1:], _zdo_types(int(packet.cluster_id)))
        assert packet.src is not None
        return int(cast("Any", packet.src.address)), list(values)

    async def _zdo(self, nwk: int, command: zdo_t.ZDOCmd, *args: Any) -> list[Any]:
        tsn, queue = await self._zdo_send(nwk, command, *args)
        try:
            _, values = await self._zdo_answer(queue, REQUEST_TIMEOUT)
        except TimeoutError as err:
            msg = f"no answer to {command.name} from 0x{nwk:04X}"
            raise RadioError(msg) from err
        finally:
            self._zdo_pending.pop((int(command) | 0x8000, tsn), None)
        if int(values[0]) != 0:
            msg = f"{command.name} to 0x{nwk:04X} failed: status {values[0]}"
            raise RadioError(msg)
        return values

    async def start_network(self) -> None:
        """Find the hub, ESME, GPF and GSME with ZDO over the air; fill ``devices``."""
        cad = self.add_device(self.state.node_info.ieee, self.state.node_info.nwk)
        cad.manufacturer = "SMETS HAN"
        cad.model = "EZSP CAD"
        endpoint = cad.add_endpoint(CAD_ENDPOINT)
        endpoint.profile_id = SE_PROFILE
        endpoint.device_type = cast("Any", _CAD_DEVICE_ID)
        endpoint.status = zigpy.endpoint.Status.ZDO_INIT

        hub_ieee, children = await self._hub_children()
        if hub_ieee != self.network.hub_ieee:
            msg = f"the coordinator is {hub_ieee}, not the Comms Hub {self.network.hub_ieee}"
            raise RadioError(msg)
        found = await self._discover([METERING, KEY_ESTABLISHMENT], children)
        if not found:
            msg = "no Smart Energy device answered on the HAN"
            raise RadioError(msg)
        for nwk, (responder, endpoints) in sorted(found.items()):
            await self._describe(nwk, responder, endpoints)
            if responder == nwk and nwk != HUB_NWK:
                # A meter that answers for itself is a partner: its link key
                # is found through the address table, emptied by the reset
                device: Any = self.get_device(nwk=_t.NWK(nwk))
                await self.radio.remember_address(device.ieee, nwk)
        await self._bind_pushes(found)

    async def _bind_pushes(self, found: dict[int, tuple[int, list[int]]]) -> None:
        """Bind every pushed cluster a meter's endpoint serves to the CAD's endpoint.

        A Smart Energy server sends prices, messages, events and prepayment
        snapshots to the clients in its binding table, so the CAD asks to be in
        it (as smart-energy-registration.c's ``performBinding`` does). A meter
        may refuse (or not answer): :attr:`unbound` keeps those, to be polled.
        A sleeping device the hub answered for is never asked.
        """
        own = self.state.node_info.ieee
        self.unbound.clear()
        for nwk, (responder, _) in sorted(found.items()):
            if responder != nwk:
                continue
            # zigpy 2.x types it BaseDevice, older releases Device: either way a Device
            answered: Any = self.get_device(nwk=_t.NWK(nwk))
            device: zigpy.device.Device = answered
            for endpoint_id, endpoint in sorted(device.endpoints.items()):
                if endpoint_id == 0 or endpoint.profile_id != SE_PROFILE:
                    continue
                for cluster_id in PUSHED_CLUSTERS:
                    if cluster_id not in endpoint.in_clusters:
                        continue
                    try:
                        await self._zdo(
                            nwk,
                            zdo_t.ZDOCmd.Bind_req,
                            device.ieee,
                            endpoint_id,
                            cluster_id,
                            _zdo_t.MultiAddress(
                                addrmode=3, ieee=own, endpoint=CAD_ENDPOINT
                            ),
                        )
                    except RadioError as err:
                        if self.radio.lost is not None:
                            raise
                        _LOGGER.info(
                            "%s endpoint %d did not bind cluster 0x%04X (%s): polling it",
                            device.ieee,
                            endpoint_id,
                            cluster_id,
                            err,
                        )
                        self.unbound.add((str(device.ieee), endpoint_id, cluster_id))

    async def survey(self) -> dict[str, list[int]]:
        """Ask the HAN who serves Smart Energy metering now: {EUI64: endpoint ids}.

        Discovery for the Metering cluster (:meth:`_discover`: the broadcast,
        then the hub's routers and sleeping children asked directly), then each
        answer's EUI64. ``devices`` is left alone: this only says whether a
        meter joined or left.
        """
        _, children = await self._hub_children()
        found = await self._discover([METERING], children)
        survey: dict[str, list[int]] = {}
        for nwk, (responder, endpoints) in sorted(found.items()):
            ieee = await self._zdo(
                responder, zdo_t.ZDOCmd.IEEE_addr_req, _t.NWK(nwk), 0, 0
            )
            survey[str(ieee[1])] = sorted(endpoints)
        return survey

    async def _hub_children(self) -> tuple[str, set[int]]:
        """Return the hub's EUI64 and who should answer a broadcast (its children).

        IEEE_addr (extended) of the hub lists its children; the hub itself is
        one, this radio is not.
        """
        hub = await self._zdo(
            HUB_NWK, zdo_t.ZDOCmd.IEEE_addr_req, _t.NWK(HUB_NWK), 1, 0
        )
        expected = {HUB_NWK} | {int(n) for n in (hub[5] or [])}
        expected.discard(self._nwk)
        return str(hub[1]), expected

    async def _discover(
        self, clusters: list[int], children: set[int]
    ) -> dict[int, tuple[int, list[int]]]:
        """Find who serves ``clusters``: {nwk: (answered by, endpoint ids)}.

        A broadcast Match_Desc reaches the routers (the ESME) and the hub, each
        answering for itself; a parent does not answer a broadcast for its
        sleeping children, and a broadcast is not acknowledged. So: the
        broadcast (collected for :data:`DISCOVERY_WINDOW`, or until the hub
        and an electricity meter answered), again once when no electricity
        meter answered, then a unicast Match_Desc to each router the hub
        lists as a neighbour (Mgmt_Lqi) that did not answer, and one to the
        hub for each of its end-device children (it answers from its
        discovery cache: the GSME is never woken).
        """
        found: dict[int, tuple[int, list[int]]] = {}
        for _ in range(1 + DISCOVERY_RETRIES):
            found.update(await self._match_desc(clusters, set()))
            if _has_electricity_meter(found, children):
                break
        routers = await self._hub_routers()
        for nwk in sorted(routers - set(found) - {self._nwk}):
            answer = await self._match_desc_of(nwk, nwk, clusters)
            if answer:
                found[nwk] = (nwk, answer)
        for nwk in sorted(children - set(found) - {self._nwk, HUB_NWK}):
            answer = await self._match_desc_of(HUB_NWK, nwk, clusters)
            if answer:
                found[nwk] = (HUB_NWK, answer)
        return found

    async def _match_desc_of(
        self, responder: int, nwk: int, clusters: list[int]
    ) -> list[int]:
        """Ask ``responder`` which of ``nwk``'s endpoints serve ``clusters`` ([]: none, or no answer)."""
        try:
            values = await self._zdo(
                responder,
                zdo_t.ZDOCmd.Match_Desc_req,
                _t.NWK(nwk),
                SE_PROFILE,
                clusters,
                [],
            )
        except RadioError, zigpy.exceptions.DeliveryError:
            _LOGGER.debug(
                "No Match_Desc answer from 0x%04X about 0x%04X", responder, nwk
            )
            return []
        return [int(ep) for ep in values[2] or []]

    async def _hub_routers(self) -> set[int]:
        """Return the routers in the hub's neighbour table (Mgmt_Lqi, every page)."""
        routers: set[int] = set()
        start = 0
        while True:
            try:
                values = await self._zdo(HUB_NWK, zdo_t.ZDOCmd.Mgmt_Lqi_req, start)
            except RadioError, zigpy.exceptions.DeliveryError:
                _LOGGER.debug("The Comms Hub did not give its neighbour table")
                return routers
            table = values[1]
            entries = list(table.NeighborTableList or [])
            for entry in entries:
                if int(entry.device_type) == _ZDO_ROUTER:
                    routers.add(int(entry.nwk))
            start += len(entries)
            if not entries or start >= int(table.Entries):
                return routers

    async def _match_desc(
        self, clusters: list[int], expected: set[int]
    ) -> dict[int, tuple[int, list[int]]]:
        """Broadcast a Smart Energy Match_Desc for ``clusters``.

        Who has them answers (the hub for its sleeping GSME); the answers are
        collected until every one of ``expected`` answered or
        :data:`DISCOVERY_WINDOW` passed: {nwk: (answered by, endpoint ids)}.
        """
        tsn, queue = await self._zdo_send(
            _RX_ON_WHEN_IDLE,
            zdo_t.ZDOCmd.Match_Desc_req,
            _t.NWK(_RX_ON_WHEN_IDLE),
            SE_PROFILE,
            clusters,
            [],
        )
        found: dict[int, tuple[int, list[int]]] = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DISCOVERY_WINDOW
        try:
            while loop.time() < deadline and not (
                (expected and expected <= set(found))
                or (not expected and _has_electricity_meter(found, set()))
            ):
                try:
                    responder, values = await self._zdo_answer(
                        queue, deadline - loop.time()
                    )
                except TimeoutError:
                    break
                if int(values[0]) == 0 and values[2]:
                    found[int(values[1])] = (responder, [int(ep) for ep in values[2]])
        finally:
            self._zdo_pending.pop((int(zdo_t.ZDOCmd.Match_Desc_rsp), tsn), None)
        return found

    async def _describe(self, nwk: int, responder: int, endpoints: list[int]) -> None:
        """Ask ``responder`` (the device, or the hub for its GSME) about ``nwk``."""
        node = await self._zdo(responder, zdo_t.ZDOCmd.Node_Desc_req, _t.NWK(nwk))
        ieee = await self._zdo(responder, zdo_t.ZDOCmd.IEEE_addr_req, _t.NWK(nwk), 0, 0)
        device = self.add_device(ieee[1], _t.NWK(nwk))
        device.node_desc = node[2]
        for endpoint_id in endpoints:
            simple = await self._zdo(
                responder, zdo_t.ZDOCmd.Simple_Desc_req, _t.NWK(nwk), endpoint_id
            )
            descriptor = simple[2]
            endpoint = device.add_endpoint(endpoint_id)
            endpoint.profile_id = int(descriptor.profile)
            endpoint.device_type = cast("Any", int(descriptor.device_type))
            for cluster_id in descriptor.input_clusters:
                endpoint.add_input_cluster(int(cluster_id))
            for cluster_id in descriptor.output_clusters:
                endpoint.add_output_cluster(int(cluster_id))
            endpoint.status = zigpy.endpoint.Status.ZDO_INIT


def _has_electricity_meter(
    found: Mapping[int, tuple[int, list[int]]], children: set[int]
) -> bool:
    """Whether the hub and a router other than it (the ESME) answered.

    Only Metering endpoints answer a Match_Desc for Metering; the hub's are its
    GPF (gas), a sleeping child's are the GSME's: the electricity meter is a
    router that answered for itself.
    """
    return HUB_NWK in found and any(
        nwk not in children and nwk != HUB_NWK and responder == nwk
        for nwk, (responder, _) in found.items()
    )


def _now() -> float:
    import time  # noqa: PLC0415

    return time.time()


def open_timeout(network: HanNetwork) -> float:
    """Seconds :func:`open_radio` may take for ``network``.

    :data:`OPEN_TIMEOUT`, plus what finishing a key establishment or the
    partner link keys the join left pending may take.
    """
    seconds = OPEN_TIMEOUT
    if network.ke_pending:
        seconds += KE_RESUME_BUDGET
    if network.ke_pending or network.partner_keys_pending:
        seconds += PARTNER_KEYS_BUDGET
    return seconds


async def open_radio(
    path: str,
    network: HanNetwork,
    *,
    baudrate: int = DEFAULT_BAUDRATE,
    flow_control: FlowControl = None,
    capture: PcapWriter | None = None,
) -> zigpy.application.ControllerApplication:
    """Open the radio, resume ``network`` and discover the meters; return the started app.

    No scan, join or CBKE: the radio resumes the network it stored
    (``networkInit``). ``await HanLink.open(app)`` works on the result and
    ``app.shutdown()`` closes the radio. With ``capture``, every frame crossing
    the radio is written to it. Raises ``RadioError`` when the radio is gone or
    the network cannot be resumed (then pair again),
    :class:`PartnerKeysPendingError` while the meter gives no partner link key
    (try again later), ``HanTimeout`` when it does not finish in
    :func:`open_timeout` seconds.
    """
    config: dict[str, Any] = {
        zconf.CONF_DEVICE: {zconf.CONF_DEVICE_PATH: path},
        zconf.CONF_DATABASE: None,
        zconf.CONF_NWK_BACKUP_ENABLED: False,
        zconf.CONF_TOPO_SCAN_ENABLED: False,
        zconf.CONF_WATCHDOG_ENABLED: False,
        zconf.CONF_OTA: {zconf.CONF_OTA_ENABLED: False},
        CONF_HAN_NETWORK: network,
        CONF_CAPTURE: capture,
        CONF_BAUDRATE: baudrate,
        CONF_FLOW_CONTROL: flow_control,
    }
    app = EzspHanApplication(config)
    try:
        async with asyncio.timeout(open_timeout(network)):
            await app.startup(auto_form=False)
    except TimeoutError as err:
        await app.shutdown(db=False)
        msg = "the radio did not resume the HAN in time"
        raise HanTimeout(msg) from err
    except asyncio.CancelledError:
        # zigpy shuts the radio down on errors, not when its caller is cancelled
        await app.shutdown(db=False)
        raise
    except HanError:
        raise
    except Exception as err:
        radio = app._radio  # noqa: SLF001 - our own application
        if radio is not None and radio.lost is not None:
            raise radio.lost from err
        msg = f"could not start the radio on {path}: {err}"
        raise RadioError(msg) from err
    return app
