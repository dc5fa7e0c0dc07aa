"""Which EZSP versions the radio path speaks, and one status vocabulary for all of them.

Up to EZSP v13 (EmberZNet 7.x) every command and callback carries a one-byte
``EmberStatus`` (or ``EzspStatus``). From EZSP v14 (EmberZNet 7.4 / 8.x,
Simplicity SDK) every one of them carries a four-byte ``sl_status_t``
(SiliconLabs/simplicity_sdk ``platform/common/inc/sl_status.h``), and the
messaging frames changed their arguments (``sendUnicast``, ``sendBroadcast``,
``messageSentHandler``, ``incomingMessageHandler``, ``leaveNetwork``,
``findAndRejoinNetwork``; ``setAddressTableInfo`` replaces the two address
table setters). bellows (unmodified) encodes each version's frames; this
module is the boundary that lets the join speak one language:

* :func:`ember_status` turns a status of either kind into the ``EmberStatus``
  code the host compares (``gecko_sdk`` ``protocol/zigbee/stack/include/error-def.h``),
  so the join reads the same at every version. Several EmberStatus values
  became one ``sl_status_t``: a v14+ stack reports a failed join as
  ``SL_STATUS_NOT_JOINED`` (simplicity_sdk ``protocol/zigbee/stack/include/stack-info.h``,
  ``sl_zigbee_stack_status_handler``: no JOIN_FAILED in its list). A code
  with no EmberStatus counterpart keeps its value, marked by
  :data:`SL_STATUS_MARK` so that it can never equal an EmberStatus.
* :func:`v14_arguments` gives a command's v14+ arguments from the v4 ones
  the host writes; :func:`v4_callback` puts a v14+ callback's arguments in
  the v4 order.
"""

from __future__ import annotations

from typing import Any, Final

SL_STATUS_VERSION: Final = 14
"""From this EZSP version on every status is an ``sl_status_t``."""
OLDEST_VERSION: Final = 6
"""The oldest EZSP version the radio path speaks (EmberZNet 6.x)."""
SL_STATUS_MARK: Final = 0x1_0000
"""Added to an ``sl_status_t`` that has no EmberStatus counterpart."""

# sl_status_t (sl_status.h) -> EmberStatus (error-def.h), the codes the join meets
SL_TO_EMBER: Final[dict[int, int]] = {
    0x0000: 0x00,  # OK -> SUCCESS
    0x0001: 0x01,  # FAIL -> ERR_FATAL
    0x0002: 0x70,  # INVALID_STATE -> INVALID_CALL
    0x0005: 0xBA,  # IN_PROGRESS -> OPERATION_IN_PROGRESS
    0x000E: 0xB5,  # NOT_AVAILABLE -> LIBRARY_NOT_PRESENT
    0x0015: 0x90,  # NETWORK_UP
    0x0016: 0x91,  # NETWORK_DOWN
    0x0017: 0x93,  # NOT_JOINED (also a failed join: JOIN_FAILED, CANNOT_JOIN_AS_ROUTER)
    0x0018: 0xAB,  # NO_BEACONS
    0x001C: 0xB4,  # FULL -> TABLE_FULL
    0x0021: 0x02,  # INVALID_PARAMETER -> BAD_ARGUMENT
    0x0027: 0xB1,  # INVALID_INDEX -> INDEX_OUT_OF_RANGE
    0x0038: 0x74,  # MESSAGE_TOO_LONG
    0x0044: 0x36,  # MAC_COMMAND_TRANSMIT_FAILURE
    0x004F: 0x35,  # INVALID_CHANNEL_MASK -> MAC_INVALID_CHANNEL_MASK
    0x0050: 0x33,  # BAD_SCAN_DURATION -> MAC_BAD_SCAN_DURATION
    0x0C02: 0x66,  # ZIGBEE_DELIVERY_FAILED
    0x0C07: 0x99,  # ZIGBEE_NODE_ID_CHANGED
    0x0C0A: 0xA6,  # ZIGBEE_APS_ENCRYPTION_ERROR
    0x0C16: 0x9A,  # ZIGBEE_PAN_ID_CHANGED
    0x0C17: 0x9B,  # ZIGBEE_CHANNEL_CHANGED
    0x0C18: 0x9C,  # ZIGBEE_NETWORK_OPENED
    0x0C19: 0x9D,  # ZIGBEE_NETWORK_CLOSED
    0x0C1A: 0xAC,  # ZIGBEE_RECEIVED_KEY_IN_THE_CLEAR
    0x0C1B: 0xAD,  # ZIGBEE_NO_NETWORK_KEY_RECEIVED
    0x0C1C: 0xAE,  # ZIGBEE_NO_LINK_KEY_RECEIVED
    0x0C1D: 0xAF,  # ZIGBEE_PRECONFIGURED_KEY_REQUIRED
}

REJOIN_DUE_TO_APP_EVENT_1: Final = 0xFF
"""The rejoin reason a host gives ``findAndRejoinNetwork`` at v14+: "An
application should use one of the APP_EVENT rejoin reasons. The stack will
never use these" (simplicity_sdk ``protocol/zigbee/stack/include/network-formation.h``;
EmberRejoinReason APP_EVENT_1 is 0xFF)."""
NODE_TYPE_UNCHANGED: Final = 0x00
"""``findAndRejoinNetwork``'s node type at v14+: "could be set to 0 or
SL_ZIGBEE_DEVICE_TYPE_UNCHANGED if not needed" (network-formation.h)."""
_NULL_NODE_ID: Final = 0xFFFF
"""``sendBroadcast``'s alias at v14+: none (the NWK sequence is then unused)."""


def _has_sdk_frames(commands: dict[str, Any]) -> bool:
    """Whether a bellows version's frames are the v14 ones the join needs.

    Older bellows (0.49, say) define EZSP v14+ with v13's ``leaveNetwork``
    (no options), ``findAndRejoinNetwork`` (no reason, no node type) and
    address table setters, which a v14 NCP no longer has: the join could not
    put a meter in the address table, so its link key would never be used.
    """
    leave = commands.get("leaveNetwork")
    rejoin = commands.get("findAndRejoinNetwork")
    return (
        "setAddressTableInfo" in commands
        and leave is not None
        and "options" in leave[1]
        and rejoin is not None
        and "reason" in rejoin[1]
    )


def bellows_versions() -> frozenset[int]:
    """Return the EZSP versions the installed bellows has the join's frames for."""
    from bellows.ezsp import EZSP  # noqa: PLC0415 - only the radio path needs bellows

    return frozenset(
        int(version)
        for version, protocol in EZSP._BY_VERSION.items()  # noqa: SLF001
        if version < SL_STATUS_VERSION or _has_sdk_frames(protocol.COMMANDS)
    )


def supported_versions() -> tuple[int, ...]:
    """Return the EZSP versions the radio path speaks: v6 up to bellows' newest.

    A version bellows has no frames for (v15, or one newer than its newest),
    or whose v14 frames are not Silicon Labs' (an older bellows), is refused:
    bellows would talk to it with frames the NCP does not have.
    """
    return tuple(sorted(v for v in bellows_versions() if v >= OLDEST_VERSION))


def describe_versions(versions: tuple[int, ...]) -> str:
    """Return ``versions`` as runs: "v6 to v14, v16 to v19"."""
    runs: list[list[int]] = []
    for version in versions:
        if runs and runs[-1][-1] == version - 1:
            runs[-1].append(version)
        else:
            runs.append([version])
    return ", ".join(
        f"v{run[0]}" if len(run) == 1 else f"v{run[0]} to v{run[-1]}" for run in runs
    )


def ember_status(value: Any) -> int:
    """Return a status of any EZSP version as its EmberStatus code.

    A value bellows decoded as an ``sl_status_t`` (EZSP v14+) is translated;
    an EmberStatus or EzspStatus (v6-v13) is already one.
    """
    from bellows import types as bt  # noqa: PLC0415 - only the radio path needs bellows

    if isinstance(value, bt.sl_Status):
        code = int(value)
        return SL_TO_EMBER.get(code, SL_STATUS_MARK | code)
    return int(value)


def status_text(code: int) -> str:
    """Return a status :func:`ember_status` gave, for a message.

    An EmberStatus or EzspStatus code as ``EzspStatus 0x35``; an sl_status_t
    without an EmberStatus counterpart as ``sl_status_t 0x001A``.
    """
    if code & SL_STATUS_MARK:
        return f"sl_status_t 0x{code & 0xFFFF:04X}"
    return f"EzspStatus 0x{code:02X}"


def normalise(values: list[Any]) -> list[Any]:
    """Return a response or callback's values with every status an EmberStatus code."""
    from bellows import types as bt  # noqa: PLC0415 - only the radio path needs bellows

    return [ember_status(v) if isinstance(v, bt.sl_Status) else v for v in values]


def v14_arguments(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the v14+ arguments of command ``name`` from its v4 arguments.

    The frames are bellows' ``bellows/ezsp/v14/commands.py`` (as the
    simplicity_sdk EZSP reference defines them): ``sendUnicast`` names its
    arguments anew and widens the message tag to two bytes; ``sendBroadcast``
    gains an alias and a NWK sequence; ``leaveNetwork`` gains its options;
    ``findAndRejoinNetwork`` gains a rejoin reason and a node type.
    """
    if name == "sendUnicast":
        return {
            "message_type": kwargs["type"],
            "nwk": kwargs["indexOrDestination"],
            "aps_frame": kwargs["apsFrame"],
            "message_tag": kwargs["messageTag"],
            "message": kwargs["messageContents"],
        }
    if name == "sendBroadcast":
        return {
            "alias": _NULL_NODE_ID,
            "destination": kwargs["destination"],
            "sequence": 0,
            "aps_frame": kwargs["apsFrame"],
            "radius": kwargs["radius"],
            "message_tag": kwargs["messageTag"],
            "message": kwargs["messageContents"],
        }
    if name == "leaveNetwork":
        return {"options": 0, **kwargs}  # SL_ZIGBEE_LEAVE_NWK_WITH_NO_OPTION
    if name == "findAndRejoinNetwork":
        return {
            **kwargs,
            "reason": REJOIN_DUE_TO_APP_EVENT_1,
            "nodeType": NODE_TYPE_UNCHANGED,
        }
    return kwargs


def v4_callback(name: str, args: list[Any]) -> list[Any]:
    """Return a v14+ callback's arguments in the v4 order the host reads.

    ``messageSentHandler`` (v14: status, type, destination, APS frame, tag,
    message) becomes (type, destination, APS frame, tag, status, message);
    ``incomingMessageHandler`` (v14: type, APS frame, sender, sender EUI64,
    binding index, address index, LQI, RSSI, timestamp, message) becomes
    (type, APS frame, LQI, RSSI, sender, binding index, address index, message).
    """
    if name == "messageSentHandler" and len(args) == 6:
        status, kind, nwk, aps, tag, message = args
        return [kind, nwk, aps, tag, status, message]
    if name == "incomingMessageHandler" and len(args) == 10:
        kind, aps, nwk, _eui64, binding, address, lqi, rssi, _time, message = args
        return [kind, aps, lqi, rssi, nwk, binding, address, message]
    return args
