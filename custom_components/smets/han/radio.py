"""Probe a Silicon Labs EZSP radio: is it there, who is it, can it join a GB HAN.

A GB smart meter's HAN admits a device only when the energy supplier has
registered its EUI64 and install code on the Comms Hub, and a SMETS2 hub also
expects the ZigBee Smart Energy certificate (curve sect283k1) that the radio's
manufacturer programmed. This module reads those three facts from the radio
through bellows (the EZSP serial protocol library Home Assistant's ZHA uses),
without changing anything on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import logging
from typing import Any, Final, Literal

from .errors import HanError, HanTimeout
from .ezsp_versions import describe_versions, ember_status, supported_versions

_LOGGER = logging.getLogger(__name__)

PROBE_TIMEOUT: Final = 15.0
DEFAULT_BAUDRATE: Final = 115200

type FlowControl = Literal["hardware", "software"] | None
"""How the serial line is paced, as zigpy's device config says it: bellows
opens the port with RTS/CTS for "hardware", XON/XOFF for "software" and for
None (bellows' default)."""


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """The serial line an EZSP radio's firmware expects."""

    baudrate: int = DEFAULT_BAUDRATE
    flow_control: FlowControl = None


# The Home Assistant Connect ZBT-2's Zigbee (EZSP) firmware runs its UART at
# 460800 baud with hardware flow control, on either of its two USB identities
# (Home Assistant core: the homeassistant_connect_zbt2 manifest's usb matchers,
# and the ZHA discovery its config flow starts with that baud rate and
# flow_control "hardware"). Every other stick listed in the manifest speaks
# 115200 baud with XON/XOFF, bellows' default.
_ZBT2: Final = SerialSettings(460800, "hardware")
USB_SERIAL_SETTINGS: Final[dict[tuple[str, str], SerialSettings]] = {
    ("303A", "4001"): _ZBT2,
    ("303A", "831A"): _ZBT2,
}


def usb_serial_settings(vid: str, pid: str) -> SerialSettings:
    """Return the serial settings of a USB stick by its USB ids (hex, any case)."""
    return USB_SERIAL_SETTINGS.get((vid.upper(), pid.upper()), SerialSettings())


# The MFG_INSTALLATION_CODE token (gecko_sdk,
# platform/service/token_manager/inc/sl_token_manufacturing_generic.h,
# tokTypeMfgInstallationCode): a little-endian uint16 of flags, 16 bytes of
# value, a little-endian uint16 CRC. Flags bit 0 is 1 while the token is
# uninitialised (erased flash reads 0xFFFF) and 0 once programmed; bits 1-2 give
# the code's size (0: 6 bytes, 1: 8, 2: 12, 3: 16). The stack also reads the
# size from bits 9-10, for tokens some manufacturers programmed byte-swapped.
# Simplicity Commander's dump of a 16-byte code shows Install Code Flags 0x0006.
_CODE_LENGTHS: Final = {0: 6, 1: 8, 2: 12, 3: 16}
_INSTALL_CODE_TOKEN: Final = 0x0A  # EzspMfgTokenId.MFG_INSTALLATION_CODE
_TOKEN_LENGTH: Final = 2 + 16 + 2
_UNINITIALISED: Final = 0x0001


class RadioError(HanError):
    """The radio could not be opened or did not answer as an EZSP radio."""


class UnsupportedFirmwareError(RadioError):
    """The radio answered, but its firmware speaks an EZSP version this code cannot."""


def check_ezsp_version(version: int) -> None:
    """Raise UnsupportedFirmwareError for an EZSP version the radio path cannot speak.

    The radio path speaks EZSP v6 (EmberZNet 6) up to the newest version the
    installed bellows has frames for (EmberZNet 8 and Simplicity SDK
    firmware, EZSP v14 and later, included): :mod:`.ezsp_versions` reads
    every version's statuses and frames in one vocabulary.
    """
    versions = supported_versions()
    if version not in versions:
        msg = (
            f"the radio's firmware speaks EZSP v{version}; this integration supports"
            f" EZSP {describe_versions(versions)}"
        )
        raise UnsupportedFirmwareError(msg)


# The serial stack logs every EZSP frame's arguments and raw bytes at debug
# level: an install code or a link key would be printed in full.
_RAW_LOGGERS: Final = ("bellows", "serialx", "zigpy.serial", "serial_asyncio_fast")


def _raw_loggers() -> list[logging.Logger]:
    """Return the serial stack's loggers, and every child given a level of its own.

    Muting the parent is not enough: Home Assistant's ``logger:`` settings (say
    ``bellows.ezsp.protocol: debug``) give a child its own level, and a child
    with a level logs whatever its parent's is.
    """
    names = set(_RAW_LOGGERS)
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and name.startswith(
            tuple(f"{prefix}." for prefix in _RAW_LOGGERS)
        ):
            names.add(name)
    return [logging.getLogger(name) for name in sorted(names)]


@contextlib.contextmanager
def serial_log_muted() -> Iterator[None]:
    """Mute the serial stack's debug log while a secret crosses the serial line."""
    loggers = _raw_loggers()
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logging.INFO, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@dataclass(frozen=True, slots=True)
class RadioInfo:
    """What a radio says about itself."""

    eui64: str
    install_code: str | None
    """The install code as hex, CRC included, in groups of four; None if absent."""
    has_certificate: bool
    """Whether a ZigBee Smart Energy (283k1) certificate is programmed."""
    firmware: str | None


def install_code_crc(code: bytes) -> int:
    """Return an install code's CRC: CRC-16/X-25 (reflected 0x1021, 0xFFFF, inverted)."""
    crc = 0xFFFF
    for byte in code:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


class InstallCodeTokenError(ValueError):
    """The radio's install-code token is programmed but not valid (size or CRC)."""


def decode_install_code(token: bytes) -> str | None:
    """Turn the MFG_INSTALLATION_CODE token into the printed form (code, CRC).

    None when no code is programmed (an erased or uninitialised token, or no
    token at all); :class:`InstallCodeTokenError` when one is, but the token is
    short or its CRC is not the code's (the printed code is then the one to use).
    """
    if len(token) < 2:
        return None
    flags = int.from_bytes(token[:2], "little")
    if flags & _UNINITIALISED:
        return None  # 0xFFFF erased, or bit 0 still set: no code programmed
    if len(token) < _TOKEN_LENGTH:
        msg = f"the install-code token has {len(token)} bytes, not {_TOKEN_LENGTH}"
        raise InstallCodeTokenError(msg)
    length = _CODE_LENGTHS[((flags | flags >> 8) >> 1) & 0x03]
    code = token[2 : 2 + length]
    crc = token[18:20]
    if install_code_crc(code).to_bytes(2, "little") != crc:
        msg = "the install code in the radio's token does not match its CRC"
        raise InstallCodeTokenError(msg)
    text = (code + crc).hex().upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _token_install_code(token: bytes) -> str | None:
    """Return the printed install code of the radio's token; None (and a warning) if invalid."""
    try:
        return decode_install_code(token)
    except InstallCodeTokenError as err:
        _LOGGER.warning("%s: enter the install code printed on the radio", err)
        return None


async def probe_ezsp(
    path: str, baudrate: int = DEFAULT_BAUDRATE, flow_control: FlowControl = None
) -> RadioInfo:
    """Open an EZSP radio at ``path``, read its identity, close it again."""
    try:
        # Only the radio path needs bellows.
        from bellows.ezsp import EZSP  # noqa: PLC0415
        from bellows.types import EzspMfgTokenId  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - bellows is a requirement
        msg = "bellows is not installed"
        raise RadioError(msg) from err

    ezsp: Any = EZSP({"path": path, "baudrate": baudrate, "flow_control": flow_control})
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await ezsp.connect(use_thread=False)
            check_ezsp_version(int(ezsp.ezsp_version))
            (eui64,) = await ezsp.getEui64()
            with serial_log_muted():
                token = await ezsp.get_mfg_token(EzspMfgTokenId(_INSTALL_CODE_TOKEN))
            has_cert = False
            try:
                status, *_cert = await ezsp.getCertificate283k1()
                has_cert = ember_status(status) == 0
            except Exception:
                _LOGGER.debug(
                    "The radio has no sect283k1 certificate frame", exc_info=True
                )
            firmware = getattr(ezsp, "ezsp_version", None)
    except TimeoutError as err:
        msg = f"no EZSP radio answered on {path}"
        raise HanTimeout(msg) from err
    except HanError:
        raise
    except Exception as err:
        msg = f"could not open the radio on {path}: {err}"
        raise RadioError(msg) from err
    finally:
        try:
            await ezsp.disconnect()
        except Exception:
            _LOGGER.debug("Closing the radio failed", exc_info=True)
    return RadioInfo(
        eui64=str(eui64),
        install_code=_token_install_code(bytes(token)),
        has_certificate=has_cert,
        firmware=None if firmware is None else str(firmware),
    )


@dataclass(frozen=True, slots=True)
class SerialPort:
    """A serial port the machine has, for the config flow's list."""

    path: str
    description: str
    vid: str | None = None
    """The USB vendor id (4 hex digits, upper case) of a USB adapter, else None."""
    pid: str | None = None


def _usb_id(value: int | None) -> str | None:
    return None if value is None else f"{value:04X}"


def list_serial_ports() -> list[SerialPort]:
    """List the serial ports (blocking: run it in an executor).

    Newer zigpy radio libraries list ports with serialx, older ones with
    pyserial; whichever is installed is used.
    """
    ports: list[SerialPort] = []
    try:
        import serialx  # noqa: PLC0415

        for info in serialx.list_serial_ports():
            label = " - ".join(
                str(part) for part in (info.manufacturer, info.product) if part
            )
            ports.append(
                SerialPort(
                    str(info.device),
                    label or str(info.device),
                    _usb_id(info.vid),
                    _usb_id(info.pid),
                )
            )
    except ImportError:
        try:
            from serial.tools import list_ports  # noqa: PLC0415
        except ImportError:  # pragma: no cover - one of the two is always there
            return ports
        ports.extend(
            SerialPort(
                str(port.device),
                str(port.description or port.device),
                _usb_id(port.vid),
                _usb_id(port.pid),
            )
            for port in list_ports.comports()
        )
    return ports
