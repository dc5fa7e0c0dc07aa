"""Tests for the GBCS alert table, its classification rules and trigger types."""

import importlib.util
import io
import json
from pathlib import Path
import sys
from typing import Any

import pytest

from custom_components.smets.han import alerts
from custom_components.smets.han.alerts import (
    CATEGORY_TRIGGERS,
    HEADLINE_TRIGGERS,
    OVERRIDES,
    TRIGGER_TYPES,
    AlertCategory as C,
    AlertSeverity as S,
    alert_info,
    all_alerts,
    classify,
    codes_for_trigger,
    trigger_types_for,
)

#: Rows in Wireshark's GBCS alert list (/work/shared/data/gbcs-alert-codes.tsv).
EXPECTED_ALERT_COUNT = 183
#: A few rows of that list, verbatim (double spaces, trailing spaces included).
TSV_SAMPLE = (
    "0x81BB\tReverse Current\n"
    "0x81B3\tError Watchdog \n"
    "0x8F47\tCredit would cause Meter Balance to exceed  Maximum Meter Balance Threshold\n"
    "\n"
    "0x8002\tAverage RMS Voltage above Average RMS Over Voltage Threshold (x)\n"
)
REPO = Path(__file__).resolve().parents[2]


def _document() -> dict[str, object]:
    data: dict[str, object] = json.loads(alerts.data_path().read_text("utf-8"))
    return data


def test_committed_table_has_every_code() -> None:
    document = _document()
    rows = document["alerts"]
    assert isinstance(rows, list)
    assert document["count"] == EXPECTED_ALERT_COUNT == len(rows)
    codes = [int(row["code"], 16) for row in rows]
    assert len(set(codes)) == EXPECTED_ALERT_COUNT
    assert codes == sorted(codes)
    assert min(codes) == 0x8002
    assert max(codes) == 0x8F84
    assert len(all_alerts()) == EXPECTED_ALERT_COUNT
    assert all(info.known for info in all_alerts())


def test_committed_table_agrees_with_the_rules() -> None:
    """The JSON was generated from classify(): regenerate if this fails."""
    for row in _document()["alerts"]:  # type: ignore[attr-defined]
        category, severity = classify(row["name"], int(row["code"], 16))
        assert (row["category"], row["severity"]) == (category, severity), row
        assert row["name"] == " ".join(row["name"].split())


@pytest.mark.parametrize(
    ("code", "name", "category", "severity"),
    [
        (0x81BB, "Reverse Current", C.TAMPER, S.CRITICAL),
        (0x8F3F, "Unauthorised Physical Access - Tamper Detect", C.TAMPER, S.CRITICAL),
        (
            0x8F74,
            "Unauthorised Physical Access - Meter Cover Removed",
            C.TAMPER,
            S.CRITICAL,
        ),
        (
            0x8F75,
            "Unauthorised Physical Access - Strong Magnetic field",
            C.TAMPER,
            S.CRITICAL,
        ),
        (0x81C3, "Tilt Tamper", C.TAMPER, S.CRITICAL),
        (0x81C2, "Tilt Tamper Ended", C.TAMPER, S.INFO),
        (0x81BC, "Strong Magnetic Field Removed", C.TAMPER, S.INFO),
        (0x81B6, "Flow Sensor Detects Reverse Flow of Gas", C.TAMPER, S.CRITICAL),
        (0x8F57, "Supply interrupted", C.SUPPLY, S.CRITICAL),
        (0x8F5A, "Supply interrupted on Phase 3", C.SUPPLY, S.CRITICAL),
        (0x8F35, "Supply Outage Restored", C.SUPPLY, S.INFO),
        (
            0x81C0,
            "Supply Disconnect Failure (Valve or Load Switch)",
            C.SUPPLY,
            S.WARNING,
        ),
        (0x8F01, "Active Power Import above Load Limit Threshold", C.SUPPLY, S.WARNING),
        (
            0x810D,
            "Combined Credit Below Low Credit Threshold (prepayment mode)",
            C.CREDIT,
            S.WARNING,
        ),
        (
            0x8119,
            "Emergency Credit Has Become Available (prepayment mode)",
            C.CREDIT,
            S.INFO,
        ),
        (0x81AB, "Emergency Credit Activated", C.CREDIT, S.WARNING),
        (0x81AA, "Emergency Credit Exhausted", C.CREDIT, S.CRITICAL),
        (
            0x8F0F,
            "Credit Below Disablement Threshold (prepayment mode)",
            C.CREDIT,
            S.CRITICAL,
        ),
        (0x8F51, "Duplicate UTRN entered", C.CREDIT, S.WARNING),
        (0x8F63, "UTRN not Authentic", C.CREDIT, S.WARNING),
        (0x8F64, "UTRN not for this Device", C.CREDIT, S.WARNING),
        (0x8F1F, "Low Battery Capacity", C.BATTERY, S.WARNING),
        (0x8F1D, "GSME Power Supply Loss", C.BATTERY, S.WARNING),
        (0x8F48, "Device joining failed", C.COMMS, S.WARNING),
        (0x8F49, "Device joining succeeded", C.COMMS, S.INFO),
        (0x8183, "Device joined SMHAN", C.COMMS, S.INFO),
        (
            0x8F53,
            "Failed Authentication or Authorisation not covered by other codes",
            C.COMMS,
            S.WARNING,
        ),
        (0x8F3E, "Unauthorised Communication Access attempted", C.COMMS, S.WARNING),
        (
            0x8020,
            "RMS Voltage above Extreme Over Voltage Threshold (voltage rises above for longer than the configurable period)",
            C.VOLTAGE,
            S.CRITICAL,
        ),
        (
            0x808D,
            "RMS Voltage above Extreme Over Voltage Threshold (voltage returns below for longer than the configurable period)",
            C.VOLTAGE,
            S.INFO,
        ),
        (
            0x8085,
            "Average RMS Voltage below Average RMS Over Voltage Threshold (current value below threshold; previous value above threshold)",
            C.VOLTAGE,
            S.INFO,
        ),
        (0x8010, "Over Current", C.VOLTAGE, S.WARNING),
        (0x8015, "Power Factor Threshold Ok", C.VOLTAGE, S.INFO),
        (0x8145, "Clock adjusted (within tolerance)", C.OTHER, S.INFO),
        (0x81AE, "Error Non Volatile Memory", C.OTHER, S.WARNING),
        (0x8F72, "Firmware Verification Successful", C.OTHER, S.INFO),
    ],
)
def test_sample_is_classified_sensibly(
    code: int, name: str, category: C, severity: S
) -> None:
    info = alert_info(code)
    assert info.known
    assert info.name == name
    assert (info.category, info.severity) == (category, severity)
    assert info.hex_code == f"0x{code:04X}"


@pytest.mark.parametrize(
    ("name", "category", "severity"),
    [
        ("Something Tamper", C.TAMPER, S.CRITICAL),
        ("Terminal Cover Closed", C.TAMPER, S.INFO),
        ("Top up refused", C.CREDIT, S.WARNING),
        ("Battery replaced and reset", C.BATTERY, S.INFO),
        ("Voltage Swell", C.VOLTAGE, S.WARNING),
        ("Valve tested", C.SUPPLY, S.INFO),
        ("Supply Disabled then Armed - something", C.SUPPLY, S.CRITICAL),
        ("HAN Interface Command Received and Successfully Actioned", C.COMMS, S.INFO),
        (
            "HAN Interface Command Received but not Successfully Actioned",
            C.COMMS,
            S.WARNING,
        ),
        ("Channel changes happened", C.OTHER, S.WARNING),
        ("Brand new thing", C.OTHER, S.WARNING),
        ("Event Log Cleared", C.OTHER, S.INFO),
    ],
)
def test_rules_without_overrides(name: str, category: C, severity: S) -> None:
    assert classify(name) == (category, severity)


def test_overrides_win_over_the_rules() -> None:
    # By the rules alone a "Supply Outage Restored" is supply/info anyway, but
    # an override pins it whatever the name says.
    assert classify("totally different words", 0x8F35) == (C.SUPPLY, S.INFO)
    assert classify("Reverse Current") == (C.TAMPER, S.CRITICAL)
    for code, pinned in OVERRIDES.items():
        info = alert_info(code)
        assert (info.category, info.severity) == pinned, hex(code)


@pytest.mark.parametrize(
    ("code", "name"),
    [(0x1234, "unknown (0x1234)"), (0x8F85, "unknown (0x8F85)"), (-5, "unknown (-5)")],
)
def test_unknown_code_still_gets_an_entry(code: int, name: str) -> None:
    info = alert_info(code)
    assert info.name == name
    assert not info.known
    assert info.category is C.OTHER
    assert info.severity is S.WARNING
    assert info.trigger_types == ("other_alert",)
    assert info.code == code


def test_non_int_code_is_unknown_not_an_error() -> None:
    info = alert_info("0x81BB")  # type: ignore[arg-type]
    assert not info.known
    assert info.code == -1


@pytest.mark.parametrize(
    ("trigger", "codes"),
    [
        ("tamper_detected", {0x8F3F, 0x8F74, 0x8F75, 0x81C3}),
        ("reverse_current", {0x81BB}),
        ("supply_interrupted", {0x8F57}),
        ("supply_restored", {0x8F35, 0x8F36}),
        ("low_credit", {0x810D}),
        ("emergency_credit_available", {0x8119}),
        ("emergency_credit_in_use", {0x81AB}),
        ("emergency_credit_exhausted", {0x81AA}),
        ("credit_below_disablement", {0x8F0F}),
        ("low_battery", {0x8F1F, 0x8F1D}),
        ("top_up_rejected", {0x8F51, 0x8F63, 0x8F64}),
        ("device_joined", {0x8F49, 0x8183}),
        ("over_voltage", {0x8002, 0x8020, 0x8024}),
        ("under_voltage", {0x8006, 0x8028, 0x802C}),
    ],
)
def test_headline_triggers_cover_their_codes(trigger: str, codes: set[int]) -> None:
    assert trigger in HEADLINE_TRIGGERS
    assert codes <= codes_for_trigger(trigger)
    for code in codes:
        assert trigger in alert_info(code).trigger_types


def test_voltage_triggers_leave_out_returns_to_normal() -> None:
    over = codes_for_trigger("over_voltage")
    under = codes_for_trigger("under_voltage")
    assert 0x808D not in over  # extreme over voltage: returns below
    assert 0x8085 not in over  # average back below the over threshold
    assert 0x8099 not in under  # sag: returns above
    assert not over & under


def test_every_trigger_code_is_in_the_table_and_keys_are_snake_case() -> None:
    known = {info.code for info in all_alerts()}
    assert set(TRIGGER_TYPES) == set(HEADLINE_TRIGGERS) | set(CATEGORY_TRIGGERS)
    assert len(TRIGGER_TYPES) == len(HEADLINE_TRIGGERS) + len(CATEGORY_TRIGGERS)
    for key, codes in TRIGGER_TYPES.items():
        assert key == key.lower()
        assert " " not in key
        assert codes, key
        assert codes <= known, key


def test_category_triggers_partition_the_table() -> None:
    seen: set[int] = set()
    for category in C:
        codes = TRIGGER_TYPES[f"{category}_alert"]
        assert not codes & seen
        seen |= codes
        assert all(alert_info(code).category is category for code in codes)
    assert len(seen) == EXPECTED_ALERT_COUNT


def test_trigger_lookups() -> None:
    assert codes_for_trigger("no_such_trigger") == frozenset()
    assert trigger_types_for(0x81BB) == ("reverse_current", "tamper_alert")
    assert trigger_types_for(0x9999) == ("other_alert",)


# --------------------------------------------------------------------------
# scripts/gen_alerts.py
# --------------------------------------------------------------------------


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_alerts", REPO / "scripts" / "gen_alerts.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_normalises_names_and_classifies(tmp_path: Path) -> None:
    generator = _load_generator()
    tsv = tmp_path / "codes.tsv"
    tsv.write_text(TSV_SAMPLE, encoding="utf-8")
    document = generator.build(tsv)
    assert document["count"] == 4
    rows = {row["code"]: row for row in document["alerts"]}
    assert list(rows) == ["0x8002", "0x81B3", "0x81BB", "0x8F47"]
    assert rows["0x81B3"]["name"] == "Error Watchdog"
    assert rows["0x8F47"]["name"].count("  ") == 0
    assert rows["0x81BB"]["category"] == "tamper"
    assert rows["0x81BB"]["severity"] == "critical"


def test_generator_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _load_generator()
    monkeypatch.setattr(sys, "stdin", io.StringIO(TSV_SAMPLE))
    assert [code for code, _ in generator.read_tsv(Path("-"))] == [
        0x8002,
        0x81B3,
        0x81BB,
        0x8F47,
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [("0x8002 no tab\n", "no tab"), ("0x8002\ta\n0x8002\tb\n", "duplicate")],
)
def test_generator_refuses_a_bad_tsv(tmp_path: Path, text: str, message: str) -> None:
    generator = _load_generator()
    tsv = tmp_path / "bad.tsv"
    tsv.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit, match=message):
        generator.read_tsv(tsv)


def test_generator_main_writes_the_json(tmp_path: Path) -> None:
    generator = _load_generator()
    tsv = tmp_path / "codes.tsv"
    tsv.write_text(TSV_SAMPLE, encoding="utf-8")
    out = tmp_path / "data" / "gbcs_alerts.json"
    assert generator.main(["gen_alerts.py", str(tsv)], out) == 0
    written = json.loads(out.read_text("utf-8"))
    assert written["count"] == 4
    assert written["alerts"][0]["code"] == "0x8002"
