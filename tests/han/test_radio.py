"""The EZSP radio probe, with bellows talking to an emulated NCP (no hardware here).

The emulated NCP (:mod:`smets_dev.ncp`) speaks ASH
and EZSP on a pseudo-terminal or a TCP socket, so bellows opens it exactly as it
opens a USB stick.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
import logging
from pathlib import Path
import sys
import termios
import types
from typing import Any

import pytest

from custom_components.smets.han import radio
from custom_components.smets.han.errors import HanError, HanTimeout
from custom_components.smets.han.ezsp_versions import (
    describe_versions,
    supported_versions,
)
from custom_components.smets.han.radio import (
    InstallCodeTokenError,
    RadioError,
    RadioInfo,
    SerialPort,
    SerialSettings,
    decode_install_code,
    install_code_crc,
    list_serial_ports,
    probe_ezsp,
    usb_serial_settings,
)
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
    install_code_token,
)

CODE = bytes(range(0x10, 0x20))


def _token(flags: int, code: bytes = CODE, crc: bytes | None = None) -> bytes:
    size = {0: 6, 1: 8, 2: 12, 3: 16}[((flags | flags >> 8) >> 1) & 3]
    if crc is None:
        crc = install_code_crc(code[:size]).to_bytes(2, "little")
    return flags.to_bytes(2, "little") + code.ljust(16, b"\xff") + crc


def _printed(code: bytes) -> str:
    text = (code + install_code_crc(code).to_bytes(2, "little")).hex().upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        # bit 0 clear: programmed; bits 1-2: the size (3: 16 bytes)
        (_token(0x0006), _printed(CODE)),
        (_token(0x0000), _printed(CODE[:6])),
        (_token(0x0002), _printed(CODE[:8])),
        (_token(0x0004), _printed(CODE[:12])),
        (_token(0x0600), _printed(CODE)),  # the size in bits 9-10 (byte-swapped)
        (b"\xff\xff" + b"\xff" * 18, None),  # erased token
        (_token(0x0007), None),  # bit 0 set: not initialised
        (b"", None),  # no token at all
        (b"\x07", None),
    ],
)
def test_decode_install_code(token: bytes, expected: str | None) -> None:
    assert decode_install_code(token) == expected


@pytest.mark.parametrize(
    ("token", "match"),
    [
        (_token(0x0006, crc=b"\xab\xcd"), "does not match its CRC"),
        (_token(0x0006)[:12], "12 bytes, not 20"),
    ],
)
def test_a_corrupted_install_code_token_is_refused(token: bytes, match: str) -> None:
    with pytest.raises(InstallCodeTokenError, match=match):
        decode_install_code(token)


async def test_probe_of_a_radio_whose_token_fails_its_crc(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A token with a wrong CRC is no install code: the user types the printed one."""
    async with EmulatedNcp() as ncp:
        ncp.install_token = install_code_token(DEFAULT_INSTALL_CODE, crc=0x1234)
        info = await probe_ezsp(ncp.path)
    assert info.install_code is None
    assert "does not match its CRC" in caplog.text
    assert "83FE" not in caplog.text.upper()


@pytest.fixture(params=["pty", "tcp"])
async def serve(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[[EmulatedNcp], Awaitable[str]]]:
    """Serve emulated NCPs the way the parameter says; close them afterwards."""
    opened: list[EmulatedNcp] = []

    async def start(ncp: EmulatedNcp) -> str:
        opened.append(ncp)
        return ncp.open_pty() if request.param == "pty" else await ncp.open_tcp()

    yield start
    for ncp in opened:
        await ncp.close()


async def test_probe_reads_identity_code_and_certificate(
    serve: Callable[[EmulatedNcp], Awaitable[str]],
) -> None:
    ncp = EmulatedNcp(eui64="00:0d:6f:00:0a:bc:de:f0")
    info = await probe_ezsp(await serve(ncp))
    assert info == RadioInfo(
        eui64="00:0d:6f:00:0a:bc:de:f0",
        install_code="83FE D340 7A93 9723 A5C6 39B2 6916 D505 C3B5",
        has_certificate=True,
        firmware="13",
    )
    assert ncp.commands[-3:] == ["getEui64", "getMfgToken", "getCertificate283k1"]
    assert ncp.problems == []


async def test_probe_opens_the_line_as_told() -> None:
    """The speed and flow control asked for reach the serial port (a pty here)."""
    async with EmulatedNcp() as ncp:
        info = await probe_ezsp(ncp.path, 460800, "hardware")
        attrs = termios.tcgetattr(ncp._slave)
        assert attrs[5] == termios.B460800  # output speed
        assert attrs[2] & termios.CRTSCTS  # RTS/CTS
        assert not attrs[0] & termios.IXON  # no XON/XOFF
        await probe_ezsp(ncp.path)
        attrs = termios.tcgetattr(ncp._slave)
        assert attrs[5] == termios.B115200
        assert not attrs[2] & termios.CRTSCTS
        assert attrs[0] & termios.IXON  # bellows' default: XON/XOFF
    assert info.has_certificate
    assert ncp.problems == []


async def test_probe_never_logs_the_install_code(
    serve: Callable[[EmulatedNcp], Awaitable[str]], caplog: pytest.LogCaptureFixture
) -> None:
    """bellows logs every frame at debug level; not the install-code token."""
    caplog.set_level(logging.DEBUG)
    info = await probe_ezsp(await serve(EmulatedNcp()))
    assert info.install_code is not None
    assert "getEui64" in caplog.text  # the serial stack did log, around it
    flat = caplog.text.lower().replace(" ", "")
    assert info.install_code.lower().replace(" ", "")[:16] not in flat
    assert "83fed340" not in flat
    assert "\\x83\\xfe\\xd3@" not in caplog.text


@pytest.mark.parametrize("version", [15, max(supported_versions()) + 1])
async def test_probe_refuses_a_firmware_it_cannot_speak(
    serve: Callable[[EmulatedNcp], Awaitable[str]], version: int
) -> None:
    """A version bellows has no frames for (none has v15) would be misread: refuse it."""
    spoken = describe_versions(supported_versions())
    ncp = EmulatedNcp(protocol_version=version)
    with pytest.raises(RadioError, match=rf"EZSP v{version}; .* EZSP {spoken}$"):
        await probe_ezsp(await serve(ncp))
    assert "getEui64" not in ncp.commands
    assert ncp.problems == []


@pytest.mark.parametrize("version", [14, 19])
async def test_probe_of_an_ezsp_v14_firmware(
    serve: Callable[[EmulatedNcp], Awaitable[str]], version: int
) -> None:
    """EmberZNet 8 / Simplicity SDK firmware (the ZBT-2's): sl_status_t statuses."""
    if version not in supported_versions():
        # An older bellows (0.49) defines v14+ with v13's leave, rejoin and
        # address table frames: the radio path refuses it rather than misjoin
        with pytest.raises(RadioError, match=rf"EZSP v{version}; .* EZSP v6 to v13$"):
            await probe_ezsp(await serve(EmulatedNcp(protocol_version=version)))
        return
    ncp = EmulatedNcp(protocol_version=version)
    info = await probe_ezsp(await serve(ncp))
    assert info.eui64 == DEFAULT_EUI64
    assert info.install_code is not None
    assert info.has_certificate
    assert info.firmware == str(version)
    assert ncp.problems == []


@pytest.mark.parametrize("has_certificate", [False, None])
async def test_probe_of_a_radio_without_certificate_or_code(
    serve: Callable[[EmulatedNcp], Awaitable[str]], has_certificate: bool | None
) -> None:
    # False: the CBKE frame answers an error; None: the firmware lacks the frame
    ncp = EmulatedNcp(install_code=None, has_certificate=has_certificate)
    info = await probe_ezsp(await serve(ncp), 57600)
    assert info.install_code is None
    assert not info.has_certificate
    assert ncp.problems == []


async def test_probe_of_a_silent_port(
    serve: Callable[[EmulatedNcp], Awaitable[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(radio, "PROBE_TIMEOUT", 0.3)
    path = await serve(EmulatedNcp(silent=True))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(HanTimeout, match=f"no EZSP radio answered on {path}"):
        await probe_ezsp(path)
    assert loop.time() - started < 2


async def test_probe_of_an_unplugged_radio(tmp_path: Path) -> None:
    path = str(tmp_path / "ttyUSB0")  # no such device
    with pytest.raises(RadioError, match=f"could not open the radio on {path}: "):
        await probe_ezsp(path)


class FakeEzsp:
    """A bellows EZSP whose connect and disconnect fail as told."""

    connect_error: BaseException = OSError("permission denied")
    disconnect_error: BaseException | None = OSError("not open")

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    async def connect(self, *, use_thread: bool) -> None:
        raise self.connect_error

    async def disconnect(self) -> None:
        if self.disconnect_error is not None:
            raise self.disconnect_error


async def test_probe_of_a_port_that_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bellows.ezsp

    monkeypatch.setattr(bellows.ezsp, "EZSP", FakeEzsp)
    with (
        caplog.at_level(logging.DEBUG, logger=radio.__name__),
        pytest.raises(RadioError, match="could not open the radio on /dev/x: perm"),
    ):
        await probe_ezsp("/dev/x")
    assert "Closing the radio failed" in caplog.text
    # The library's own errors pass unchanged
    monkeypatch.setattr(FakeEzsp, "connect_error", HanError("already reported"))
    with pytest.raises(HanError, match="already reported") as caught:
        await probe_ezsp("/dev/x")
    assert type(caught.value) is HanError


@dataclass
class _SerialxPort:
    device: str
    manufacturer: str | None
    product: str | None
    vid: int | None = None
    pid: int | None = None


@dataclass
class _PyserialPort:
    device: str
    description: str | None
    vid: int | None = None
    pid: int | None = None


def test_serial_ports_through_serialx(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("serialx")
    fake.list_serial_ports = lambda: [  # type: ignore[attr-defined]
        _SerialxPort("/dev/ttyUSB0", "Silicon Labs", "CP2102N", 0x10C4, 0xEA60),
        _SerialxPort("/dev/ttyS0", None, None),
    ]
    monkeypatch.setitem(sys.modules, "serialx", fake)
    assert list_serial_ports() == [
        SerialPort("/dev/ttyUSB0", "Silicon Labs - CP2102N", "10C4", "EA60"),
        SerialPort("/dev/ttyS0", "/dev/ttyS0"),
    ]


def test_serial_ports_through_pyserial(monkeypatch: pytest.MonkeyPatch) -> None:
    modules = sys.modules
    serial = types.ModuleType("serial")
    tools = types.ModuleType("serial.tools")
    list_ports = types.ModuleType("serial.tools.list_ports")
    list_ports.comports = lambda: [  # type: ignore[attr-defined]
        _PyserialPort("/dev/ttyACM0", "ZBT-2", 0x303A, 0x831A),
        _PyserialPort("/dev/ttyAMA0", None),
    ]
    tools.list_ports = list_ports  # type: ignore[attr-defined]
    serial.tools = tools  # type: ignore[attr-defined]
    monkeypatch.setitem(modules, "serialx", None)  # not installed
    monkeypatch.setitem(modules, "serial", serial)
    monkeypatch.setitem(modules, "serial.tools", tools)
    monkeypatch.setitem(modules, "serial.tools.list_ports", list_ports)
    assert list_serial_ports() == [
        SerialPort("/dev/ttyACM0", "ZBT-2", "303A", "831A"),
        SerialPort("/dev/ttyAMA0", "/dev/ttyAMA0"),
    ]


def test_serial_settings_of_usb_sticks() -> None:
    # The Connect ZBT-2, under either USB identity, in any case
    for vid, pid in (("303A", "4001"), ("303a", "831a")):
        assert usb_serial_settings(vid, pid) == SerialSettings(460800, "hardware")
    # Every other stick: 115200 baud, bellows' default flow control
    assert usb_serial_settings("10C4", "EA60") == SerialSettings(115200, None)
