"""The emulated NCP and hub behave as the vendors' sources say, on their own.

Each test here checks one rule of docs/radio-conformance.md on the emulator
alone (bellows, unmodified, or the simulated hub called directly; none of the
integration's radio code), so the emulator cannot drift toward the host's
assumptions. The host's side of each rule is tested in test_radio.py and
test_join.py.
"""

from __future__ import annotations

import asyncio

import pytest

from custom_components.smets.han.simulator.ncp import (
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
