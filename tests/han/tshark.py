"""Running Wireshark's decoder (tshark) on a capture, for the capture tests."""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess

import pytest

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None,
    reason="tshark is not installed (apt-get install tshark): the pcap cannot be "
    "checked against Wireshark's decoder",
)


def tshark(path: Path, config_dir: Path, *args: str) -> str:
    """Run tshark as documented in capture.py, away from personal preferences."""
    assert TSHARK is not None
    config_dir.mkdir(exist_ok=True)
    result = subprocess.run(
        [TSHARK, "-n", "-r", str(path), *args],
        capture_output=True,
        check=True,
        text=True,
        env={**os.environ, "WIRESHARK_CONFIG_DIR": str(config_dir)},
        timeout=120,
    )
    return result.stdout
