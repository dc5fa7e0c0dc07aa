"""The emulated EZSP NCP: its ASH and EZSP layers byte by byte, then bellows on it.

The byte-level tests play the host by hand (frames built here from the protocol
documents), so the emulator's checks and answers are pinned down without
bellows; the last tests let bellows, unmodified, open it like a USB stick.
"""

from __future__ import annotations

import asyncio
import binascii
from collections.abc import AsyncIterator

import pytest

from smets_dev import ncp as emulator
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
    ash_crc,
    install_code_crc,
    install_code_token,
    pseudo_random_sequence,
)

# --- the protocol's building blocks -------------------------------------------


def test_crc_and_randomisation_match_the_ash_documents() -> None:
    # UG101: the RST frame is C0 38 BC 7E; the sequence starts 42 21 A8 54 2A
    assert ash_crc(b"\xc0") == 0x38BC
    assert pseudo_random_sequence(5) == bytes.fromhex("4221A8542A")


def test_install_code_token() -> None:
    # AN1089's example code has the CRC 0xB5C3, printed (little-endian) C3B5;
    # the token's flags: bit 0 clear (programmed), bits 1-2 the size (3: 16 bytes)
    assert install_code_crc(DEFAULT_INSTALL_CODE) == 0xB5C3
    token = install_code_token(DEFAULT_INSTALL_CODE)
    assert token == b"\x06\x00" + DEFAULT_INSTALL_CODE + b"\xc3\xb5"
    short = install_code_token(bytes(range(6)))
    assert len(short) == 20
    assert short[:2] == b"\x00\x00"
    assert short[18:] == install_code_crc(bytes(range(6))).to_bytes(2, "little")
    assert install_code_token(None) == b"\xff" * 20
    with pytest.raises(ValueError, match="not 5"):
        install_code_token(bytes(5))


def test_a_bad_eui64_is_refused() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        EmulatedNcp(eui64="00:0d:6f")


# --- a host written by hand -----------------------------------------------------

RESERVED = {0x7E, 0x7D, 0x11, 0x13, 0x18, 0x1A}


def stuff(frame: bytes) -> bytes:
    out = bytearray()
    for byte in frame + binascii.crc_hqx(frame, 0xFFFF).to_bytes(2, "big"):
        out += bytes((0x7D, byte ^ 0x20)) if byte in RESERVED else bytes((byte,))
    return bytes(out) + b"\x7e"


def unstuff(raw: bytes) -> list[bytes]:
    frames, frame, escaped = [], bytearray(), False
    for byte in raw:
        if byte == 0x7E:
            assert binascii.crc_hqx(bytes(frame[:-2]), 0xFFFF) == int.from_bytes(
                frame[-2:], "big"
            )
            frames.append(bytes(frame[:-2]))
            frame.clear()
        elif byte == 0x7D:
            escaped = True
        else:
            frame.append(byte ^ 0x20 if escaped else byte)
            escaped = False
    return frames


def xor(data: bytes) -> bytes:
    return bytes(
        a ^ b for a, b in zip(data, pseudo_random_sequence(len(data)), strict=True)
    )


class Host:
    """Just enough of an ASH host to drive the NCP frame by frame."""

    def __init__(self, ncp: EmulatedNcp) -> None:
        self.ncp = ncp
        self.out = bytearray()
        ncp.attach(self.out.extend)
        self.frm = 0
        self.ack = 0
        self.seq = 0

    def take(self) -> list[bytes]:
        frames = unstuff(bytes(self.out))
        self.out.clear()
        return frames

    def send(self, raw: bytes) -> list[bytes]:
        self.ncp.data_received(raw)
        return self.take()

    def reset(self) -> bytes:
        (rstack,) = self.send(b"\x1a" * 4 + stuff(b"\xc0"))
        self.frm = self.ack = 0
        return rstack

    def data(self, ezsp: bytes, *, frm: int | None = None, re_tx: bool = False):
        frm = self.frm if frm is None else frm
        control = frm << 4 | re_tx << 3 | self.ack
        frames = self.send(stuff(bytes((control,)) + xor(ezsp)))
        self.frm = (frm + 1) % 8
        return frames

    def command(self, frame_id: int, params: bytes = b"", *, legacy: bool = False):
        if legacy:
            header = bytes((self.seq, 0x00, frame_id))
        else:
            header = bytes((self.seq, 0x00, 0x01)) + frame_id.to_bytes(2, "little")
        self.seq += 1
        (reply,) = self.data(header + params)
        control = reply[0]
        assert control & 0x80 == 0  # a DATA frame, with the ACK piggybacked
        assert control & 0x07 == self.frm
        self.ack = (control >> 4) + 1 & 0x07
        ezsp = xor(reply[1:])
        assert ezsp[0] == self.seq - 1
        assert ezsp[1] == 0x80  # a response
        if legacy:
            return ezsp[2], ezsp[3:]
        assert ezsp[2] == 0x01
        return int.from_bytes(ezsp[3:5], "little"), ezsp[5:]

    def negotiate(self) -> None:
        assert self.command(0x00, b"\x04", legacy=True) == (0x00, b"\x0d\x02\x40\x74")
        assert self.command(0x00, b"\x0d") == (0x00, b"\x0d\x02\x40\x74")


def test_reset_and_version_negotiation() -> None:
    ncp = EmulatedNcp()
    host = Host(ncp)
    assert host.reset() == b"\xc1\x02\x0b"  # RSTACK, version 2, software reset
    host.negotiate()
    assert ncp.commands == ["version", "version"]
    assert ncp.resets == 1
    assert ncp.problems == []


def test_identity_frames() -> None:
    ncp = EmulatedNcp(eui64="00:0d:6f:00:0a:bc:de:f0", install_code=None)
    host = Host(ncp)
    host.reset()
    host.negotiate()
    assert host.command(0x26) == (0x26, bytes.fromhex("f0debc0a006f0d00"))
    assert host.command(0x0B, b"\x0a") == (0x0B, b"\x14" + b"\xff" * 20)
    assert host.command(0x0B, b"\x01") == (0x0B, b"\x00")  # a token it lacks
    frame_id, cert = host.command(0xEC)
    assert (frame_id, cert[0], len(cert)) == (0xEC, 0x00, 1 + 74)
    assert cert[29:37] == bytes.fromhex("000d6f000abcdef0")  # the subject
    assert host.command(0x47, b"\x02\x00\x00") == (0x47, b"\x70\x00")  # no XNCP
    assert ncp.problems == []
    assert ncp.commands[2:] == [
        "getEui64",
        "getMfgToken",
        "getMfgToken",
        "getCertificate283k1",
        "customFrame",
    ]


@pytest.mark.parametrize(
    ("has_certificate", "answer"),
    [(False, (0xEC, b"\x01" + b"\xff" * 74)), (None, (0x58, b"\x31"))],
)
def test_radios_without_a_certificate(
    has_certificate: bool | None, answer: tuple[int, bytes]
) -> None:
    ncp = EmulatedNcp(has_certificate=has_certificate)
    host = Host(ncp)
    host.reset()
    host.negotiate()
    assert host.command(0xEC) == answer
    assert ncp.problems == []


def test_ezsp_frames_it_rejects() -> None:
    ncp = EmulatedNcp()
    host = Host(ncp)
    host.reset()
    # Before version: EZSP_ERROR_VERSION_NOT_SET, in the format it came in
    assert host.command(0x26) == (0x58, b"\x30")
    assert host.command(0x26, legacy=True) == (0x58, b"\x30")
    host.negotiate()
    assert host.command(0x99) == (0x58, b"\x31")  # unknown frame id
    assert host.command(0x26, b"\x00") == (0x58, b"\x40")  # too long
    assert host.command(0x0B) == (0x58, b"\x33")  # truncated
    assert host.command(0x47, b"\x05\x00") == (0x58, b"\x33")  # short payload
    assert host.command(0x47) == (0x58, b"\x33")  # no length byte
    # A frame marked as a response: EZSP_ERROR_WRONG_DIRECTION
    (reply,) = host.data(bytes((host.seq, 0x80, 0x01, 0x26, 0x00)))
    assert xor(reply[1:])[3:] == b"\x58\x00\x32"
    host.ack = (host.ack + 1) % 8
    # Too short to be EZSP: acknowledged, not answered
    assert host.data(b"\x01\x00") == [bytes((0x80 | host.frm,))]
    assert ncp.problems == [
        "getEui64 before version",
        "getEui64 before version",
        "unknown EZSP frame 0x0099",
        "getEui64 with 1 bytes, not 0",
        "getMfgToken with 0 bytes, not 1",
        "customFrame with 2 bytes, not 6",
        "customFrame with 0 bytes, not 1",
        "getEui64 sent as a response",
        "EZSP frame too short: 0100",
    ]


def test_ash_framing_faults() -> None:
    ncp = EmulatedNcp()
    host = Host(ncp)
    # Anything but RST before the link is reset is ignored
    assert host.send(stuff(b"\x00" + xor(b"\x00\x00\x00\x04"))) == []
    host.reset()
    # A corrupt DATA frame is NAKed
    bad = bytearray(stuff(b"\x00" + xor(b"\x00\x00\x00\x04")))
    bad[1] ^= 0x01
    assert host.send(bytes(bad)) == [b"\xa0"]
    # Corrupt non-DATA frames, runts and bad escapes are dropped
    assert host.send(b"\x81\x00\x00\x7e") == []
    assert host.send(b"\x81\x7e") == []
    assert host.send(b"\x81\x7d\x5f" + b"\x00\x00\x7e") == []
    # Cancel and Substitute drop the frame in progress; XON/XOFF are ignored
    assert host.send(b"\x01\x02\x1a") == []
    assert host.send(b"\x01\x02\x18\x03\x04\x7e") == []
    assert host.send(b"\x11" + stuff(b"\xc0") + b"\x13") == [b"\xc1\x02\x0b"]
    # RST with data still resets; RSTACK from the host makes no sense
    assert host.send(stuff(b"\xc0\x00")) == [b"\xc1\x02\x0b"]
    assert host.send(stuff(b"\xc1\x02\x0b")) == []
    assert ncp.problems[0] == "ASH frame 0x00 before a reset"
    assert ncp.problems[1].startswith("bad CRC on ASH frame 00")
    assert ncp.problems[2].startswith("bad CRC on ASH frame 81")
    assert ncp.problems[3:] == [
        "ASH frame too short: 81",
        "escaped byte 0x7F is not reserved",
        "bad CRC on ASH frame 817f0000",
        "RST with data: c000",
        "unexpected ASH frame from the host: c1020b",
    ]
    assert ncp.resets == 3


def test_ash_sequence_numbers_acks_and_retransmission() -> None:
    ncp = EmulatedNcp()
    host = Host(ncp)
    host.reset()
    host.negotiate()  # two exchanges: the NCP sent frames 0 and 1
    # The host's ACK of frame 1 is what the NCP expects (ackNum 2)
    assert host.send(stuff(bytes((0x80 | 2,)))) == []
    # A frame out of sequence is NAKed
    assert host.data(b"\x09\x00\x01\x26\x00", frm=5) == [b"\xa2"]
    # A retransmission of the frame already received is ACKed again
    assert host.data(b"\x09\x00\x01\x26\x00", frm=1, re_tx=True) == [b"\x82"]
    host.frm = 2
    host.seq = 2
    assert host.command(0x26)[0] == 0x26
    # A NAK from the host makes the NCP send its frame again, marked re_tx
    (again,) = host.send(stuff(bytes((0xA0 | 2,))))
    assert again[0] == 0x20 | 0x08 | 3
    # An ackNum for a frame never sent is a problem
    assert host.send(stuff(bytes((0x80 | 6,)))) == []
    # A NAK with nothing to resend changes nothing
    host.send(stuff(bytes((0x80 | 3,))))
    assert host.send(stuff(bytes((0xA0 | 3,)))) == []
    assert ncp.problems == [
        "DATA frame 5, expected 2",
        "ackNum 6, but the next frame is 3",
    ]


def test_poll_for_data_needs_a_network() -> None:
    ncp = EmulatedNcp()
    host = Host(ncp)
    host.reset()
    host.negotiate()
    # pollForData(interval 1, EMBER_EVENT_MINUTE_TIME, failure limit 3): not joined
    assert host.command(0x42, b"\x01\x00\x03\x03") == (0x42, b"\x93")
    assert host.command(0x42, b"\x01\x00\x03") == (0x58, b"\x33")  # truncated
    assert ncp.polling is None
    assert ncp.problems == ["pollForData with 3 bytes, not 4"]


def test_the_statuses_are_bellows_own() -> None:
    """The EmberStatus values the emulator reports are the ones bellows names."""
    import bellows.types as t

    for name in (
        "SUCCESS",
        "DELIVERY_FAILED",
        "INVALID_CALL",
        "NETWORK_UP",
        "NETWORK_DOWN",
        "NOT_JOINED",
        "JOIN_FAILED",
        "CANNOT_JOIN_AS_ROUTER",
        "NETWORK_OPENED",
        "NETWORK_CLOSED",
        "NO_NETWORK_KEY_RECEIVED",
        "NO_BEACONS",
        "LIBRARY_NOT_PRESENT",
    ):
        assert getattr(emulator, name) == getattr(t.EmberStatus, name), name


def test_a_silent_ncp_says_nothing() -> None:
    ncp = EmulatedNcp(silent=True)
    host = Host(ncp)
    assert host.send(b"\x1a" * 32 + stuff(b"\xc0")) == []
    assert ncp.commands == []
    assert ncp.resets == 0


# --- bellows, unmodified, on the emulated NCP ----------------------------------


@pytest.fixture(params=["pty", "tcp"])
async def ncp_path(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[EmulatedNcp, str]]:
    ncp = EmulatedNcp(eui64="00:0d:6f:00:11:22:33:44")
    path = ncp.open_pty() if request.param == "pty" else await ncp.open_tcp()
    try:
        yield ncp, path
    finally:
        await ncp.close()
        await ncp.close()  # closing twice is harmless


async def test_bellows_reads_the_radio(ncp_path: tuple[EmulatedNcp, str]) -> None:
    from bellows.ezsp import EZSP
    import bellows.types as t

    ncp, path = ncp_path
    ezsp = EZSP({"path": path, "baudrate": 115200, "flow_control": None})
    try:
        async with asyncio.timeout(10):
            await ezsp.connect(use_thread=False)
            assert ezsp.ezsp_version == 13
            (eui64,) = await ezsp.getEui64()
            token = await ezsp.get_mfg_token(t.EzspMfgTokenId.MFG_INSTALLATION_CODE)
            status, cert = await ezsp.getCertificate283k1()
    finally:
        await ezsp.disconnect()
    assert str(eui64) == "00:0d:6f:00:11:22:33:44"
    assert bytes(token) == install_code_token(DEFAULT_INSTALL_CODE)
    assert status == t.EmberStatus.SUCCESS
    assert len(cert) == 74
    assert ncp.commands == [
        "version",  # legacy header, asks for v4; the NCP says 13
        "version",  # extended header, v13
        "customFrame",  # bellows asks for firmware extensions (XNCP): none
        "getEui64",
        "getMfgToken",
        "getCertificate283k1",
    ]
    assert ncp.problems == []
    # On a serial port bellows resets the NCP; on TCP the NCP's own RSTACK at
    # connection (as zigbeed does) lets it skip that
    assert ncp.resets == (1 if path.startswith("/dev/") else 0)


async def test_the_same_pty_serves_again() -> None:
    from bellows.ezsp import EZSP

    async with EmulatedNcp(eui64=DEFAULT_EUI64) as ncp:
        for _ in range(2):
            ezsp = EZSP({"path": ncp.path, "baudrate": 115200, "flow_control": None})
            try:
                async with asyncio.timeout(10):
                    await ezsp.connect(use_thread=False)
                    (eui64,) = await ezsp.getEui64()
            finally:
                await ezsp.disconnect()
            assert str(eui64) == DEFAULT_EUI64
    assert ncp.resets == 2
    assert ncp.problems == []
