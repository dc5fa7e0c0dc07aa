"""An emulated Silicon Labs EZSP network co-processor (NCP) on a serial line.

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
  marks it corrupt, XON/XOFF are flow control.
* EZSP (Silicon Labs UG100): after a reset the host sends ``version`` in the
  legacy (v4) header ``seq, frameControl, frameId``; the NCP answers with its
  protocol version, and once the host has asked for that version everything
  uses the extended header ``seq, frameControl (2 bytes, format 1), frameId
  (2 bytes, little-endian)``.

What it answers is what the integration's radio probe needs: ``version``,
``customFrame`` (as a firmware without extensions: an error status),
``getEui64``, ``getMfgToken`` (the install-code token) and
``getCertificate283k1``. It checks what it receives (CRC, frame numbers,
direction, frame ids and parameter sizes), records every problem in
:attr:`EmulatedNcp.problems` and the name of every command in
:attr:`EmulatedNcp.commands`, and answers a bad or unknown frame the way an NCP
does (NAK, or EZSP ``invalidCommand``).
"""

from __future__ import annotations

import asyncio
import binascii
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import functools
import os
import tty
from types import TracebackType
from typing import Final, Self

__all__ = [
    "DEFAULT_EUI64",
    "DEFAULT_INSTALL_CODE",
    "EmulatedNcp",
    "ash_crc",
    "install_code_crc",
    "install_code_token",
    "pseudo_random_sequence",
]

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
_CUSTOM_FRAME: Final = 0x0047
_INVALID_COMMAND: Final = 0x0058
_GET_MFG_TOKEN: Final = 0x000B
_GET_EUI64: Final = 0x0026
_GET_CERTIFICATE_283K1: Final = 0x00EC

_FRAMES: Final[dict[int, tuple[str, int | None]]] = {
    # frame id: (name, parameter bytes; None: one length byte and that many)
    _VERSION: ("version", 1),
    _CUSTOM_FRAME: ("customFrame", None),
    _GET_MFG_TOKEN: ("getMfgToken", 1),
    _GET_EUI64: ("getEui64", 0),
    _GET_CERTIFICATE_283K1: ("getCertificate283k1", 0),
}

_RESPONSE: Final = 0x80  # frame control, low byte: bit 7 set on NCP -> host
_FORMAT_1: Final = 0x01  # frame control, high byte: extended frame format 1

# EzspStatus values the NCP puts in an invalidCommand frame
ERROR_VERSION_NOT_SET: Final = 0x30
ERROR_INVALID_FRAME_ID: Final = 0x31
ERROR_WRONG_DIRECTION: Final = 0x32
ERROR_TRUNCATED: Final = 0x33
ERROR_COMMAND_TOO_LONG: Final = 0x40

# EmberStatus values
SUCCESS: Final = 0x00
INVALID_CALL: Final = 0x70
LIBRARY_NOT_PRESENT: Final = 0xB5

MFG_INSTALLATION_CODE: Final = 0x0A
_STACK_TYPE_MESH: Final = 0x02
CERTIFICATE_283K1_LENGTH: Final = 74

DEFAULT_EUI64: Final = "00:0d:6f:00:0a:bc:de:f0"
DEFAULT_INSTALL_CODE: Final = bytes.fromhex("83FED3407A939723A5C639B26916D505")
"""The example 16-byte install code of Silicon Labs' AN1089 (CRC 0xB5C3)."""

# Install-code token flags, as the integration's radio probe reads them:
# bit 0 a code is present, bits 1-3 its length.
_LENGTH_CODES: Final = {6: 0, 8: 1, 12: 2, 16: 3}


def install_code_crc(code: bytes) -> int:
    """Compute an install code's CRC: CRC-16/X-25 (reflected 0x1021, 0xFFFF)."""
    crc = 0xFFFF
    for byte in code:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def install_code_token(code: bytes | None) -> bytes:
    """Build the 20-byte MFG_INSTALLATION_CODE token: flags, code, CRC.

    ``None`` gives an erased token (all 0xFF), as on a radio never programmed.
    """
    if code is None:
        return b"\xff" * 20
    if len(code) not in _LENGTH_CODES:
        msg = f"an install code has 6, 8, 12 or 16 bytes, not {len(code)}"
        raise ValueError(msg)
    flags = 0x01 | _LENGTH_CODES[len(code)] << 1
    return (
        flags.to_bytes(2, "little")
        + code.ljust(16, b"\x00")
        + install_code_crc(code).to_bytes(2, "little")
    )


def _certificate(eui64: bytes) -> bytes:
    """Build a well-formed 74-byte ZSE sect283k1 certificate for ``eui64``.

    Type, serial, curve, hash, issuer, valid from/to, subject, key usage and the
    37-byte public-key reconstruction point. The point is not a real one: the
    emulator stands in for the radio firmware's elliptic-curve arithmetic.
    """
    issuer = b"TESTSECA"
    cert = (
        b"\x00"  # type: implicit
        + eui64[::-1]  # serial
        + b"\x0d"  # curve: sect283k1
        + b"\x08"  # hash: AES-MMO
        + issuer
        + b"\x00" * 5  # valid from
        + b"\xff" * 4  # valid to: never expires
        + eui64[::-1]  # subject (big-endian)
        + b"\x88"  # key usage: key agreement
        + b"\x03"
        + bytes(range(1, 37))  # compressed public-key reconstruction point
    )
    assert len(cert) == CERTIFICATE_283K1_LENGTH
    return cert


@dataclass(slots=True)
class _Sent:
    """The last DATA frame sent, kept until the host acknowledges it."""

    frm_num: int
    ezsp: bytes


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
        protocol_version: int = 13,
        stack_version: int = 0x7440,
        silent: bool = False,
    ) -> None:
        """Describe the radio.

        ``install_code`` None leaves the token erased; ``has_certificate`` None
        is a firmware without the CBKE frames at all (it answers
        ``getCertificate283k1`` with ``invalidCommand``); ``silent`` makes a
        radio that never answers.
        """
        self.eui64 = bytes.fromhex(eui64.replace(":", ""))[::-1]  # little-endian
        if len(self.eui64) != 8:
            msg = f"an EUI64 has 8 bytes: {eui64!r}"
            raise ValueError(msg)
        self.install_token = install_code_token(install_code)
        self.has_certificate = has_certificate
        self.protocol_version = protocol_version
        self.stack_version = stack_version
        self.silent = silent
        self.commands: list[str] = []
        """The EZSP commands received, by name, in order."""
        self.problems: list[str] = []
        """Everything received that a real NCP would have rejected."""
        self.resets = 0
        """How many ASH resets (RST) the host sent."""
        self.path = ""
        self._rx = bytearray()
        self._discarding = False
        self._connected = False
        self._rx_expected = 0
        self._tx_next = 0
        self._unacked: _Sent | None = None
        self._version_set = False
        self._write_fn: Callable[[bytes], object] | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

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
        self._write_fn = functools.partial(os.write, master)
        asyncio.get_running_loop().add_reader(master, self._read_pty)
        self.path = os.ttyname(slave)
        return self.path

    def _read_pty(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:  # pragma: no cover - woken without data
            return
        self.data_received(data)

    async def open_tcp(self) -> str:
        """Serve on a TCP port of 127.0.0.1; return a ``socket://`` URL for it.

        Like a network coordinator (zigbeed), the NCP announces itself with an
        RSTACK as soon as the host connects.
        """
        self._server = await asyncio.start_server(self._serve_tcp, "127.0.0.1", 0)
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
        self._connected = False
        if not self.silent:
            self._reset(RESET_POWER_ON)
        try:
            while data := await reader.read(4096):
                self.data_received(data)
        finally:
            self._tasks.discard(task)
            writer.close()

    async def close(self) -> None:
        """Stop serving and release the terminal or the socket."""
        if self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)
            for fd in (self._master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)  # type: ignore[arg-type]
            self._master = self._slave = None
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
        assert self._write_fn is not None
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
        self._connected = True
        self._rx_expected = 0
        self._tx_next = 0
        self._unacked = None
        self._version_set = False
        self._send(bytes((_RSTACK, _ASH_VERSION, code)))

    def _check_ack(self, ack_num: int) -> None:
        if ack_num == self._tx_next:
            self._unacked = None
        elif self._unacked is None or ack_num != self._unacked.frm_num:
            self._problem(f"ackNum {ack_num}, but the next frame is {self._tx_next}")

    def _retransmit(self) -> None:
        if self._unacked is not None:
            self._send_data(self._unacked, re_tx=True)

    def _send_data(self, sent: _Sent, *, re_tx: bool = False) -> None:
        control = sent.frm_num << 4 | re_tx << 3 | self._rx_expected
        self._send(bytes((control,)) + _randomise(sent.ezsp))

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
        sent = _Sent(self._tx_next, answer)
        self._tx_next = (self._tx_next + 1) % 8
        self._unacked = sent
        self._send_data(sent)  # the acknowledgement rides along

    # --- EZSP ------------------------------------------------------------

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

        def answer(frame_id: int, data: bytes) -> bytes:
            if extended:
                header = bytes((seq, _RESPONSE, _FORMAT_1)) + frame_id.to_bytes(
                    2, "little"
                )
            else:
                header = bytes((seq, _RESPONSE, frame_id))
            return header + data

        def invalid(status: int, why: str) -> bytes:
            self._problem(why)
            return answer(_INVALID_COMMAND, bytes((status,)))

        name, size = _FRAMES.get(frame_id, (f"0x{frame_id:04X}", 0))
        self.commands.append(name)
        if control & _RESPONSE:
            return invalid(ERROR_WRONG_DIRECTION, f"{name} sent as a response")
        if frame_id == _GET_CERTIFICATE_283K1 and self.has_certificate is None:
            # A firmware built without CBKE does not know the frame: no problem
            return answer(_INVALID_COMMAND, bytes((ERROR_INVALID_FRAME_ID,)))
        if frame_id not in _FRAMES:
            return invalid(ERROR_INVALID_FRAME_ID, f"unknown EZSP frame {name}")
        if frame_id != _VERSION and not (extended and self._version_set):
            return invalid(ERROR_VERSION_NOT_SET, f"{name} before version")
        if size is None:
            size = 1 + params[0] if params else 1
        if len(params) != size:
            status = ERROR_TRUNCATED if len(params) < size else ERROR_COMMAND_TOO_LONG
            return invalid(status, f"{name} with {len(params)} bytes, not {size}")
        return answer(frame_id, self._command(frame_id, params, extended=extended))

    def _command(self, frame_id: int, params: bytes, *, extended: bool) -> bytes:
        if frame_id == _VERSION:
            if params[0] == self.protocol_version:
                self._version_set = True
            return bytes(
                (self.protocol_version, _STACK_TYPE_MESH)
            ) + self.stack_version.to_bytes(2, "little")
        if frame_id == _CUSTOM_FRAME:
            # No firmware extensions (XNCP) here
            return bytes((INVALID_CALL, 0))
        if frame_id == _GET_EUI64:
            return self.eui64
        if frame_id == _GET_MFG_TOKEN:
            token = self.install_token if params[0] == MFG_INSTALLATION_CODE else b""
            return bytes((len(token),)) + token
        # getCertificate283k1
        if self.has_certificate:
            return bytes((SUCCESS,)) + _certificate(self.eui64)
        return bytes((LIBRARY_NOT_PRESENT,)) + bytes(CERTIFICATE_283K1_LENGTH)
