"""Real GB meters (tests/han/data/real/): their published attributes, decoded.

Each file holds the raw attribute values a real meter published, copied with
their provenance from a public source, and what that source says the meter
showed. The values go through han/model/ as a Read Attributes answer would
bring them, and must give what the source says, to the last digit.
"""

from __future__ import annotations

from decimal import Decimal
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.smets.han import model as m

DATA = Path(__file__).parent / "data" / "real"
FILES = sorted(DATA.glob("*.json"))

METERING, PRICE, PREPAYMENT, DEVICE_MANAGEMENT = 0x0702, 0x0700, 0x0705, 0x0708

#: Signed attributes (two's complement in the source's hex): InstantaneousDemand
#: (int24) and the Prepayment money values (int32).
SIGNED = {(METERING, 0x0400), (PREPAYMENT, 0x0001), (PREPAYMENT, 0x0002)}
#: Octet / character strings: kept as the text the source gives.
TEXT = {(METERING, 0x0307), (METERING, 0x0308), (DEVICE_MANAGEMENT, 0x0101)}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _value(cluster: int, attr: int, raw: str) -> object:
    """One attribute as zigpy hands it to the decoders (int, or text)."""
    if (cluster, attr) in TEXT:
        return raw
    value = int(raw, 16)
    bits = 4 * len(raw)
    if (cluster, attr) in SIGNED and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _attributes(data: dict[str, Any]) -> dict[int, dict[int, object]]:
    return {
        int(cluster, 16): {
            int(attr, 16): _value(int(cluster, 16), int(attr, 16), raw)
            for attr, raw in values.items()
        }
        for cluster, values in data["attributes"].items()
    }


def _decode(data: dict[str, Any]) -> m.ElectricityReading | m.GasReading:
    clusters = _attributes(data)
    metering = clusters[METERING]
    if data["device"] == "esme":
        return m.decode_electricity(metering)
    return m.decode_gas(metering, clusters.get(PRICE))


def test_the_corpus_is_there() -> None:
    names = [path.name for path in FILES]
    assert len(names) >= 5, names
    devices = {_load(path)["device"] for path in FILES}
    assert devices == {"esme", "gpf"}


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_every_file_names_its_source(path: Path) -> None:
    data = _load(path)
    source = data["source"]
    assert source["repository"].count("/") == 1
    if "issue" in source:  # a value quoted in an issue thread
        assert source["url"] == (
            f"https://github.com/{source['repository']}/issues/{source['issue']}"
        )
    else:  # a file of a repository, at a commit
        assert source["path"]
        assert len(source["commit"]) == 40
        assert source["url"].startswith(
            f"https://github.com/{source['repository']}/blob/{source['commit']}/"
        )
    assert source["captured"]
    assert data["source_says"], "say what the source says the meter showed"
    for said in data["source_says"]:
        assert {"reading", "field", "value", "unit", "where"} <= said.keys()
    # the values are the source's strings, never numbers typed in by hand
    for values in data["attributes"].values():
        assert all(isinstance(raw, str) for raw in values.values())


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_decodes_to_what_the_source_says(path: Path) -> None:
    data = _load(path)
    reading = _decode(data)
    for said in data["source_says"]:
        value = getattr(reading, said["field"])
        if said["value"] is None:  # the source says: not a reading
            assert value is None, said
            continue
        assert isinstance(value, Decimal), said
        # every digit: the Decimal equals the source's figure exactly
        assert value == Decimal(said["value"]), said


#: The files whose register is a valid number (not the invalid sentinel).
COUNTED = [
    path
    for path in FILES
    if m.valid_uint(_attributes(_load(path))[METERING].get(0x0000), 48) is not None
]


@pytest.mark.parametrize("path", COUNTED, ids=[path.stem for path in COUNTED])
def test_formatting_is_kept_as_a_hint_never_applied(path: Path) -> None:
    data = _load(path)
    metering = _attributes(data)[METERING]
    reading = _decode(data)
    formatting = m.decode_formatting(metering.get(0x0303))
    assert reading.summation_formatting == formatting
    register = metering[0x0000]
    assert isinstance(register, int)
    divisor = metering.get(0x0302)
    # the register keeps the digits raw / divisor gives, whatever the hint says
    exact = m.scale(register, metering.get(0x0301), divisor)
    total = (
        reading.import_kwh
        if isinstance(reading, m.ElectricityReading)
        else (
            reading.volume_m3 if reading.volume_m3 is not None else reading.energy_kwh
        )
    )
    assert total == exact


def test_npower_esme() -> None:
    """The npower SMETS2 ESME: import, demand, day total, a credit meter."""
    data = _load(DATA / "glowprom-npower-esme.json")
    reading = _decode(data)
    assert isinstance(reading, m.ElectricityReading)
    assert reading.unit is m.UnitOfMeasure.KWH
    assert reading.device_type is m.MeteringDeviceType.ELECTRIC
    assert reading.supply_status is m.SupplyStatus.ON
    assert reading.status is not None
    assert not reading.status.any_problem
    assert reading.export_kwh == 0
    assert reading.demand_w == 2547  # 0x09F3 / 1000 kW
    assert reading.summation_digits == 3
    assert reading.demand_digits is None  # DemandFormatting 0x00: no hint
    prepayment = m.decode_prepayment(_attributes(data)[PREPAYMENT])
    assert prepayment.prepayment_mode is False  # 0x0C94: bit 1 clear


def test_npower_gpf_counts_volume_and_kwh_days() -> None:
    data = _load(DATA / "glowprom-npower-gpf.json")
    reading = _decode(data)
    assert isinstance(reading, m.GasReading)
    assert reading.device_type is m.MeteringDeviceType.MIRRORED_GAS
    assert reading.unit is m.UnitOfMeasure.M3
    # no Price cluster in the source: no calorific value, no register kWh
    assert reading.energy_kwh is None
    assert reading.calorific_value_mj_m3 is None


def test_glow_mqtt_esme_credit_meter_and_signed_credit() -> None:
    data = _load(DATA / "glow-mqtt-esme.json")
    clusters = _attributes(data)
    prepayment = m.decode_prepayment(clusters[PREPAYMENT])
    assert prepayment.prepayment_mode is False
    # CreditRemaining 0xFFE69AD4 is negative (int32), in the minor unit
    assert clusters[PREPAYMENT][0x0001] == -1_664_300
    assert prepayment.credit_remaining == Decimal("-16643.00")
    assert m.trailing_digits(clusters[PRICE][0x0617]) == 5  # low nibble


def test_an_invalid_register_is_unknown_never_a_number() -> None:
    data = _load(DATA / "hildebrandglow-issue-54-esme.json")
    reading = _decode(data)
    assert isinstance(reading, m.ElectricityReading)
    assert reading.import_kwh is None
    assert reading.tier_import_kwh == ()


def test_glow_mqtt_gpf_counts_energy() -> None:
    """A GPF whose UnitOfMeasure is kWh: the register is energy, no volume."""
    data = _load(DATA / "glow-mqtt-gpf.json")
    reading = _decode(data)
    assert isinstance(reading, m.GasReading)
    assert reading.unit is m.UnitOfMeasure.KWH
    assert reading.volume_m3 is None
    assert reading.today_m3 is None  # a volume day total needs a volume unit
    assert reading.power_w == 0
    assert reading.supply_status is m.SupplyStatus.OFF
    assert reading.summation_digits == 3
    assert reading.demand_digits == 3
