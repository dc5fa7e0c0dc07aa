"""A radio for the Home Assistant tests: the emulated EZSP NCP on a pseudo-terminal.

bellows, unmodified, opens the NCP's ``/dev/pts/N`` exactly as a USB stick's
``/dev/ttyUSB0``; behind the NCP runs the simulated HAN (a Comms Hub with its
meters), so pairing, key establishment and readings cross the real serial
protocol. Only the list of USB ports is stood in for (there is no USB here).
"""

from __future__ import annotations

from collections.abc import Generator
import contextlib
import termios
from typing import Any
from unittest.mock import patch

from custom_components.smets.han.radio import SerialPort
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
    install_code_crc,
)


def printed(code: bytes) -> str:
    """An install code as printed on a radio: code and CRC, in groups of four."""
    text = (code + install_code_crc(code).to_bytes(2, "little")).hex().upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


RADIO_EUI64 = DEFAULT_EUI64
PRINTED_CODE = printed(DEFAULT_INSTALL_CODE)


@contextlib.contextmanager
def ports(
    *radios: EmulatedNcp, usb_id: tuple[str, str] | None = None
) -> Generator[None]:
    """Let the config flow's port list show these radios (as USB enumeration would).

    ``usb_id`` (vid, pid) makes them USB sticks of that identity.
    """
    vid, pid = usb_id or (None, None)
    with patch(
        "custom_components.smets.config_flow.list_serial_ports",
        return_value=[
            SerialPort(radio.path, "Emulated EZSP NCP", vid, pid) for radio in radios
        ],
    ):
        yield


def line_settings(radio: EmulatedNcp) -> tuple[int, bool, bool]:
    """How the host last set up the radio's serial line (its pty keeps it).

    Returns the speed (a termios B constant), RTS/CTS and XON/XOFF flow control.
    """
    attrs = termios.tcgetattr(radio._slave)
    return attrs[5], bool(attrs[2] & termios.CRTSCTS), bool(attrs[0] & termios.IXON)


ZBT2_LINE = (termios.B460800, True, False)
"""A Connect ZBT-2's line: 460800 baud, hardware flow control, no XON/XOFF."""
DEFAULT_LINE = (termios.B115200, False, True)
"""Every other stick's: 115200 baud and XON/XOFF, bellows' default."""


def radio_entry_data(path: str, **network: Any) -> dict[str, Any]:
    """Config entry data of a paired radio (as the config flow stores it)."""
    return {
        "connection": "radio",
        "radio_type": "ezsp",
        "device_path": path,
        "baudrate": 115200,
        "radio_eui64": RADIO_EUI64,
        "network": {
            "eui64": RADIO_EUI64,
            "extended_pan_id": "00:11:22:33:44:55:66:77",
            "pan_id": 0x1A2B,
            "channel": 15,
            "hub_ieee": "00:11:22:33:44:55:66:77",
            "cbke": True,
            **network,
        },
    }
