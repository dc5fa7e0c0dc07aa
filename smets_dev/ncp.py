"""An emulated Silicon Labs EZSP network co-processor (NCP) with a simulated HAN behind it.

bellows, unmodified, talks to it exactly as to a USB stick: the emulator serves
a pseudo-terminal (bellows opens its ``/dev/pts/N`` like ``/dev/ttyUSB0``) or a
TCP socket on 127.0.0.1 (``socket://127.0.0.1:PORT``, as for a network
coordinator). It is written from the protocol documents, not from bellows:

* ASH (Silicon Labs UG101): frames end with a Flag byte (0x7E); the reserved
  bytes 0x7E, 0x7D, 0x11, 0x13, 0x18 and 0x1A are escaped with 0x7D and bit 5
  flipped; every frame carries a CRC-CCITT (initial value 0xFFFF, big-endian);
  the host resets the link with RST and the NCP answers RSTACK; DATA frames
  carry a 3-bit frame number and the number of the next frame expected
  (``ackNum``), and their payload is XORed with a fixed pseudo-random sequence.
  A Cancel byte (0x1A) drops the frame in progress, a Substitute byte (0x18)
  marks it corrupt, XON/XOFF are flow control. The NCP may have several DATA
  frames unacknowledged (responses and callbacks); a NAK resends them.
* EZSP (Silicon Labs UG100): after a reset the host sends ``version`` in the
  legacy (v4) header ``seq, frameControl, frameId``; the NCP answers with its
  protocol version, and once the host has asked for that version everything
  uses the extended header ``seq, frameControl (2 bytes, format 1), frameId
  (2 bytes, little-endian)``. Callbacks (``stackStatusHandler`` and the other
  handlers) are sent unsolicited after the response, as a UART NCP does.

What it answers: the probe frames (``version``, ``customFrame`` as a firmware
without extensions, ``getEui64``, ``getMfgToken``, ``getCertificate283k1``),
configuration (``setConfigurationValue``, ``setPolicy``, ``addEndpoint``), the
joining device's network frames (``networkState``, ``startScan`` ->
``networkFoundHandler`` + ``scanCompleteHandler``, ``setInitialSecurityState``,
``joinNetwork`` and ``networkInit`` -> ``stackStatusHandler``,
``getNetworkParameters``, ``getNodeId``, ``leaveNetwork``, ``pollForData``
for an end device), messaging
(``sendUnicast`` / ``sendBroadcast`` -> ``messageSentHandler``; what the
meters send comes as ``incomingMessageHandler``) and the CBKE frames of crypto
suite 2 (``generateCbkeKeys283k1`` -> ``generateCbkeKeysHandler283k1``,
``calculateSmacs283k1`` -> ``calculateSmacsHandler283k1``,
``clearTemporaryDataMaybeStoreLinkKey283k1``) and ``requestLinkKey`` ->
``zigbeeKeyEstablishmentHandler`` (a partner link key from the trust centre,
kept in a key table of the size ``CONFIG_KEY_TABLE_SIZE`` gave it; none
unless configured; a partner's key is found through the address table,
``setAddressTableRemoteEui64`` / ``setAddressTableRemoteNodeId``, which a
reset empties, while the key table is tokens: a reset and ``leaveNetwork``
keep it, ``clearKeyTable`` empties it), the binding table (``setBinding`` /
``getBinding`` / ``deleteBinding`` / ``clearBindingTable``: whole
EmberBindingTableEntry records, as many as ``CONFIG_BINDING_TABLE_SIZE``
gives, kept in tokens), ``getValue`` / ``setValue`` of the extended security bitmask
(NWK_LEAVE_REQUEST_NOT_ALLOWED: a router discards a network Leave request,
:meth:`EmulatedNcp.leave_requested`). Configuration values are taken only before the network
is up and forgotten at a reset (UG100). A unicast with APS encryption needs a
link key with its destination (APS_ENCRYPTION_ERROR otherwise); an incoming
frame that came APS-encrypted carries APS_OPTION_ENCRYPTION. The
elliptic-curve arithmetic
is replaced by the deterministic stand-in of :mod:`.cbke`, which the simulated
hub computes too; the order of the CBKE frames and their sizes (certificate 74
bytes, ephemeral key 37, SMAC 16) are checked.

``protocol_version`` (13 unless told; the module's ``DEFAULT_PROTOCOL_VERSION``)
is the EZSP version it speaks. From 14 it speaks EmberZNet 8 / Simplicity SDK
firmware: every status a 4-byte ``sl_status_t`` (simplicity_sdk
``platform/common/inc/sl_status.h``; a failed join is SL_STATUS_NOT_JOINED,
``stack-info.h``), ``sendUnicast`` / ``sendBroadcast`` / ``messageSentHandler``
/ ``incomingMessageHandler`` in their v14 layouts (two-byte tags, the
broadcast alias, the sender's EUI64 and a timestamp), ``leaveNetwork`` with
its options, ``findAndRejoinNetwork`` with a rejoin reason and node type
(an APP_EVENT reason, node type 0 or an end device: ``network-formation.h``),
and ``setAddressTableInfo`` / ``getAddressTableInfo`` in place of the four
address table frames (bellows ``bellows/ezsp/v14/commands.py``).

It checks what it receives (CRC, frame numbers, direction, frame ids,
parameter sizes, the order of joining and CBKE), records every problem in
:attr:`EmulatedNcp.problems` and the name of every command in
:attr:`EmulatedNcp.commands`, and answers a bad or unknown frame the way an NCP
does (NAK, or EZSP ``invalidCommand``).

The HAN behind it
-----------------
``EmulatedNcp(han=HanSimulator(...))`` puts the simulated HAN in radio range:
a scan finds the hub's network, joining asks the hub (:meth:`HanSimulator.join`:
the preconfigured key must be the AES-MMO hash of the install code registered
for this EUI64, the join window open), frames sent go to
:meth:`HanSimulator.transmit` and what the meters answer becomes
``incomingMessageHandler`` callbacks. The joined network is kept like the
radio's tokens: it survives a reset and :meth:`close` / a new :meth:`open_pty`,
so ``networkInit`` resumes it.

Fault knobs (plain attributes; set them before or while the host talks):

* on the radio: ``has_certificate=False`` (a radio without a Smart Energy
  certificate: ERR_FATAL; None: a firmware without the CBKE frames),
  ``cbke_library = False`` (a firmware with the CBKE library stub:
  LIBRARY_NOT_PRESENT), ``scan_failures = {11: MAC_COMMAND_TRANSMIT_FAILURE}``
  (the scan fails on that channel and goes on), ``config_refusals =
  {0x0D: EZSP_ERROR_OUT_OF_MEMORY}`` / ``endpoint_refusal`` (the NCP refuses
  a configuration value or the endpoint), ``install_code=None``
  (no install code token), ``silent=True`` (never answers),
  ``reset_on = "joinNetwork"`` (the NCP resets by itself, RSTACK with a
  watchdog reset code, instead of answering the first command of that name),
  ``unplug_on = "joinNetwork"`` (the serial line goes away: the pty or the TCP
  connection is closed instead of answering), or ``await ncp.unplug()`` at any
  moment; ``transient_statuses = (NETWORK_OPENED, NETWORK_CLOSED)`` (stack
  statuses reported before the result of ``joinNetwork`` / ``networkInit``);
  ``cbke_library_fails = "calculateSmacs283k1"`` (or
  ``"generateCbkeKeys283k1"``: the radio's CBKE library fails that step);
* on the HAN (the :class:`HanSimulator`): ``han.register_device(eui64, code)``
  (the supplier's UpdateHANDeviceLog; opens the join window),
  ``han.join_window_open = False`` (join window closed), ``han.in_range =
  False`` (no network found), a wrong install code (the join is refused),
  ``han.cbke_terminate = ("ephemeral", 0x03)`` (the hub terminates key
  establishment at that step with that status), ``han.cbke_mode =
  "unsupported"`` or ``"absent"`` (a hub that does not run CBKE),
  ``han.router_capacity = 0`` (no room for another router: a join as a router
  gets JOIN_FAILED, one as an end device is admitted),
  ``han.cbke_times = (30, 30)`` (the generate times the hub advertises) and
  ``han.cbke_delays = {"ephemeral": 2.0}`` (the real seconds it takes),
  ``ncp.network_down()`` (the stack loses the network while the host runs),
  ``han.cbke_corrupt = "ephemeral"`` or ``"confirm"`` (a 36-byte ephemeral key,
  a wrong SMAC), ``han.hub_certificate_fault = "issuer"`` (or "subject",
  "key_usage", "curve", "hash", "type": a certificate the initiator must
  refuse), ``han.partner_key_slots = 0`` (the meter has no room for another
  link key: its Bind_req on Key Establishment answers TABLE_FULL),
  ``han.bind_refused = {"esme"}`` (Bind_req NOT_SUPPORTED: no pushes),
  ``han.unencrypted_pushes = True``, ``han.consumer_top_up = False`` (top-up
  over the HAN is the PPMID's), and its radio faults
  (``han.radio_loss(reported=True)``...). docs/radio-conformance.md lists
  the rules and their sources.
  The hub notes the Terminate Key Establishment commands it receives in
  ``han.cbke_terminations``.

Example::

    han = HanSimulator(seed=1)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    async with EmulatedNcp(han=han) as ncp:     # serves ncp.path, a /dev/pts/N
        network = await join_han(ncp.path)      # custom_components.smets.han.ezsp
        app = await open_radio(ncp.path, network)
"""

from __future__ import annotations

import asyncio
import binascii
from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import functools
import logging
import os
import struct
import tty
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self, cast

import zigpy.types as t

from custom_components.smets.han.simulator import cbke

if TYPE_CHECKING:
    from custom_components.smets.han.simulator.app import HanSimulator

__all__ = [
    "DEFAULT_EUI64",
    "DEFAULT_INSTALL_CODE",
    "UNUSED_BINDING",
    "BindingEntry",
    "EmulatedNcp",
    "ash_crc",
    "install_code_crc",
    "install_code_token",
    "pseudo_random_sequence",
]

_LOGGER = logging.getLogger(__name__)
_t: Any = t

# --- ASH -------------------------------------------------------------------

FLAG: Final = 0x7E
ESCAPE: Final = 0x7D
XON: Final = 0x11
XOFF: Final = 0x13
SUBSTITUTE: Final = 0x18
CANCEL: Final = 0x1A
_RESERVED: Final = frozenset({FLAG, ESCAPE, XON, XOFF, SUBSTITUTE, CANCEL})
_FLIP: Final = 0x20

_RST: Final = 0xC0
_RSTACK: Final = 0xC1
_ASH_VERSION: Final = 0x02
RESET_POWER_ON: Final = 0x02
RESET_SOFTWARE: Final = 0x0B

RESET_WATCHDOG: Final = 0x03


def ash_crc(data: bytes) -> int:
    """CRC-CCITT over an ASH frame: polynomial 0x1021, initial value 0xFFFF."""
    return binascii.crc_hqx(data, 0xFFFF)


def pseudo_random_sequence(length: int) -> bytes:
    """Return the sequence DATA payloads are XORed with (an LFSR seeded 0x42)."""
    out = bytearray()
    value = 0x42
    for _ in range(length):
        out.append(value)
        value = (value >> 1) ^ 0xB8 if value & 1 else value >> 1
    return bytes(out)


_RANDOM: Final = pseudo_random_sequence(256)


def _randomise(data: bytes) -> bytes:
    """XOR with the pseudo-random sequence (the same call undoes it)."""
    return bytes(byte ^ mask for byte, mask in zip(data, _RANDOM, strict=False))


def _ash_bytes(frame: bytes) -> bytes:
    """Append the CRC, escape the reserved bytes and end with a Flag."""
    body = frame + ash_crc(frame).to_bytes(2, "big")
    out = bytearray()
    for byte in body:
        if byte in _RESERVED:
            out += bytes((ESCAPE, byte ^ _FLIP))
        else:
            out.append(byte)
    out.append(FLAG)
    return bytes(out)


# --- EZSP ------------------------------------------------------------------

_VERSION: Final = 0x0000
_REQUEST_LINK_KEY: Final = 0x0014
_ZIGBEE_KEY_ESTABLISHMENT_HANDLER: Final = 0x009B
_ADD_ENDPOINT: Final = 0x0002
_GET_MFG_TOKEN: Final = 0x000B
_NETWORK_INIT: Final = 0x0017
_NETWORK_STATE: Final = 0x0018
_STACK_STATUS_HANDLER: Final = 0x0019
_START_SCAN: Final = 0x001A
_NETWORK_FOUND_HANDLER: Final = 0x001B
_SCAN_COMPLETE_HANDLER: Final = 0x001C
_JOIN_NETWORK: Final = 0x001F
_LEAVE_NETWORK: Final = 0x0020
_FIND_AND_REJOIN_NETWORK: Final = 0x0021
_GET_EUI64: Final = 0x0026
_GET_NODE_ID: Final = 0x0027
_GET_NETWORK_PARAMETERS: Final = 0x0028
_POLL_FOR_DATA: Final = 0x0042
_SEND_UNICAST: Final = 0x0034
_SEND_BROADCAST: Final = 0x0036
_SET_ADDRESS_TABLE_REMOTE_EUI64: Final = 0x005C
_SET_ADDRESS_TABLE_REMOTE_NODE_ID: Final = 0x005D
_GET_ADDRESS_TABLE_REMOTE_EUI64: Final = 0x005E
_GET_ADDRESS_TABLE_REMOTE_NODE_ID: Final = 0x005F
_CLEAR_BINDING_TABLE: Final = 0x002A
_SET_BINDING: Final = 0x002B
_GET_BINDING: Final = 0x002C
_DELETE_BINDING: Final = 0x002D
_CLEAR_KEY_TABLE: Final = 0x00B1
_GET_VALUE: Final = 0x00AA
_SET_VALUE: Final = 0x00AB
_MESSAGE_SENT_HANDLER: Final = 0x003F
_INCOMING_MESSAGE_HANDLER: Final = 0x0045
_CUSTOM_FRAME: Final = 0x0047
_SET_CONFIGURATION_VALUE: Final = 0x0053
_GET_CONFIGURATION_VALUE: Final = 0x0052
_SET_POLICY: Final = 0x0055
_INVALID_COMMAND: Final = 0x0058
_SET_INITIAL_SECURITY_STATE: Final = 0x0068
_GENERATE_CBKE_KEYS_283K1: Final = 0x00E8
_GENERATE_CBKE_KEYS_HANDLER_283K1: Final = 0x00E9
_CALCULATE_SMACS_283K1: Final = 0x00EA
_CALCULATE_SMACS_HANDLER_283K1: Final = 0x00EB
_GET_CERTIFICATE_283K1: Final = 0x00EC
_CLEAR_TEMPORARY_DATA_283K1: Final = 0x00EE

DEFAULT_PROTOCOL_VERSION = 13
"""The EZSP version an :class:`EmulatedNcp` speaks unless told (tests run the
radio path at v13 and at a v14+ version by changing it)."""

_VARIABLE: Final = -1
"""Parameter size checked by the command itself."""

_FRAMES: Final[dict[int, tuple[str, int | None]]] = {
    # frame id: (name, parameter bytes; None: one length byte and that many;
    # _VARIABLE: the handler checks)
    _VERSION: ("version", 1),
    _REQUEST_LINK_KEY: ("requestLinkKey", 8),
    _ADD_ENDPOINT: ("addEndpoint", _VARIABLE),
    _GET_MFG_TOKEN: ("getMfgToken", 1),
    _NETWORK_INIT: ("networkInit", 2),
    _NETWORK_STATE: ("networkState", 0),
    _START_SCAN: ("startScan", 6),
    _JOIN_NETWORK: ("joinNetwork", 21),
    _LEAVE_NETWORK: ("leaveNetwork", 0),
    _FIND_AND_REJOIN_NETWORK: ("findAndRejoinNetwork", 5),
    _GET_EUI64: ("getEui64", 0),
    _GET_NODE_ID: ("getNodeId", 0),
    _GET_NETWORK_PARAMETERS: ("getNetworkParameters", 0),
    _POLL_FOR_DATA: ("pollForData", 4),
    _SEND_UNICAST: ("sendUnicast", _VARIABLE),
    _SEND_BROADCAST: ("sendBroadcast", _VARIABLE),
    _SET_ADDRESS_TABLE_REMOTE_EUI64: ("setAddressTableRemoteEui64", 9),
    _SET_ADDRESS_TABLE_REMOTE_NODE_ID: ("setAddressTableRemoteNodeId", 3),
    _GET_ADDRESS_TABLE_REMOTE_EUI64: ("getAddressTableRemoteEui64", 1),
    _GET_ADDRESS_TABLE_REMOTE_NODE_ID: ("getAddressTableRemoteNodeId", 1),
    _CLEAR_BINDING_TABLE: ("clearBindingTable", 0),
    _SET_BINDING: ("setBinding", 1 + 14),  # index, EmberBindingTableEntry
    _GET_BINDING: ("getBinding", 1),
    _DELETE_BINDING: ("deleteBinding", 1),
    _CLEAR_KEY_TABLE: ("clearKeyTable", 0),
    _GET_VALUE: ("getValue", 1),
    _SET_VALUE: ("setValue", _VARIABLE),
    _CUSTOM_FRAME: ("customFrame", None),
    _SET_CONFIGURATION_VALUE: ("setConfigurationValue", 3),
    _GET_CONFIGURATION_VALUE: ("getConfigurationValue", 1),
    _SET_POLICY: ("setPolicy", 2),
    _SET_INITIAL_SECURITY_STATE: ("setInitialSecurityState", 43),
    _GENERATE_CBKE_KEYS_283K1: ("generateCbkeKeys283k1", 0),
    _CALCULATE_SMACS_283K1: (
        "calculateSmacs283k1",
        1 + cbke.CERTIFICATE_LENGTH + cbke.EPHEMERAL_LENGTH,
    ),
    _GET_CERTIFICATE_283K1: ("getCertificate283k1", 0),
    _CLEAR_TEMPORARY_DATA_283K1: ("clearTemporaryDataMaybeStoreLinkKey283k1", 1),
}

_BINDING_FRAMES: Final = frozenset(
    {_CLEAR_BINDING_TABLE, _SET_BINDING, _GET_BINDING, _DELETE_BINDING}
)

_ADDRESS_TABLE_FRAMES: Final = frozenset(
    {
        _SET_ADDRESS_TABLE_REMOTE_EUI64,
        _SET_ADDRESS_TABLE_REMOTE_NODE_ID,
        _GET_ADDRESS_TABLE_REMOTE_EUI64,
        _GET_ADDRESS_TABLE_REMOTE_NODE_ID,
    }
)

_RESPONSE: Final = 0x80  # frame control, low byte: bit 7 set on NCP -> host
_CALLBACK: Final = 0x10  # frame control, low byte: an asynchronous callback
_FORMAT_1: Final = 0x01  # frame control, high byte: extended frame format 1

# EzspStatus values the NCP puts in an invalidCommand frame
ERROR_VERSION_NOT_SET: Final = 0x30
ERROR_INVALID_FRAME_ID: Final = 0x31
ERROR_WRONG_DIRECTION: Final = 0x32
ERROR_TRUNCATED: Final = 0x33
ERROR_COMMAND_TOO_LONG: Final = 0x40
# EzspStatus values configuration frames answer (ezsp-enum.h)
EZSP_ERROR_OUT_OF_MEMORY: Final = 0x35
EZSP_ERROR_INVALID_VALUE: Final = 0x36
EZSP_ERROR_INVALID_ID: Final = 0x37
EZSP_ERROR_INVALID_CALL: Final = 0x38

# EzspConfigId values a stack knows (gecko_sdk protocol/zigbee/app/util/ezsp/ezsp-enum.h)
_CONFIG_IDS: Final = frozenset(
    {
        *range(0x01, 0x09),
        0x0C, 0x0D, 0x10, 0x11, 0x12, 0x13, 0x17, 0x18, 0x19, 0x1A,
        0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x22, 0x24, 0x29, 0x2A, 0x2B,
        0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x33, 0x34, 0x35, 0x36, 0x37,
        0x38, 0x39, 0x40, 0x41, 0x42,
    }
)  # fmt: skip
_CONFIG_SECURITY_LEVEL: Final = 0x0D
CONFIG_MAX_END_DEVICE_CHILDREN: Final = 0x11
CONFIG_ADDRESS_TABLE_SIZE: Final = 0x05
CONFIG_BINDING_TABLE_SIZE: Final = 0x04
CONFIG_KEY_TABLE_SIZE: Final = 0x1E
_CONFIG_DEFAULTS: Final = {
    CONFIG_MAX_END_DEVICE_CHILDREN: 6,
    CONFIG_ADDRESS_TABLE_SIZE: 8,
    CONFIG_BINDING_TABLE_SIZE: 0,
    CONFIG_KEY_TABLE_SIZE: 0,
}
"""What the stack has before the host sets anything (ember-configuration-defaults.h:
EMBER_MAX_END_DEVICE_CHILDREN 6, EMBER_ADDRESS_TABLE_SIZE 8,
EMBER_BINDING_TABLE_SIZE 0: "The default is 0 bindings", EMBER_KEY_TABLE_SIZE 0)."""

# EzspValueId (bellows ``EzspValueId``; gecko_sdk ezsp-enum.h)
VALUE_EXTENDED_SECURITY_BITMASK: Final = 0x0A
# EmberExtendedSecurityBitmask (gecko_sdk protocol/zigbee/stack/include/ember-types.h)
EXT_NO_FRAME_COUNTER_RESET: Final = 0x0020
NWK_LEAVE_REQUEST_NOT_ALLOWED: Final = 0x0100
"""A router with this bit "should discard ... network Leave Commands"."""
# EmberNodeId values of an address table entry (ember-types.h)
UNKNOWN_NODE_ID: Final = 0xFFFD
TABLE_ENTRY_UNUSED_NODE_ID: Final = 0xFFFF

# EmberKeyStatus (zigbeeKeyEstablishmentHandler)
APP_LINK_KEY_ESTABLISHED: Final = 0x01
KEY_ESTABLISHMENT_TIMEOUT: Final = 0x04
KEY_TABLE_FULL: Final = 0x05

# EmberApsOption
APS_OPTION_ENCRYPTION: Final = 0x0020
_APS_OPTION_RETRY: Final = 0x0040

# EmberStatus values
SUCCESS: Final = 0x00
APS_ENCRYPTION_ERROR: Final = 0xA6
ADDRESS_TABLE_INDEX_OUT_OF_RANGE: Final = 0x6A
BINDING_INDEX_OUT_OF_RANGE: Final = 0x69
"""error-def.h: "This binding index is out of range for the current binding table"."""
_ERR_FATAL: Final = 0x01
DELIVERY_FAILED: Final = 0x66
INVALID_CALL: Final = 0x70
NETWORK_UP: Final = 0x90
NETWORK_DOWN: Final = 0x91
NOT_JOINED: Final = 0x93
JOIN_FAILED: Final = 0x94
CANNOT_JOIN_AS_ROUTER: Final = 0x98
NETWORK_OPENED: Final = 0x9C
NETWORK_CLOSED: Final = 0x9D
NO_NETWORK_KEY_RECEIVED: Final = 0xAD
NO_BEACONS: Final = 0xAB
MAC_BAD_SCAN_DURATION: Final = 0x33
MAC_INVALID_CHANNEL_MASK: Final = 0x35
MAC_COMMAND_TRANSMIT_FAILURE: Final = 0x36
"""A channel the NCP could not scan (its beacon request not sent: CCA failed)."""
LIBRARY_NOT_PRESENT: Final = 0xB5
OPERATION_IN_PROGRESS: Final = 0xBA
"""What ``generateCbkeKeys283k1`` and ``calculateSmacs283k1`` answer when they
start (gecko_sdk ``protocol/zigbee/stack/include/cbke-crypto-engine.h``): the
result comes in their handler."""
ERR_FATAL: Final = _ERR_FATAL

# From this EZSP version on every status is a 4-byte sl_status_t
_SL_STATUS_VERSION: Final = 14
_SL_NOT_SUPPORTED: Final = 0x000F
# EmberStatus (gecko_sdk protocol/zigbee/stack/include/error-def.h) -> the
# sl_status_t a v14+ stack reports instead (SiliconLabs/simplicity_sdk
# platform/common/inc/sl_status.h). A failed join is SL_STATUS_NOT_JOINED:
# simplicity_sdk protocol/zigbee/stack/include/stack-info.h lists the
# statuses sl_zigbee_stack_status_handler reports, and JOIN_FAILED is not one.
# Which sl_status_t replaces ADDRESS_TABLE_INDEX_OUT_OF_RANGE (and
# BINDING_INDEX_OUT_OF_RANGE) is assumed
# (INVALID_INDEX, as for INDEX_OUT_OF_RANGE in bellows' SL_STATUS_MAP).
_SL_STATUS: Final[dict[int, int]] = {
    0x00: 0x0000,  # SUCCESS -> SL_STATUS_OK
    0x01: 0x0001,  # ERR_FATAL -> SL_STATUS_FAIL
    0x33: 0x0050,  # MAC_BAD_SCAN_DURATION -> SL_STATUS_BAD_SCAN_DURATION
    0x35: 0x004F,  # MAC_INVALID_CHANNEL_MASK -> SL_STATUS_INVALID_CHANNEL_MASK
    0x36: 0x0044,  # MAC_COMMAND_TRANSMIT_FAILURE
    0x66: 0x0C02,  # DELIVERY_FAILED -> SL_STATUS_ZIGBEE_DELIVERY_FAILED
    0x69: 0x0027,  # BINDING_INDEX_OUT_OF_RANGE -> SL_STATUS_INVALID_INDEX (assumed)
    0x6A: 0x0027,  # ADDRESS_TABLE_INDEX_OUT_OF_RANGE -> SL_STATUS_INVALID_INDEX
    0x70: 0x0002,  # INVALID_CALL -> SL_STATUS_INVALID_STATE
    0x90: 0x0015,  # NETWORK_UP
    0x91: 0x0016,  # NETWORK_DOWN
    0x93: 0x0017,  # NOT_JOINED
    0x94: 0x0017,  # JOIN_FAILED -> SL_STATUS_NOT_JOINED
    0x98: 0x0017,  # CANNOT_JOIN_AS_ROUTER -> SL_STATUS_NOT_JOINED
    0x9C: 0x0C18,  # NETWORK_OPENED -> SL_STATUS_ZIGBEE_NETWORK_OPENED
    0x9D: 0x0C19,  # NETWORK_CLOSED -> SL_STATUS_ZIGBEE_NETWORK_CLOSED
    0xA6: 0x0C0A,  # APS_ENCRYPTION_ERROR -> SL_STATUS_ZIGBEE_APS_ENCRYPTION_ERROR
    0xAB: 0x0018,  # NO_BEACONS
    0xAD: 0x0C1B,  # NO_NETWORK_KEY_RECEIVED -> SL_STATUS_ZIGBEE_NO_NETWORK_KEY_RECEIVED
    0xB5: 0x000E,  # LIBRARY_NOT_PRESENT -> SL_STATUS_NOT_AVAILABLE
    0xBA: 0x0005,  # OPERATION_IN_PROGRESS -> SL_STATUS_IN_PROGRESS
}
# EzspStatus (gecko_sdk ezsp-enum.h) -> sl_status_t. Assumed (no public
# source here says what a v14+ NCP's configuration frames answer): bellows'
# SL_STATUS_MAP (bellows/types/named.py), the correspondence hosts rely on.
_SL_EZSP_STATUS: Final[dict[int, int]] = {
    0x00: 0x0000,  # SUCCESS -> SL_STATUS_OK
    0x35: 0x001A,  # EZSP_ERROR_OUT_OF_MEMORY -> SL_STATUS_NO_MORE_RESOURCE
    0x36: 0x0021,  # EZSP_ERROR_INVALID_VALUE -> SL_STATUS_INVALID_PARAMETER
    0x37: 0x0021,  # EZSP_ERROR_INVALID_ID -> SL_STATUS_INVALID_PARAMETER
    0x38: 0x0021,  # EZSP_ERROR_INVALID_CALL -> SL_STATUS_INVALID_PARAMETER
}
# v14+ frames (bellows/ezsp/v14/commands.py; simplicity_sdk's EZSP reference)
_SET_ADDRESS_TABLE_INFO: Final = 0x005C
_GET_ADDRESS_TABLE_INFO: Final = 0x005E
_FRAMES_V14: Final[dict[int, tuple[str, int | None]]] = {
    _LEAVE_NETWORK: ("leaveNetwork", 1),  # options
    # haveCurrentNetworkKey, channelMask, reason, nodeType
    _FIND_AND_REJOIN_NETWORK: ("findAndRejoinNetwork", 7),
    _SET_ADDRESS_TABLE_INFO: ("setAddressTableInfo", 11),  # index, EUI64, node id
    _GET_ADDRESS_TABLE_INFO: ("getAddressTableInfo", 1),
}
_GONE_IN_V14: Final = frozenset(
    {_SET_ADDRESS_TABLE_REMOTE_NODE_ID, _GET_ADDRESS_TABLE_REMOTE_NODE_ID}
)
"""setAddressTableRemoteNodeId and getAddressTableRemoteNodeId are gone from v14
(their ids were reused later); setAddressTableInfo replaces the two setters."""
LEAVE_WITH_NO_OPTION: Final = 0x00
LEAVE_WITH_OPTION_REJOIN: Final = 0x20
LEAVE_IS_REQUESTED: Final = 0x40
_LEAVE_OPTIONS: Final = LEAVE_WITH_OPTION_REJOIN | LEAVE_IS_REQUESTED
_REJOIN_APP_EVENTS: Final = range(0xFB, 0x100)
"""EmberRejoinReason APP_EVENT_5 to APP_EVENT_1: "An application should use one
of the APP_EVENT rejoin reasons" (simplicity_sdk network-formation.h)."""
_NULL_NODE_ID: Final = 0xFFFF

# EmberNetworkStatus
_NO_NETWORK: Final = 0x00
_JOINED_NETWORK: Final = 0x02

# EmberNodeType
_ROUTER: Final = 0x02
_END_DEVICE: Final = 0x03
_JOINING_TYPES: Final = frozenset({0x02, 0x03, 0x04})  # router, end device, sleepy

# EmberNetworkInitBitmask (gecko_sdk protocol/zigbee/stack/include/ember-types.h)
_PARENT_INFO_IN_TOKEN: Final = 0x0001
_END_DEVICE_REJOIN_ON_REBOOT: Final = 0x0002

# EmberInitialSecurityBitmask: the preconfigured key field holds the link key
_HAVE_PRECONFIGURED_KEY: Final = 0x0100

# EmberOutgoingMessageType / EmberIncomingMessageType
_OUTGOING_BROADCAST: Final = 0x06
_INCOMING_UNICAST: Final = 0x00

_ACTIVE_SCAN: Final = 0x01
_STACK_PROFILE_PRO: Final = 0x02
_MAX_SCAN_DURATION: Final = 14
_CHANNELS_2G4: Final = 0x07FFF800  # channels 11 to 26

MFG_INSTALLATION_CODE: Final = 0x0A
_STACK_TYPE_MESH: Final = 0x02
CERTIFICATE_283K1_LENGTH: Final = cbke.CERTIFICATE_LENGTH

DEFAULT_EUI64: Final = "00:0d:6f:00:0a:bc:de:f0"
DEFAULT_INSTALL_CODE: Final = bytes.fromhex("83FED3407A939723A5C639B26916D505")
"""The example 16-byte install code of Silicon Labs' AN1089 (CRC 0xB5C3)."""

# The MFG_INSTALLATION_CODE token as the stack defines it (gecko_sdk,
# platform/service/token_manager/inc/sl_token_manufacturing_generic.h,
# tokTypeMfgInstallationCode): a uint16 of flags, 16 bytes of value, a uint16
# CRC, little-endian as the chip stores it. Flags bit 0 is 1 while the token is
# uninitialised (erased flash: 0xFFFF) and 0 once a code is programmed; bits 1-2
# give the size (0: 6 bytes, 1: 8, 2: 12, 3: 16). Simplicity Commander's token
# dump of a radio with a 16-byte code shows ``Install Code Flags : 0x0006``.
_SIZE_CODES: Final = {6: 0, 8: 1, 12: 2, 16: 3}
INSTALL_CODE_TOKEN_LENGTH: Final = 20

install_code_crc = cbke.install_code_crc


def install_code_token(code: bytes | None, *, crc: int | None = None) -> bytes:
    """Build the 20-byte MFG_INSTALLATION_CODE token image: flags, value, CRC.

    ``None`` gives an erased token (all 0xFF), as on a radio never programmed.
    A code shorter than 16 bytes leaves the rest of the value erased (0xFF).
    ``crc`` replaces the right CRC (a token programmed wrongly).
    """
    if code is None:
        return b"\xff" * INSTALL_CODE_TOKEN_LENGTH
    if len(code) not in _SIZE_CODES:
        msg = f"an install code has 6, 8, 12 or 16 bytes, not {len(code)}"
        raise ValueError(msg)
    flags = _SIZE_CODES[len(code)] << 1  # bit 0 clear: initialised
    return (
        flags.to_bytes(2, "little")
        + code.ljust(16, b"\xff")
        + (install_code_crc(code) if crc is None else crc).to_bytes(2, "little")
    )


_APS_FRAME: Final = struct.Struct("<HHBBHHB")
"""EmberApsFrame: profile, cluster, source and destination endpoint, options,
group, sequence (11 bytes)."""
_NETWORK_PARAMETERS: Final = struct.Struct("<8sHBBBHBI")
"""EmberNetworkParameters: extended PAN id, PAN id, TX power, channel, join
method, NWK manager id, NWK update id, channel mask (20 bytes)."""


@dataclass(slots=True)
class _Sent:
    """A DATA frame sent, kept until the host acknowledges it."""

    frm_num: int
    ezsp: bytes


@dataclass(frozen=True, slots=True)
class BindingEntry:
    """An EmberBindingTableEntry, whole, as the stack keeps it in its tokens.

    bellows ``EmberBindingTableEntry`` (``bellows/types/struct.py``): type
    (EmberBindingType: 0 unused, 1 unicast, 2 many-to-one, 3 multicast),
    local endpoint, cluster id, remote endpoint, the 64-bit identifier (the
    destination EUI64 of a unicast binding, the group of a multicast one) and
    the network index: 14 bytes on the wire.
    """

    type: int
    local: int
    cluster_id: int
    remote: int
    identifier: bytes  # 8 bytes, little-endian as on the wire
    network_index: int

    _FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBHB8sB")

    @classmethod
    def unpack(cls, data: bytes) -> BindingEntry:
        """Read one from its 14 bytes."""
        return cls(*cls._FORMAT.unpack(data))

    def pack(self) -> bytes:
        """Return its 14 bytes."""
        return self._FORMAT.pack(
            self.type,
            self.local,
            self.cluster_id,
            self.remote,
            self.identifier,
            self.network_index,
        )


UNUSED_BINDING: Final = BindingEntry(0, 0, 0, 0, bytes(8), 0)
"""An entry never set, or deleted: the token's default (token-stack.h ``{ 0, }``)."""


@dataclass(frozen=True, slots=True)
class _Network:
    """The network the radio joined, as its tokens keep it."""

    extended_pan_id: bytes  # little-endian, as on the wire
    pan_id: int
    channel: int
    node_type: int
    nwk: int


class _Sink:
    """Receives what the simulated HAN sends to the CAD, for the NCP to pass on."""

    def __init__(self, ncp: EmulatedNcp) -> None:
        self.devices: dict[Any, Any] = {}
        self._ncp = ncp

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        self._ncp.incoming(packet)


class EmulatedNcp:
    """An EZSP NCP behind a pseudo-terminal or a TCP socket.

    Use it as ``async with EmulatedNcp(...) as ncp:`` and hand ``ncp.path``
    (a ``/dev/pts/N``) to bellows, or ``path = await ncp.open_tcp()`` for a
    ``socket://`` URL; :meth:`close` (or leaving the block) stops it.
    """

    def __init__(
        self,
        *,
        eui64: str = DEFAULT_EUI64,
        install_code: bytes | None = DEFAULT_INSTALL_CODE,
        has_certificate: bool | None = True,
        protocol_version: int | None = None,
        stack_version: int = 0x7440,
        silent: bool = False,
        han: HanSimulator | None = None,
        certificate_eui64: str | None = None,
    ) -> None:
        """Describe the radio and what is in its range.

        ``install_code`` None leaves the token erased; ``has_certificate`` None
        is a firmware without the CBKE frames at all (it answers
        ``getCertificate283k1`` with ``invalidCommand``); ``silent`` makes a
        radio that never answers; ``han`` is the simulated HAN it can hear
        (None: no network in range); ``certificate_eui64`` is the subject of
        its certificate when that is not ``eui64`` (a stick whose EUI64 was
        rewritten, as zigpy's backup restore does: bellows
        ``write_custom_eui64``).
        """
        self.eui64 = bytes.fromhex(eui64.replace(":", ""))[::-1]  # little-endian
        if len(self.eui64) != 8:
            msg = f"an EUI64 has 8 bytes: {eui64!r}"
            raise ValueError(msg)
        self.ieee = t.EUI64(self.eui64)
        self.install_token = install_code_token(install_code)
        self.has_certificate = has_certificate
        self.certificate_subject = bytes.fromhex(
            (certificate_eui64 or eui64).replace(":", "")
        )
        self.protocol_version = (
            DEFAULT_PROTOCOL_VERSION if protocol_version is None else protocol_version
        )
        self.stack_version = stack_version
        self.silent = silent
        self.han = han
        self.reset_on: str | None = None
        """Reset by itself instead of answering the next command of this name."""
        self.unplug_on: str | None = None
        """Go away (close the line) instead of answering the next command of this name."""
        self.transient_statuses: tuple[int, ...] = ()
        """Stack statuses (e.g. NETWORK_OPENED, NETWORK_CLOSED) reported before
        the result of ``joinNetwork`` and ``networkInit``."""
        self.config_refusals: dict[int, int] = {}
        """EzspConfigId -> the EzspStatus setConfigurationValue answers for it
        (EZSP_ERROR_OUT_OF_MEMORY: not enough memory for the value;
        EZSP_ERROR_INVALID_ID: a firmware without that setting)."""
        self.endpoint_refusal: int | None = None
        """The EzspStatus addEndpoint answers (EZSP_ERROR_OUT_OF_MEMORY)."""
        self.scan_speedup = 20.0
        """How many times faster than a real radio the active scan runs (it
        reports each channel after its listening time divided by this)."""
        self.scan_failures: dict[int, int] = {}
        """Channel -> EmberStatus: the active scan fails on those channels (each
        reported by scanCompleteHandler, and the scan goes on)."""
        self.cbke_library = True
        """False: a firmware built without the CBKE 283k1 library (its stub
        answers LIBRARY_NOT_PRESENT to every CBKE frame)."""
        self.cbke_library_fails: str | None = None
        """``generateCbkeKeys283k1`` or ``calculateSmacs283k1``: the radio's CBKE
        library reports a failure in that command's handler."""
        self.polling: tuple[int, int, int] | None = None
        """The host's ``pollForData``: (interval, units, failure limit)."""
        self.end_device_init_bitmask: int | None = None
        """The EmberNetworkInitBitmask of the last networkInit as an end device."""
        self.network_key_current = True
        """Whether the radio holds the hub's current network key."""
        self.leave_options: int | None = None
        """The options of the last EZSP v14+ leaveNetwork."""
        self.rejoin_arguments: list[tuple[int, int]] = []
        """(reason, node type) of each EZSP v14+ findAndRejoinNetwork."""
        self.rejoins: list[bool] = []
        """``haveCurrentNetworkKey`` of each findAndRejoinNetwork, in order."""
        self.commands: list[str] = []
        """The EZSP commands received, by name, in order."""
        self.problems: list[str] = []
        """Everything received that a real NCP would have rejected."""
        self.resets = 0
        """How many ASH resets (RST) the host sent."""
        self.hosts = 0
        """Hosts connected to the TCP socket now (0: the port is free)."""
        self.network: _Network | None = None
        """The network joined (kept like the radio's tokens), None when none."""
        self.network_up = False
        self.link_key: bytes | None = None
        """The preconfigured link key the host set (never logged)."""
        self.endpoints: dict[int, tuple[int, int]] = {}
        """Endpoints the host added: id -> (profile, device id)."""
        self.config: dict[int, int] = dict(_CONFIG_DEFAULTS)
        """Configuration values (EzspConfigId -> value): the stack's defaults,
        then what the host set since the last reset."""
        self.policies: dict[int, int] = {}
        self.stored_link_keys: list[bytes] = []
        """EUI64s (big-endian) of partners whose CBKE link key the stack stored."""
        self.key_table: dict[t.EUI64, int] = {}
        """The key table: partners' application link keys (the trust centre's
        is kept apart), partner EUI64 -> index. It is an indexed stack token
        (gecko_sdk stack/config/token-stack.h ``STACK_KEY_TABLE``): a reset
        and ``leaveNetwork`` keep it; only ``clearKeyTable`` empties it (the
        Smart Energy framework does that itself before forming or joining,
        af-node.c ``zaNodeSecurityInit``)."""
        self.bindings: dict[int, BindingEntry] = {}
        """The binding table: index -> the whole EmberBindingTableEntry the host
        set, stored as it came. An indexed stack token too (token-stack.h ``STACK_BINDING_TABLE``):
        a reset and ``leaveNetwork`` keep it; ``clearBindingTable`` empties it."""
        self.address_table: dict[int, tuple[t.EUI64, int]] = {}
        """The address table: index -> (EUI64, node id) the host set. It is in
        RAM: a reset empties it (docs.silabs.com, Zigbee concepts, "Address
        Table": "stored in RAM, so it is volatile")."""
        self.extended_security = 0
        """The EmberExtendedSecurityBitmask (setValue
        VALUE_EXTENDED_SECURITY_BITMASK); kept like the radio's tokens."""
        self.leave_requests_discarded = 0
        """Network Leave requests the stack discarded (NWK_LEAVE_REQUEST_NOT_ALLOWED)."""
        self.unencrypted_sent: list[int] = []
        """Clusters of Smart Energy unicasts the host sent without APS encryption."""
        self.path = ""
        self._rx = bytearray()
        self._discarding = False
        self._connected = False
        self._rx_expected = 0
        self._tx_next = 0
        self._unacked: deque[_Sent] = deque()
        self._tx_queue: deque[bytes] = deque()
        self._version_set = False
        self._last_seq = 0
        self._extended = False
        self._aps_sequence = 0
        self._cbke: dict[str, bytes] = {}
        self._cbke_counter = 0
        self._epoch = 0
        """Counts resets and unplugs: work scheduled before one is dropped."""
        self._sink = _Sink(self)
        self._write_fn: Callable[[bytes], object] | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._hosts_changed = asyncio.Condition()

    # --- serving ---------------------------------------------------------

    def attach(self, write: Callable[[bytes], object]) -> None:
        """Send the NCP's bytes to ``write``; feed the host's to :meth:`data_received`."""
        self._write_fn = write

    def open_pty(self) -> str:
        """Serve on a new pseudo-terminal; return the path bellows opens."""
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._write_fn = self._write_pty
        asyncio.get_running_loop().add_reader(master, self._read_pty)
        self.path = os.ttyname(slave)
        return self.path

    def _write_pty(self, data: bytes) -> None:
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.write(self._master, data)

    def _read_pty(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:  # pragma: no cover - woken without data
            return
        except OSError:  # pragma: no cover - the host side is gone
            return
        self.data_received(data)

    async def open_tcp(self, port: int = 0) -> str:
        """Serve on a TCP port of 127.0.0.1; return a ``socket://`` URL for it.

        ``port`` 0 takes a free one. Like a network coordinator (zigbeed), the
        NCP announces itself with an RSTACK as soon as the host connects.
        """
        self._server = await asyncio.start_server(self._serve_tcp, "127.0.0.1", port)
        port = self._server.sockets[0].getsockname()[1]
        self.path = f"socket://127.0.0.1:{port}"
        return self.path

    async def _serve_tcp(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._write_fn = writer.write
        self._writer = writer
        self._connected = False
        await self._set_hosts(self.hosts + 1)
        if not self.silent:
            self._reset(RESET_POWER_ON)
        try:
            while data := await reader.read(4096):
                self.data_received(data)
        finally:
            self._tasks.discard(task)
            writer.close()
            await self._set_hosts(self.hosts - 1)

    async def _set_hosts(self, count: int) -> None:
        async with self._hosts_changed:
            self.hosts = count
            self._hosts_changed.notify_all()

    async def wait_hosts(self, count: int) -> None:
        """Wait until ``count`` hosts are connected to the TCP socket (0: it is free)."""
        async with self._hosts_changed:
            await self._hosts_changed.wait_for(lambda: self.hosts == count)

    def drop_network(self, *, missed_key_rotation: bool = False) -> None:
        """Lose the HAN (the parent gone, or a network key the radio missed).

        It reports NETWORK_DOWN; ``missed_key_rotation``: the hub changed the
        network key meanwhile, so a secure rejoin (with the key it holds)
        fails and only a Trust Centre rejoin (unsecured; the hub sends the
        current key under the link key) brings it back.
        """
        if not self.network_up:
            return
        self._disconnect_han()
        if missed_key_rotation:
            self.network_key_current = False
        self._callback(_STACK_STATUS_HANDLER, self._st(NETWORK_DOWN))

    async def unplug(self) -> None:
        """Pull the radio out: close the line under the host (pty or TCP)."""
        self._disconnect_han()
        self._unplug_now()
        await self.close()

    def _unplug_now(self) -> None:
        """Close the line at once (from inside a frame handler)."""
        self._epoch += 1
        self.network_up = False
        if self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(cast("int", fd))
            self._master = self._slave = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._write_fn = None

    async def close(self) -> None:
        """Stop serving and release the terminal or the socket.

        The joined network is kept (as the radio's tokens are): serving again
        lets the host resume it with ``networkInit``.
        """
        self._disconnect_han()
        self._unplug_now()
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        """Serve on a pseudo-terminal."""
        self.open_pty()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        await self.close()

    # --- ASH -------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        """Bytes from the host."""
        if self.silent:
            return
        for byte in data:
            if byte == CANCEL:
                self._rx.clear()
                self._discarding = False
            elif byte == SUBSTITUTE:
                self._rx.clear()
                self._discarding = True
            elif byte in (XON, XOFF):
                continue
            elif byte == FLAG:
                if self._rx and not self._discarding:
                    self._frame_received(bytes(self._rx))
                self._rx.clear()
                self._discarding = False
            else:
                self._rx.append(byte)

    def _problem(self, text: str) -> None:
        self.problems.append(text)

    def _send(self, frame: bytes) -> None:
        if self._write_fn is not None:
            self._write_fn(_ash_bytes(frame))

    def _frame_received(self, stuffed: bytes) -> None:
        frame = bytearray()
        escaped = False
        for byte in stuffed:
            if escaped:
                frame.append(byte ^ _FLIP)
                escaped = False
                if frame[-1] not in _RESERVED:
                    self._problem(f"escaped byte 0x{frame[-1]:02X} is not reserved")
            elif byte == ESCAPE:
                escaped = True
            else:
                frame.append(byte)
        if len(frame) < 3:
            self._problem(f"ASH frame too short: {bytes(frame).hex()}")
            return
        body, crc = bytes(frame[:-2]), int.from_bytes(frame[-2:], "big")
        control = body[0]
        if ash_crc(body) != crc:
            self._problem(f"bad CRC on ASH frame {bytes(frame).hex()}")
            if not control & 0x80 and self._connected:
                self._send(bytes((0xA0 | self._rx_expected,)))  # NAK
            return
        if control == _RST:
            if len(body) != 1:
                self._problem(f"RST with data: {body.hex()}")
            self.resets += 1
            self._reset(RESET_SOFTWARE)
        elif not self._connected:
            self._problem(f"ASH frame 0x{control:02X} before a reset")
        elif not control & 0x80:
            self._data_received(control, body[1:])
        elif control & 0xE0 in (0x80, 0xA0) and len(body) == 1:
            self._check_ack(control & 0x07)
            if control & 0xE0 == 0xA0:
                self._retransmit()
        else:
            self._problem(f"unexpected ASH frame from the host: {body.hex()}")

    def _reset(self, code: int) -> None:
        self._epoch += 1
        # "The NCP does not remember these settings after a reset" (UG100)
        self.config = dict(_CONFIG_DEFAULTS)
        self.endpoints = {}
        self.address_table = {}
        self._connected = True
        self._rx_expected = 0
        self._tx_next = 0
        self._unacked.clear()
        self._tx_queue.clear()
        self._version_set = False
        self._extended = False
        self._cbke.clear()
        self._disconnect_han()
        self._send(bytes((_RSTACK, _ASH_VERSION, code)))

    def _check_ack(self, ack_num: int) -> None:
        if ack_num != self._tx_next and all(
            sent.frm_num != ack_num for sent in self._unacked
        ):
            self._problem(f"ackNum {ack_num}, but the next frame is {self._tx_next}")
            return
        while self._unacked and self._unacked[0].frm_num != ack_num:
            self._unacked.popleft()
        self._send_queued()

    def _retransmit(self) -> None:
        for sent in self._unacked:
            self._send_data(sent, re_tx=True)

    def _send_data(self, sent: _Sent, *, re_tx: bool = False) -> None:
        control = sent.frm_num << 4 | re_tx << 3 | self._rx_expected
        self._send(bytes((control,)) + _randomise(sent.ezsp))

    def _queue(self, ezsp: bytes) -> None:
        self._tx_queue.append(ezsp)
        self._send_queued()

    def _send_queued(self) -> None:
        # At most 7 frames in flight: the frame number has 3 bits
        while self._tx_queue and len(self._unacked) < 7:
            sent = _Sent(self._tx_next, self._tx_queue.popleft())
            self._tx_next = (self._tx_next + 1) % 8
            self._unacked.append(sent)
            self._send_data(sent)  # the acknowledgement rides along

    def _data_received(self, control: int, payload: bytes) -> None:
        frm_num, re_tx = control >> 4 & 0x07, bool(control & 0x08)
        self._check_ack(control & 0x07)
        if frm_num != self._rx_expected:
            if re_tx and frm_num == (self._rx_expected - 1) % 8:
                self._send(bytes((0x80 | self._rx_expected,)))  # ACK it again
            else:
                self._problem(f"DATA frame {frm_num}, expected {self._rx_expected}")
                self._send(bytes((0xA0 | self._rx_expected,)))  # NAK
            return
        self._rx_expected = (frm_num + 1) % 8
        answer = self._ezsp_received(_randomise(payload))
        if answer is None:
            self._send(bytes((0x80 | self._rx_expected,)))  # ACK
            return
        self._queue(answer)

    # --- EZSP ------------------------------------------------------------

    def _header(self, seq: int, frame_id: int, *, callback: bool = False) -> bytes:
        control = _RESPONSE | (_CALLBACK if callback else 0)
        if self._extended:
            return bytes((seq, control, _FORMAT_1)) + frame_id.to_bytes(2, "little")
        return bytes((seq, control, frame_id))

    @property
    def sl_status(self) -> bool:
        """Whether this NCP speaks EZSP v14+: sl_status_t statuses, the v14 frames."""
        return self.protocol_version >= _SL_STATUS_VERSION

    def _frames(self) -> dict[int, tuple[str, int | None]]:
        """Return the frames this NCP's EZSP version knows: id -> (name, size)."""
        if not self.sl_status:
            return _FRAMES
        frames = {k: v for k, v in _FRAMES.items() if k not in _GONE_IN_V14}
        frames.update(_FRAMES_V14)
        return frames

    def _st(self, code: int, *, ezsp: bool = False) -> bytes:
        """Encode a status as this NCP's EZSP version does.

        One EmberStatus (or EzspStatus, ``ezsp``) byte up to EZSP v13, a
        4-byte little-endian sl_status_t from v14. An EzspStatus of the frame layer (invalidCommand's) is assumed to keep
        its value, widened.
        """
        if not self.sl_status:
            return bytes((code,))
        table = _SL_EZSP_STATUS if ezsp else _SL_STATUS
        return table.get(code, code).to_bytes(4, "little")

    def _callback(self, frame_id: int, data: bytes) -> None:
        """Send an asynchronous callback (with the last sequence number received)."""
        if self._connected and self._version_set:
            self._queue(self._header(self._last_seq, frame_id, callback=True) + data)

    def _ezsp_received(self, frame: bytes) -> bytes | None:
        extended = len(frame) >= 5 and frame[2] == _FORMAT_1
        if extended:
            seq, control, frame_id, params = (
                frame[0],
                frame[1],
                int.from_bytes(frame[3:5], "little"),
                frame[5:],
            )
        elif len(frame) >= 3:
            seq, control, frame_id, params = frame[0], frame[1], frame[2], frame[3:]
        else:
            self._problem(f"EZSP frame too short: {frame.hex()}")
            return None
        self._extended = extended
        self._last_seq = seq

        def answer(frame_id: int, data: bytes) -> bytes:
            return self._header(seq, frame_id) + data

        def invalid(status: int, why: str) -> bytes:
            self._problem(why)
            return answer(_INVALID_COMMAND, self._st(status, ezsp=True))

        frames = self._frames()
        name, size = frames.get(frame_id, (f"0x{frame_id:04X}", 0))
        self.commands.append(name)
        if control & _RESPONSE:
            return invalid(ERROR_WRONG_DIRECTION, f"{name} sent as a response")
        if self.reset_on is not None and name == self.reset_on:
            self.reset_on = None
            self._reset(RESET_WATCHDOG)
            return None
        if self.unplug_on is not None and name == self.unplug_on:
            self.unplug_on = None
            self._disconnect_han()
            self._unplug_now()
            return None
        if frame_id in _CBKE_FRAMES and self.has_certificate is None:
            # A firmware built without CBKE does not know the frame: no problem
            return answer(_INVALID_COMMAND, self._st(ERROR_INVALID_FRAME_ID, ezsp=True))
        if frame_id not in frames:
            return invalid(ERROR_INVALID_FRAME_ID, f"unknown EZSP frame {name}")
        if frame_id != _VERSION and not (extended and self._version_set):
            return invalid(ERROR_VERSION_NOT_SET, f"{name} before version")
        if size is None:
            size = 1 + params[0] if params else 1
        if size != _VARIABLE and len(params) != size:
            status = ERROR_TRUNCATED if len(params) < size else ERROR_COMMAND_TOO_LONG
            return invalid(status, f"{name} with {len(params)} bytes, not {size}")
        try:
            data, callbacks = self._command(frame_id, params)
        except (ValueError, IndexError, struct.error) as err:
            return invalid(ERROR_TRUNCATED, f"{name} malformed: {err}")
        reply = answer(frame_id, data)
        if callbacks:
            # The response first, then what the stack reports afterwards
            self._queue(reply)
            for callback in callbacks:
                callback()
            return None
        return reply

    def _command(
        self, frame_id: int, params: bytes
    ) -> tuple[bytes, list[Callable[[], None]]]:
        """Answer one command: (response parameters, callbacks to send after it)."""
        none: list[Callable[[], None]] = []
        if frame_id == _VERSION:
            if params[0] == self.protocol_version:
                self._version_set = True
            return bytes(
                (self.protocol_version, _STACK_TYPE_MESH)
            ) + self.stack_version.to_bytes(2, "little"), none
        if frame_id == _CUSTOM_FRAME:
            # No firmware extensions (XNCP) here. From EZSP v14 on, statuses
            # are 4-byte sl_status_t (SL_STATUS_NOT_SUPPORTED here): enough of
            # a newer firmware for a host to see which version it speaks.
            if self.protocol_version >= _SL_STATUS_VERSION:
                return _SL_NOT_SUPPORTED.to_bytes(4, "little") + b"\x00", none
            return bytes((INVALID_CALL, 0)), none
        if frame_id == _GET_EUI64:
            return self.eui64, none
        if frame_id == _GET_MFG_TOKEN:
            token = self.install_token if params[0] == MFG_INSTALLATION_CODE else b""
            return bytes((len(token),)) + token, none
        if frame_id in _CBKE_FRAMES and not self.cbke_library:
            # A firmware built with the CBKE library stub: every call says so
            # (gecko_sdk protocol/zigbee/stack/security/cbke-crypto-engine-283k1-stub.c)
            if frame_id == _GET_CERTIFICATE_283K1:
                return self._st(LIBRARY_NOT_PRESENT) + bytes(
                    CERTIFICATE_283K1_LENGTH
                ), none
            return self._st(LIBRARY_NOT_PRESENT), none
        if frame_id == _GET_CERTIFICATE_283K1:
            if self.has_certificate:
                self._cbke = {"certificate": b""}
                return self._st(SUCCESS) + self.certificate, none
            # The library, but the certificate token is blank: EMBER_ERR_FATAL
            # "if the token contains uninitialized data" (cbke-crypto-engine.h)
            return self._st(_ERR_FATAL) + b"\xff" * CERTIFICATE_283K1_LENGTH, none
        if frame_id == _SET_CONFIGURATION_VALUE:
            return self._st(self._set_config(params[0], params[1:3]), ezsp=True), none
        if frame_id == _GET_CONFIGURATION_VALUE:
            # UG100 getConfigurationValue: the value in use (the stack's
            # default until the host set it), EZSP_ERROR_INVALID_ID otherwise
            if params[0] not in _CONFIG_IDS:
                return self._st(EZSP_ERROR_INVALID_ID, ezsp=True) + bytes(2), none
            value = self.config.get(params[0], 0)
            return self._st(SUCCESS) + value.to_bytes(2, "little"), none
        if frame_id == _REQUEST_LINK_KEY:
            return self._request_link_key(params)
        if frame_id in _ADDRESS_TABLE_FRAMES:
            return self._address_table_command(frame_id, params), none
        if frame_id in _BINDING_FRAMES:
            return self._binding_command(frame_id, params), none
        if frame_id == _CLEAR_KEY_TABLE:
            return self._clear_key_table(), none
        if frame_id == _GET_VALUE:
            if params[0] == VALUE_EXTENDED_SECURITY_BITMASK:
                return self._st(SUCCESS) + bytes(
                    (2,)
                ) + self.extended_security.to_bytes(2, "little"), none
            return self._st(EZSP_ERROR_INVALID_ID, ezsp=True) + bytes((0,)), none
        if frame_id == _SET_VALUE:
            return self._st(self._set_value(params), ezsp=True), none
        if frame_id == _SET_POLICY:
            self.policies[params[0]] = params[1]
            return self._st(SUCCESS), none
        if frame_id == _ADD_ENDPOINT:
            return self._add_endpoint(params), none
        if frame_id == _NETWORK_STATE:
            state = _JOINED_NETWORK if self.network_up else _NO_NETWORK
            return bytes((state,)), none
        if frame_id == _GET_NODE_ID:
            nwk = self.network.nwk if self.network_up and self.network else 0xFFFE
            return nwk.to_bytes(2, "little"), none
        if frame_id == _GET_NETWORK_PARAMETERS:
            return self._network_parameters(), none
        if frame_id == _START_SCAN:
            return self._start_scan(params)
        if frame_id == _SET_INITIAL_SECURITY_STATE:
            return self._set_security(params), none
        if frame_id == _JOIN_NETWORK:
            return self._join(params)
        if frame_id == _NETWORK_INIT:
            return self._network_init(int.from_bytes(params[:2], "little"))
        if frame_id == _LEAVE_NETWORK:
            if self.sl_status:
                self._leave_options(params[0])
            return self._leave()
        if frame_id == _FIND_AND_REJOIN_NETWORK:
            if self.sl_status:
                self._rejoin_arguments(params[5], params[6])
            return self._find_and_rejoin(bool(params[0]))
        if frame_id == _POLL_FOR_DATA:
            return self._poll_for_data(params), none
        if frame_id in (_SEND_UNICAST, _SEND_BROADCAST):
            return self._send_message(params, broadcast=frame_id == _SEND_BROADCAST)
        if frame_id == _GENERATE_CBKE_KEYS_283K1:
            return self._generate_cbke_keys()
        if frame_id == _CALCULATE_SMACS_283K1:
            return self._calculate_smacs(params)
        # clearTemporaryDataMaybeStoreLinkKey283k1
        return self._clear_cbke(store=bool(params[0])), none

    # --- configuration -----------------------------------------------------

    @property
    def key_table_size(self) -> int:
        """Entries the key table has: the host's CONFIG_KEY_TABLE_SIZE, else none."""
        return self.config.get(CONFIG_KEY_TABLE_SIZE, 0)

    def _request_link_key(
        self, params: bytes
    ) -> tuple[bytes, list[Callable[[], None]]]:
        """requestLinkKey: ask the trust centre for an application link key with ``partner``.

        The answer is ``zigbeeKeyEstablishmentHandler(partner, status)``: the
        key arrived (APP_LINK_KEY_ESTABLISHED) and is in the key table, or the
        table has no room (KEY_TABLE_FULL), or the trust centre sent nothing
        (KEY_ESTABLISHMENT_TIMEOUT).
        """
        partner = t.EUI64(params[:8])
        if not self.network_up:
            return self._st(NOT_JOINED), []
        granted = self.han is not None and self.han.request_link_key(self.ieee, partner)
        taken = set(self.key_table.values())
        free = next((i for i in range(self.key_table_size) if i not in taken), None)
        if not granted:
            status = KEY_ESTABLISHMENT_TIMEOUT
        elif partner in self.key_table:
            status = APP_LINK_KEY_ESTABLISHED  # the partner's entry, updated
        elif free is None:
            # Every entry holds a key, whichever network it came from: the
            # table is tokens, and nothing but clearKeyTable empties it
            status = KEY_TABLE_FULL
        else:
            self.key_table[partner] = free
            status = APP_LINK_KEY_ESTABLISHED
        # "The IEEE address of the partner device or all zeros if the Key
        # establishment failed" (gecko_sdk security.h, zigbeeKeyEstablishmentHandler)
        named = bytes(partner) if status == APP_LINK_KEY_ESTABLISHED else bytes(8)
        return self._st(SUCCESS), [
            lambda: self._callback(
                _ZIGBEE_KEY_ESTABLISHMENT_HANDLER, named + bytes((status,))
            )
        ]

    def _has_link_key(self, nwk: int) -> bool:
        """Whether the stack holds an APS link key for the node at ``nwk``.

        The key table holds keys by EUI64: the stack must find the EUI64 of
        ``nwk`` in its own tables. The trust centre's it keeps from the join;
        a partner's is in the address table, where the Smart Energy framework
        puts it after IEEE_addr (smart-energy-registration.c,
        ``emberAfAddAddressTableEntry``). No other table of this emulated
        stack holds it (assumed: a real neighbour table may, when it heard the
        meter announce itself).
        """
        from custom_components.smets.han.simulator.app import HUB_NWK  # noqa: PLC0415 - app imports zigpy's world

        if nwk == HUB_NWK:
            return self.network is not None  # the trust centre link key
        known = [eui64 for eui64, node in self.address_table.values() if node == nwk]
        return any(eui64 in self.key_table for eui64 in known)

    def _clear_key_table(self) -> bytes:
        """clearKeyTable: empty the key table (its tokens); the trust centre's key stays.

        gecko_sdk ``protocol/zigbee/stack/include/security.h``
        (emberClearKeyTable): "Clear the key table of the current network",
        EMBER_SUCCESS, "EMBER_INVALID_CALL otherwise" (the header says not
        when; this emulator never answers it: assumed). The trust centre link
        key is not in the table (token-stack.h keeps it in
        ``STACK_TRUST_CENTER``): a joined radio keeps talking to the hub.
        """
        self.key_table.clear()
        return self._st(SUCCESS)

    def _binding_command(self, frame_id: int, params: bytes) -> bytes:
        """Answer the binding frames (bellows ``bellows/ezsp/v4/commands.py``, 0x2A-0x2D).

        The table has the entries CONFIG_BINDING_TABLE_SIZE gives it (0 until
        the host sets it: ember-configuration-defaults.h); an index past them
        is BINDING_INDEX_OUT_OF_RANGE (error-def.h: "This binding index is out
        of range for the current binding table"). setBinding keeps the whole
        EmberBindingTableEntry and getBinding gives it back; an index never
        set, or deleted, reads as an unused entry (type 0, all zeros: the
        token's default). The entries are tokens: a reset and leaveNetwork
        keep them. The stack answers BINDING_IS_ACTIVE when a binding being
        overwritten is carrying messages; this emulator never sends through
        a binding, so none ever is.
        """
        if frame_id == _CLEAR_BINDING_TABLE:
            self.bindings.clear()
            return self._st(SUCCESS)
        index = params[0]
        size = self.config.get(CONFIG_BINDING_TABLE_SIZE, 0)
        if index >= size:
            status = self._st(BINDING_INDEX_OUT_OF_RANGE)
            return (
                status + UNUSED_BINDING.pack() if frame_id == _GET_BINDING else status
            )
        if frame_id == _SET_BINDING:
            self.bindings[index] = BindingEntry.unpack(params[1:])
            return self._st(SUCCESS)
        if frame_id == _DELETE_BINDING:
            self.bindings.pop(index, None)
            return self._st(SUCCESS)
        return self._st(SUCCESS) + self.bindings.get(index, UNUSED_BINDING).pack()

    def _address_table_command(self, frame_id: int, params: bytes) -> bytes:
        """Answer the address table frames (gecko_sdk app/util/ezsp/command-prototypes.h)."""
        index = params[0]
        size = self.config.get(CONFIG_ADDRESS_TABLE_SIZE, 0)
        eui64, node = self.address_table.get(
            index, (t.EUI64(bytes(8)), TABLE_ENTRY_UNUSED_NODE_ID)
        )
        if self.sl_status:
            return self._address_table_info(frame_id, params, size)
        if frame_id == _SET_ADDRESS_TABLE_REMOTE_EUI64:
            if index >= size:
                return self._st(ADDRESS_TABLE_INDEX_OUT_OF_RANGE)
            # "If not known it will set the node ID to EMBER_UNKNOWN_NODE_ID"
            self.address_table[index] = (t.EUI64(params[1:9]), UNKNOWN_NODE_ID)
            return self._st(SUCCESS)
        if frame_id == _SET_ADDRESS_TABLE_REMOTE_NODE_ID:
            if index not in self.address_table:
                # "the application must set the remote EUI64 prior to setting the short ID"
                self._problem("setAddressTableRemoteNodeId before its EUI64")
                return b""
            self.address_table[index] = (eui64, int.from_bytes(params[1:3], "little"))
            return b""
        if frame_id == _GET_ADDRESS_TABLE_REMOTE_EUI64:
            return bytes(eui64)
        return node.to_bytes(2, "little")

    def _address_table_info(self, frame_id: int, params: bytes, size: int) -> bytes:
        """EZSP v14+: setAddressTableInfo / getAddressTableInfo set and read an entry whole.

        bellows/ezsp/v14/commands.py: ``setAddressTableInfo(index, eui64, nwk)
        -> status`` ("Replaces setAddressTableRemoteEui64 and
        setAddressTableRemoteNodeId"), ``getAddressTableInfo(index) -> status,
        nwk, eui64``.
        """
        index = params[0]
        if index >= size:
            status = self._st(ADDRESS_TABLE_INDEX_OUT_OF_RANGE)
            if frame_id == _SET_ADDRESS_TABLE_INFO:
                return status
            return status + TABLE_ENTRY_UNUSED_NODE_ID.to_bytes(2, "little") + bytes(8)
        if frame_id == _SET_ADDRESS_TABLE_INFO:
            eui64 = t.EUI64(params[1:9])
            self.address_table[index] = (eui64, int.from_bytes(params[9:11], "little"))
            return self._st(SUCCESS)
        eui64, node = self.address_table.get(
            index, (t.EUI64(bytes(8)), TABLE_ENTRY_UNUSED_NODE_ID)
        )
        return self._st(SUCCESS) + node.to_bytes(2, "little") + bytes(eui64)

    def _leave_options(self, options: int) -> None:
        """Take the options of an EZSP v14+ leaveNetwork (kept in :attr:`leave_options`).

        bellows ``SlZigbeeLeaveNetworkOption``: WITH_NO_OPTION 0x00,
        WITH_OPTION_REJOIN 0x20, IS_REQUESTED 0x40.
        """
        self.leave_options = options
        if options & ~_LEAVE_OPTIONS:
            self._problem(f"leaveNetwork with unknown options 0x{options:02X}")

    def _rejoin_arguments(self, reason: int, node_type: int) -> None:
        """Check EZSP v14+ findAndRejoinNetwork's reason and node type.

        simplicity_sdk ``protocol/zigbee/stack/include/network-formation.h``
        (sl_zigbee_find_and_rejoin_network): "An application should use one of
        the APP_EVENT rejoin reasons. The stack will never use these"; the node
        type: "the stack only accepts ::SL_ZIGBEE_END_DEVICE and
        ::SL_ZIGBEE_SLEEPY_END_DEVICE. This value could be set to 0 or
        SL_ZIGBEE_DEVICE_TYPE_UNCHANGED if not needed".
        """
        self.rejoin_arguments.append((reason, node_type))
        if reason not in _REJOIN_APP_EVENTS:
            self._problem(
                f"findAndRejoinNetwork with the stack's own rejoin reason 0x{reason:02X}"
            )
        if node_type not in {0x00, _END_DEVICE, 0x04}:
            self._problem(f"findAndRejoinNetwork as node type {node_type}")

    def _set_value(self, params: bytes) -> int:
        """setValue: only VALUE_EXTENDED_SECURITY_BITMASK (2 bytes) is known here."""
        value_id, length = params[0], params[1]
        value = params[2:]
        if len(value) != length:
            msg = f"{len(value)} bytes of value, not {length}"
            raise ValueError(msg)
        if value_id != VALUE_EXTENDED_SECURITY_BITMASK:
            return EZSP_ERROR_INVALID_ID
        if length != 2:
            return EZSP_ERROR_INVALID_VALUE
        self.extended_security = int.from_bytes(value, "little")
        return SUCCESS

    def leave_requested(self) -> None:
        """Receive a network Leave command asking this radio to leave (no rejoin).

        A router whose extended security bitmask has NWK_LEAVE_REQUEST_NOT_ALLOWED
        discards it (gecko_sdk ember-types.h: "whether a router node should
        discard or accept network Leave Commands"; Silicon Labs' Smart Energy
        security profile sets the bit: security-config.h). Otherwise the stack
        leaves: stackStatusHandler(NETWORK_DOWN), the network forgotten.
        """
        if not self.network_up or self.network is None:
            return
        if (
            self.network.node_type == _ROUTER
            and self.extended_security & NWK_LEAVE_REQUEST_NOT_ALLOWED
        ):
            self.leave_requests_discarded += 1
            return
        _, callbacks = self._leave()
        for callback in callbacks:
            callback()

    def _set_config(self, config_id: int, value_bytes: bytes) -> int:
        """Answer setConfigurationValue (UG100) with an EzspStatus."""
        value = int.from_bytes(value_bytes, "little")
        if self.network_up:
            # "Once the status of the stack changes to EMBER_NETWORK_UP,
            # configuration values can no longer be modified"
            self._problem(
                f"setConfigurationValue 0x{config_id:02X} after the network is up"
            )
            return EZSP_ERROR_INVALID_CALL
        if config_id not in _CONFIG_IDS:
            return EZSP_ERROR_INVALID_ID
        refusal = self.config_refusals.get(config_id)
        if refusal is not None:
            return refusal
        if config_id == _CONFIG_SECURITY_LEVEL and value not in {0, 5}:
            return EZSP_ERROR_INVALID_VALUE  # "The supported values are 0 ... and 5"
        self.config[config_id] = value
        return SUCCESS

    def _add_endpoint(self, params: bytes) -> bytes:
        endpoint, profile, device, _version, n_in, n_out = struct.unpack_from(
            "<BHHBBB", params
        )
        if len(params) != 8 + 2 * (n_in + n_out):
            msg = f"{len(params)} bytes for {n_in} + {n_out} clusters"
            raise ValueError(msg)
        if self.network_up:
            # "Once the status of the stack changes to EMBER_NETWORK_UP,
            # endpoints can no longer be added"
            return self._st(EZSP_ERROR_INVALID_CALL, ezsp=True)
        if endpoint in self.endpoints:
            # "EZSP_ERROR_INVALID_VALUE if the endpoint already exists"
            return self._st(EZSP_ERROR_INVALID_VALUE, ezsp=True)
        if self.endpoint_refusal is not None:
            return self._st(self.endpoint_refusal, ezsp=True)
        self.endpoints[endpoint] = (profile, device)
        return self._st(SUCCESS)

    # --- joining -----------------------------------------------------------

    @property
    def certificate(self) -> bytes:
        """The radio's Smart Energy (sect283k1) certificate."""
        return cbke.certificate(self.certificate_subject)

    def _han_network(self) -> bytes | None:
        """Return the hub's network as a beacon describes it (EmberZigbeeNetwork)."""
        han = self.han
        if han is None or not han.in_range:
            return None
        from custom_components.smets.han.simulator.app import HAN_PAN_ID  # noqa: PLC0415 - app imports zigpy's world

        return (
            bytes((han.channel,))
            + HAN_PAN_ID.to_bytes(2, "little")
            + bytes(han.extended_pan_id)
            + bytes((han.join_window_open, _STACK_PROFILE_PRO, 0))
        )

    def _network_parameters(self) -> bytes:
        network = self.network if self.network_up else None
        if network is None:
            return self._st(NOT_JOINED) + bytes((0,)) + bytes(_NETWORK_PARAMETERS.size)
        parameters = _NETWORK_PARAMETERS.pack(
            network.extended_pan_id,
            network.pan_id,
            8,
            network.channel,
            0,
            0x0000,
            0,
            1 << network.channel,
        )
        return self._st(SUCCESS) + bytes((network.node_type,)) + parameters

    def _start_scan(self, params: bytes) -> tuple[bytes, list[Callable[[], None]]]:
        scan_type, mask, duration = struct.unpack("<BIB", params)
        if scan_type != _ACTIVE_SCAN:
            self._problem(f"startScan of type {scan_type}, not an active scan")
        if self.network_up:
            self._problem("startScan while joined")
        # The start checks UG100 lists for startScan: a duration of 0 to 14, a
        # mask with a channel of 11 to 26 in it (0 means the current channel)
        if duration > _MAX_SCAN_DURATION:
            return self._st(MAC_BAD_SCAN_DURATION), []
        if mask == 0 and self.network is not None:
            mask = 1 << self.network.channel
        if not mask & _CHANNELS_2G4:
            return self._st(MAC_INVALID_CHANNEL_MASK), []
        found = self._han_network()
        han = self.han
        events: list[Callable[[], None]] = []
        # Each channel is listened to for ((2**duration) + 1) x 960 symbols of
        # 16 us (UG100, startScan), then the results for it are reported
        period = ((1 << duration) + 1) * 960 * 16e-6 / self.scan_speedup
        elapsed = 0.0
        for channel in range(11, 27):
            if not mask & 1 << channel:
                continue
            elapsed += period
            failure = self.scan_failures.get(channel)
            if failure is not None:
                # "Other error conditions signify a failure to scan on the
                # channel specified": reported, and the scan goes on
                events.append(
                    self._at(
                        elapsed,
                        _SCAN_COMPLETE_HANDLER,
                        bytes((channel,)) + self._st(failure),
                    )
                )
                continue
            if found is None or han is None or found[0] != channel:
                continue
            # Every router of the network answers the beacon request: the
            # hub, and the ESME (a mains-powered router) beside it
            events.extend(
                self._at(
                    elapsed,
                    _NETWORK_FOUND_HANDLER,
                    found + bytes((lqi, rssi & 0xFF)),
                )
                for lqi, rssi in ((200, -48), (232, -40))
            )
        # "EMBER_SUCCESS signals that the scan has completed"
        events.append(
            self._at(elapsed, _SCAN_COMPLETE_HANDLER, bytes((0,)) + self._st(SUCCESS))
        )
        return self._st(SUCCESS), events

    def _at(self, delay: float, frame_id: int, data: bytes) -> Callable[[], None]:
        """Return a callback that sends the callback frame ``delay`` seconds later."""
        return functools.partial(
            self._later, delay, functools.partial(self._callback, frame_id, data)
        )

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` in ``delay`` seconds, unless the NCP resets or goes first."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a host driving the NCP by hand, without a loop
            callback()
            return
        epoch = self._epoch

        def run() -> None:
            if self._epoch == epoch:
                callback()

        loop.call_later(delay, run)

    def _set_security(self, params: bytes) -> bytes:
        bitmask = int.from_bytes(params[:2], "little")
        if self.network_up:
            self._problem("setInitialSecurityState while joined")
            return self._st(INVALID_CALL)
        if not bitmask & _HAVE_PRECONFIGURED_KEY:
            self._problem("setInitialSecurityState without a preconfigured key")
        self.link_key = params[2:18]
        return self._st(SUCCESS)

    def _join(self, params: bytes) -> tuple[bytes, list[Callable[[], None]]]:
        node_type = params[0]
        ext_pan, pan_id, _power, channel, _method, _mgr, _update, _mask = (
            _NETWORK_PARAMETERS.unpack(params[1:])
        )
        if node_type not in _JOINING_TYPES:
            self._problem(f"joinNetwork as node type {node_type}")
            return self._st(INVALID_CALL), []
        if self.network_up:
            self._problem("joinNetwork while joined")
            return self._st(INVALID_CALL), []
        if self.link_key is None:
            self._problem("joinNetwork before setInitialSecurityState")
        found = self._han_network()
        han = self.han
        outcome = "out_of_range"
        if (
            found is not None
            and han is not None
            and found[0] == channel
            and found[3:11] == ext_pan
            and int.from_bytes(found[1:3], "little") == pan_id
        ):
            outcome = han.join(
                self.ieee, self.link_key or bytes(16), router=node_type == _ROUTER
            )
        if outcome == "joined":
            from custom_components.smets.han.simulator.app import CAD_NWK  # noqa: PLC0415

            self.network = _Network(ext_pan, pan_id, channel, node_type, CAD_NWK)
            self._connect_han()
            status = NETWORK_UP
        elif outcome == "refused":
            status = NO_NETWORK_KEY_RECEIVED  # the hub sent no key we could decrypt
        elif outcome == "no_router_capacity":
            # No beacon offers router capacity: the stack finds no parent for a
            # router and reports JOIN_FAILED (not CANNOT_JOIN_AS_ROUTER)
            status = JOIN_FAILED
        else:
            status = NO_BEACONS  # no beacon with association permitted
        return self._st(SUCCESS), self._stack_statuses(status)

    def _stack_statuses(self, status: int) -> list[Callable[[], None]]:
        """Return the stackStatusHandler callbacks ending a command: transient ones first."""
        return [
            functools.partial(self._callback, _STACK_STATUS_HANDLER, self._st(code))
            for code in (*self.transient_statuses, status)
        ]

    def _network_init(self, bitmask: int = 0) -> tuple[bytes, list[Callable[[], None]]]:
        if self.network is None:
            return self._st(NOT_JOINED), []
        if self.network.node_type != _ROUTER:
            # gecko_sdk ember-types.h EmberNetworkInitBitmask: an end device
            # keeps its parent in a token (else an orphan scan at each start)
            # and, Zigbee 3, must send a rejoin request on reboot
            self.end_device_init_bitmask = bitmask
            if bitmask & _PARENT_INFO_IN_TOKEN == 0:
                self._problem(
                    "networkInit of an end device without PARENT_INFO_IN_TOKEN"
                )
            if bitmask & _END_DEVICE_REJOIN_ON_REBOOT == 0:
                self._problem(
                    "networkInit of an end device without END_DEVICE_REJOIN_ON_REBOOT"
                )
        if self.network_up:
            self._problem("networkInit while the network is up")
            return self._st(INVALID_CALL), []
        han = self.han
        if han is not None and han.rejoin(self.ieee):
            self._connect_han()
            status = NETWORK_UP
        else:
            status = NETWORK_DOWN
        return self._st(SUCCESS), self._stack_statuses(status)

    def network_down(self) -> None:
        """Lose the network while the host runs: stackStatusHandler(NETWORK_DOWN).

        As when the hub made the radio leave, or an end device lost its parent.

        UG100: stackStatusHandler is "invoked when the status of the stack
        changes"; EMBER_NETWORK_DOWN "The network is not operating" (error-def.h);
        a send then answers EMBER_NETWORK_DOWN, "The node is not part of a
        network" (message.h, emberSendUnicast). The network stays in the
        tokens: after a reset, networkInit tries it again; so does a
        findAndRejoinNetwork (:meth:`drop_network` without a key rotation).
        """
        self.drop_network()

    def _find_and_rejoin(
        self, have_current_key: bool
    ) -> tuple[bytes, list[Callable[[], None]]]:
        # gecko_sdk network-formation.h emberFindAndRejoinNetwork: a secure
        # rejoin with the current network key; if that fails, an unsecured one
        # that the Trust Centre answers with the key under the device's link key
        if self.network is None:
            return self._st(INVALID_CALL), []
        if self.network_up:
            self._problem("findAndRejoinNetwork while the network is up")
            return self._st(INVALID_CALL), []
        self.rejoins.append(have_current_key)
        han = self.han
        admitted = han is not None and han.rejoin(self.ieee)
        if admitted and (not have_current_key or self.network_key_current):
            self.network_key_current = True
            self._connect_han()
            status = NETWORK_UP
        else:
            status = NETWORK_DOWN
        return self._st(SUCCESS), self._stack_statuses(status)

    def _leave(self) -> tuple[bytes, list[Callable[[], None]]]:
        if self.network is None:
            return self._st(INVALID_CALL), []
        if self.han is not None:
            self.han.leave(self.ieee)
        self._disconnect_han()
        self.network = None
        self.link_key = None
        self.polling = None
        # The key and binding tables are tokens the stack leaves alone: the
        # Smart Energy framework clears the key table itself before its next
        # join (af-node.c zaNodeSecurityInit, sli_zigbee_af_clear_link_key_table)
        return self._st(SUCCESS), [
            lambda: self._callback(_STACK_STATUS_HANDLER, self._st(NETWORK_DOWN))
        ]

    def _connect_han(self) -> None:
        self.network_up = True
        if self.han is not None:
            self.han.attach(self._sink)

    def _disconnect_han(self) -> None:
        self.network_up = False
        if self.han is not None:
            self.han.detach(self._sink)

    def _poll_for_data(self, params: bytes) -> bytes:
        interval, units, failure_limit = struct.unpack("<HBB", params)
        if not self.network_up or self.network is None:
            return self._st(NOT_JOINED)
        if self.network.node_type == _ROUTER:
            self._problem("pollForData on a router (it has no parent to poll)")
            return self._st(INVALID_CALL)
        self.polling = (interval, units, failure_limit)
        return self._st(SUCCESS)

    # --- messages ------------------------------------------------------------

    def _send_message(
        self, params: bytes, *, broadcast: bool
    ) -> tuple[bytes, list[Callable[[], None]]]:
        if self.sl_status:
            message_type, destination, aps, tag, contents = self._v14_send(
                params, broadcast=broadcast
            )
            length = len(contents)
        elif broadcast:
            destination = int.from_bytes(params[:2], "little")
            aps = params[2:13]
            _radius, tag, length = params[13], params[14], params[15]
            contents = params[16:]
            message_type = _OUTGOING_BROADCAST
        else:
            message_type = params[0]
            destination = int.from_bytes(params[1:3], "little")
            aps = params[3:14]
            tag, length = params[14], params[15]
            contents = params[16:]
        if len(aps) != _APS_FRAME.size or len(contents) != length:
            msg = f"{len(contents)} bytes of message, not {length}"
            raise ValueError(msg)
        profile, cluster, src_ep, dst_ep, options, group, _seq = _APS_FRAME.unpack(aps)
        if not self.network_up or self.network is None:
            return self._st(NETWORK_DOWN) + bytes((0,)), []
        encrypted = bool(options & APS_OPTION_ENCRYPTION) and not broadcast
        if encrypted and not self._has_link_key(destination):
            return self._st(APS_ENCRYPTION_ERROR) + bytes((0,)), []
        if not encrypted and not broadcast and profile == 0x0109 and dst_ep:
            self.unencrypted_sent.append(cluster)
        self._aps_sequence = (self._aps_sequence + 1) & 0xFF
        sequence = self._aps_sequence
        han = self.han
        status = SUCCESS
        if han is None or (han.faults.radio_lost and han.faults.radio_reports_loss):
            status = DELIVERY_FAILED
        sent_aps = _APS_FRAME.pack(
            profile, cluster, src_ep, dst_ep, options, group, sequence
        )
        if self.sl_status:
            # v14+: status first, a 2-byte tag (bellows/ezsp/v14/commands.py)
            sent = (
                self._st(status)
                + bytes((message_type,))
                + destination.to_bytes(2, "little")
                + sent_aps
                + tag.to_bytes(2, "little")
                + bytes((len(contents),))
                + contents
            )
        else:
            sent = (
                bytes((message_type,))
                + destination.to_bytes(2, "little")
                + sent_aps
                + bytes((tag, status, len(contents)))
                + contents
            )

        def deliver() -> None:
            # The stack reports the send, then whatever answers arrives
            self._callback(_MESSAGE_SENT_HANDLER, sent)
            if status == SUCCESS and han is not None:
                han.transmit(
                    t.ZigbeePacket(
                        src=t.AddrModeAddress(
                            addr_mode=t.AddrMode.NWK,
                            address=_t.NWK(self.network.nwk if self.network else 0),
                        ),
                        src_ep=_t.uint8_t(src_ep),
                        dst=t.AddrModeAddress(
                            addr_mode=t.AddrMode.Broadcast
                            if broadcast
                            else t.AddrMode.NWK,
                            address=_t.NWK(destination),
                        ),
                        dst_ep=_t.uint8_t(dst_ep),
                        tsn=_t.uint8_t(contents[0] if contents else 0),
                        profile_id=_t.uint16_t(profile),
                        cluster_id=_t.uint16_t(cluster),
                        data=t.SerializableBytes(contents),
                        tx_options=t.TransmitOptions.APS_Encryption
                        if encrypted
                        else t.TransmitOptions.NONE,
                    )
                )

        return self._st(SUCCESS) + bytes((sequence,)), [deliver]

    def _v14_send(
        self, params: bytes, *, broadcast: bool
    ) -> tuple[int, int, bytes, int, bytes]:
        """Parse an EZSP v14+ sendUnicast / sendBroadcast: (type, destination, APS, tag, message).

        bellows/ezsp/v14/commands.py: ``sendUnicast(message_type, nwk,
        aps_frame, message_tag: uint16, message)``; ``sendBroadcast(alias,
        destination, sequence, aps_frame, radius, message_tag: uint16,
        message)``. A broadcast with an alias goes out as another node: a
        CAD has no business doing that.
        """
        if broadcast:
            alias, destination = struct.unpack_from("<HH", params)
            aps = params[5:16]
            tag = int.from_bytes(params[17:19], "little")
            length, contents = params[19], params[20:]
            message_type = _OUTGOING_BROADCAST
            if alias != _NULL_NODE_ID:
                self._problem(f"sendBroadcast with the alias 0x{alias:04X}")
        else:
            message_type = params[0]
            destination = int.from_bytes(params[1:3], "little")
            aps = params[3:14]
            tag = int.from_bytes(params[14:16], "little")
            length, contents = params[16], params[17:]
        if len(contents) != length:
            msg = f"{len(contents)} bytes of message, not {length}"
            raise ValueError(msg)
        return message_type, destination, aps, tag, contents

    def incoming(self, packet: t.ZigbeePacket) -> None:
        """Pass a frame from the HAN for this radio on to the host."""
        if not self.network_up:
            return
        src = packet.src
        sender = int(cast("Any", src).address) if src is not None else 0
        data = packet.data.serialize()
        self._aps_sequence = (self._aps_sequence + 1) & 0xFF
        aps = _APS_FRAME.pack(
            int(packet.profile_id),
            int(packet.cluster_id),
            int(packet.src_ep or 0),
            int(packet.dst_ep or 0),
            # The stack marks a frame that arrived APS-encrypted
            _APS_OPTION_RETRY
            | (
                APS_OPTION_ENCRYPTION
                if packet.tx_options & t.TransmitOptions.APS_Encryption
                else 0
            ),
            0,
            self._aps_sequence,
        )
        lqi, rssi = packet.lqi or 200, (packet.rssi or -48) & 0xFF
        if self.sl_status:
            # v14+: the sender's node id and EUI64 (as the stack knows it: here
            # from the address table, else unknown, all zeros: assumed), then
            # binding and address index, LQI, RSSI, a timestamp (bellows
            # bellows/ezsp/v14/commands.py; sl_zigbee_rx_packet_info_t)
            index, eui64 = next(
                (
                    (i, bytes(e))
                    for i, (e, node) in self.address_table.items()
                    if node == sender
                ),
                (0xFF, bytes(8)),
            )
            stamp = int(asyncio.get_running_loop().time() * 1000) & 0xFFFFFFFF
            self._callback(
                _INCOMING_MESSAGE_HANDLER,
                bytes((_INCOMING_UNICAST,))
                + aps
                + sender.to_bytes(2, "little")
                + eui64
                + bytes((0xFF, index, lqi, rssi))
                + stamp.to_bytes(4, "little")
                + bytes((len(data),))
                + data,
            )
            return
        self._callback(
            _INCOMING_MESSAGE_HANDLER,
            bytes((_INCOMING_UNICAST,))
            + aps
            + bytes((lqi, rssi))
            + sender.to_bytes(2, "little")
            + bytes((0xFF, 0xFF, len(data)))
            + data,
        )

    # --- CBKE (crypto suite 2) -----------------------------------------------

    def _generate_cbke_keys(self) -> tuple[bytes, list[Callable[[], None]]]:
        if not self.has_certificate:
            # Assumed: no public source says what the library answers without
            # its certificate; the host never asks (it stops at getCertificate283k1)
            return self._st(_ERR_FATAL), []
        if self.cbke_library_fails == "generateCbkeKeys283k1":
            return self._st(OPERATION_IN_PROGRESS), [
                lambda: self._callback(
                    _GENERATE_CBKE_KEYS_HANDLER_283K1,
                    self._st(_ERR_FATAL) + bytes(cbke.EPHEMERAL_LENGTH),
                )
            ]
        self._cbke_counter += 1
        ephemeral = cbke.ephemeral_key(self.eui64[::-1], 1000 + self._cbke_counter)
        self._cbke["ephemeral"] = ephemeral
        self._cbke.pop("smacs", None)
        return self._st(OPERATION_IN_PROGRESS), [
            lambda: self._callback(
                _GENERATE_CBKE_KEYS_HANDLER_283K1, self._st(SUCCESS) + ephemeral
            )
        ]

    def _calculate_smacs(self, params: bytes) -> tuple[bytes, list[Callable[[], None]]]:
        initiator = bool(params[0])
        partner_cert = params[1 : 1 + cbke.CERTIFICATE_LENGTH]
        partner_ephemeral = params[1 + cbke.CERTIFICATE_LENGTH :]
        own = self._cbke.get("ephemeral")
        if own is None:
            self._problem("calculateSmacs283k1 before generateCbkeKeys283k1")
            return self._st(INVALID_CALL), []
        if cbke.certificate_subject(partner_cert) is None:
            self._problem("calculateSmacs283k1 with a malformed partner certificate")
        if self.cbke_library_fails == "calculateSmacs283k1":
            return self._st(OPERATION_IN_PROGRESS), [
                lambda: self._callback(
                    _CALCULATE_SMACS_HANDLER_283K1,
                    self._st(_ERR_FATAL) + bytes(2 * cbke.SMAC_LENGTH),
                )
            ]
        if initiator:
            smacs = cbke.smacs(self.certificate, own, partner_cert, partner_ephemeral)
        else:
            smacs = cbke.smacs(partner_cert, partner_ephemeral, self.certificate, own)
        self._cbke["smacs"] = b"".join(smacs)
        self._cbke["partner"] = cbke.certificate_subject(partner_cert) or b""
        return self._st(OPERATION_IN_PROGRESS), [
            lambda: self._callback(
                _CALCULATE_SMACS_HANDLER_283K1, self._st(SUCCESS) + b"".join(smacs)
            )
        ]

    def _clear_cbke(self, *, store: bool) -> bytes:
        if store and "smacs" not in self._cbke:
            self._problem(
                "clearTemporaryDataMaybeStoreLinkKey283k1 before calculateSmacs283k1"
            )
            return self._st(INVALID_CALL)
        stored = store
        if store:
            self.stored_link_keys.append(self._cbke["partner"])
        self._cbke = {}
        # "If storeLinkKey is false, this function returns ::EMBER_ERR_FATAL
        # always" (cbke-crypto-engine.h)
        return self._st(SUCCESS if stored else _ERR_FATAL)


_CBKE_FRAMES: Final = frozenset(
    {
        _GET_CERTIFICATE_283K1,
        _GENERATE_CBKE_KEYS_283K1,
        _CALCULATE_SMACS_283K1,
        _CLEAR_TEMPORARY_DATA_283K1,
    }
)
