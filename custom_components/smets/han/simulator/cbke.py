"""What the emulated radio and the simulated Comms Hub compute for joining and CBKE.

Two parts:

* **The install-code link key**, exactly as ZigBee specifies it: the install
  code (6, 8, 12 or 16 bytes followed by its CRC-16/X-25, little-endian) hashed
  with the AES-MMO hash (ZigBee specification, annex B.6: Matyas-Meyer-Oseas
  over AES-128, padded with a 1 bit, zeros and the bit length). Silicon Labs'
  AN1089 example: code ``83FED3407A939723A5C639B26916D505`` with CRC ``C3B5``
  gives the key ``66B6900981E1EE3CA4206B6B861C02BB``.
* **A stand-in for the sect283k1 elliptic-curve work** of certificate-based key
  establishment (ZSE crypto suite 2). A real radio computes the shared secret
  with ECMQV; here the certificates, ephemeral keys and SMACs are derived with
  SHA-256 so that the emulated NCP (the CAD's side) and the simulated hub (the
  responder) compute the same values from the same exchanged messages, and a
  wrong or swapped message gives a different SMAC. The sizes are the real ones:
  certificate 74 bytes, ephemeral public key 37, SMAC 16.
"""

from __future__ import annotations

import hashlib
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "CERTIFICATE_LENGTH",
    "EPHEMERAL_LENGTH",
    "ISSUER",
    "SMAC_LENGTH",
    "aes_mmo_hash",
    "certificate",
    "certificate_subject",
    "ephemeral_key",
    "install_code_crc",
    "install_code_key",
    "smacs",
]

CERTIFICATE_LENGTH: Final = 74
EPHEMERAL_LENGTH: Final = 37
SMAC_LENGTH: Final = 16
ISSUER: Final = b"TESTSECA"
_SUBJECT: Final = slice(28, 36)
_INITIATOR: Final = b"\x02"  # M(U) of the ZSE SMAC: 0x02 initiator, 0x03 responder
_RESPONDER: Final = b"\x03"


def install_code_crc(code: bytes) -> int:
    """Compute an install code's CRC: CRC-16/X-25 (reflected 0x1021, 0xFFFF)."""
    crc = 0xFFFF
    for byte in code:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def aes_mmo_hash(data: bytes) -> bytes:
    """Return the 16-byte AES-MMO hash of ``data`` (ZigBee annex B.6)."""
    bits = len(data) * 8
    padded = data + b"\x80"
    # Short messages (< 2**16 bits) end with the bit length in 2 bytes
    while len(padded) % 16 != 14:
        padded += b"\x00"
    padded += bits.to_bytes(2, "big")
    digest = bytes(16)
    for start in range(0, len(padded), 16):
        block = padded[start : start + 16]
        encryptor = Cipher(algorithms.AES(digest), modes.ECB()).encryptor()  # noqa: S305 - MMO is defined over raw AES blocks
        cipher = encryptor.update(block) + encryptor.finalize()
        digest = bytes(a ^ b for a, b in zip(cipher, block, strict=True))
    return digest


def install_code_key(code: bytes) -> bytes:
    """Return the preconfigured link key for an install code (without its CRC)."""
    return aes_mmo_hash(code + install_code_crc(code).to_bytes(2, "little"))


def certificate(eui64: bytes) -> bytes:
    """Build a well-formed 74-byte ZSE sect283k1 implicit certificate.

    ``eui64`` is big-endian (as printed). Type, serial, curve, hash, issuer,
    valid from/to, subject, key usage and the 37-byte public-key reconstruction
    point; the point is not a real one.
    """
    point = b"\x03" + (hashlib.sha256(b"point:" + eui64).digest() * 2)[:36]
    cert = (
        b"\x00"  # type: implicit
        + eui64  # serial
        + b"\x0d"  # curve: sect283k1
        + b"\x08"  # hash: AES-MMO
        + ISSUER
        + b"\x00" * 5  # valid from
        + b"\xff" * 4  # valid to: never expires
        + eui64  # subject
        + b"\x88"  # key usage: key agreement
        + point
    )
    assert len(cert) == CERTIFICATE_LENGTH
    return cert


def certificate_subject(cert: bytes) -> bytes | None:
    """Return the subject EUI64 (big-endian) of a certificate, None if malformed."""
    if len(cert) != CERTIFICATE_LENGTH or cert[11:19] != ISSUER:
        return None
    return cert[_SUBJECT]


def ephemeral_key(eui64: bytes, counter: int) -> bytes:
    """Return the 37-byte compressed ephemeral public key of one exchange."""
    digest = hashlib.sha256(b"ephemeral:" + eui64 + counter.to_bytes(4, "little"))
    return b"\x02" + (digest.digest() * 2)[:36]


def smacs(
    initiator_cert: bytes,
    initiator_ephemeral: bytes,
    responder_cert: bytes,
    responder_ephemeral: bytes,
) -> tuple[bytes, bytes]:
    """Return (initiator SMAC, responder SMAC) for one exchange."""
    shared = hashlib.sha256(
        b"shared:"
        + initiator_cert
        + initiator_ephemeral
        + responder_cert
        + responder_ephemeral
    ).digest()
    # The MAC data of ZigBee SE 1.x annex C, key establishment (U the initiator, V the
    # responder): MACtag U over M(U) || ID(U) || ID(V) || E(U) || E(V), MACtag V
    # over M(V) || ID(V) || ID(U) || E(V) || E(U); only the MAC itself (SHA-256
    # here, AES-MMO HMAC keyed with the ECMQV MacKey there) stands in
    initiator_id, responder_id = initiator_cert[_SUBJECT], responder_cert[_SUBJECT]
    initiator = hashlib.sha256(
        shared
        + _INITIATOR
        + initiator_id
        + responder_id
        + initiator_ephemeral
        + responder_ephemeral
    ).digest()
    responder = hashlib.sha256(
        shared
        + _RESPONDER
        + responder_id
        + initiator_id
        + responder_ephemeral
        + initiator_ephemeral
    ).digest()
    return initiator[:SMAC_LENGTH], responder[:SMAC_LENGTH]
