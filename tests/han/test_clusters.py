"""The ZSE clusters: ids, layouts, registry hygiene, per-endpoint attachment."""

from __future__ import annotations

from pathlib import Path
import struct

import pytest
import zigpy.types as t
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.clusters import smartenergy as zse

from custom_components.smets.han import clusters as c

ZSE_IDS = Path(__file__).parent / "data" / "zse-ids.tsv"
"""Wireshark 4.x ZSE ids (a copy of shared/data/zse-ids.tsv)."""


def test_global_registry_untouched() -> None:
    """Importing our clusters never replaces zigpy's (ZHA shares the registry)."""
    for cluster_id, cls in c.HAN_CLUSTERS.items():
        assert cls._skip_registry is True
        assert Cluster._registry[cluster_id] is not cls
    assert Cluster._registry[0x0700] is zse.Price
    assert Cluster._registry[0x0702] is zse.Metering


@pytest.mark.parametrize(
    ("cls", "attr_id", "name"),
    [
        (c.Price, 0x0000, "tier1_price_label"),
        (c.Price, 0x002F, "tier48_price_label"),
        (c.Price, 0x0300, "commodity_type"),
        (c.Price, 0x0301, "standing_charge"),
        (c.Price, 0x0302, "conversion_factor"),
        (c.Price, 0x0303, "conversion_factor_trailing_digit"),
        (c.Price, 0x0304, "calorific_value"),
        (c.Price, 0x0305, "calorific_value_unit"),
        (c.Price, 0x0306, "calorific_value_trailing_digit"),
        (c.Price, 0x0410, "tier1_block1_price"),
        (c.Price, 0x0615, "unit_of_measure"),
        (c.Price, 0x0616, "currency"),
        (c.Price, 0x0617, "price_trailing_digit"),
        (c.Prepayment, 0x0001, "credit_remaining"),
        (c.Prepayment, 0x0003, "credit_status"),
        (c.Prepayment, 0x0020, "total_credit_added"),
        (c.Prepayment, 0x0103, "top_up_code1"),
        (c.Prepayment, 0x0500, "historical_cost_consumption_formatting"),
        (c.DeviceManagement, 0x0101, "provider_name"),
        (c.KeyEstablishment, 0x0000, "key_establishment_suite"),
        (c.Metering, 0x0000, "current_summ_delivered"),
        (c.Metering, 0x0C01, "current_day_alternative_consumption_delivered"),
        (c.Metering, 0x0C03, "previous_day_alternative_consumption_delivered"),
    ],
)
def test_attribute_ids(cls: type[Cluster], attr_id: int, name: str) -> None:
    assert cls.attributes[attr_id].name == name


def _wireshark() -> dict[str, dict[int, str]]:
    tables: dict[str, dict[int, str]] = {}
    with open(ZSE_IDS, encoding="utf-8") as file:
        for line in file:
            field, value, label = line.rstrip("\n").split("\t")
            tables.setdefault(field, {})[int(value, 16)] = label
    return tables


@pytest.mark.parametrize(
    ("cls", "prefix"),
    [
        (c.Price, "price"),
        (c.Prepayment, "pp"),
        (c.Messaging, "msg"),
        (c.Events, "events"),
        (c.KeyEstablishment, "ke"),
        (c.Metering, "met"),
    ],
)
def test_ids_match_wireshark(cls: type[Cluster], prefix: str) -> None:
    """Every id we define exists in Wireshark's ZSE tables (shared/data)."""
    tables = _wireshark()
    known_attrs = tables.get(f"zbee_zcl_se.{prefix}.attr_id", {})
    if known_attrs:
        for attr_id in cls.attributes:
            assert attr_id in known_attrs, hex(attr_id)
    rx = tables[f"zbee_zcl_se.{prefix}.cmd.srv_rx.id"]
    tx = tables[f"zbee_zcl_se.{prefix}.cmd.srv_tx.id"]
    for command in cls.server_commands.values():
        assert command.id in rx, command.name
    for command in cls.client_commands.values():
        assert command.id in tx, command.name


def test_command_names_match_wireshark() -> None:
    tables = _wireshark()
    assert tables["zbee_zcl_se.pp.cmd.srv_rx.id"][0x04] == "Consumer Top Up"
    assert c.Prepayment.server_commands[0x04].name == "consumer_top_up"
    assert tables["zbee_zcl_se.pp.cmd.srv_tx.id"][0x03] == "Consumer Top Up Response"
    assert c.Prepayment.client_commands[0x03].name == "consumer_top_up_response"
    assert tables["zbee_zcl_se.msg.cmd.srv_rx.id"][0x01] == "Message Confirmation"
    assert c.Messaging.server_commands[0x01].name == "message_confirmation"
    assert tables["zbee_zcl_se.events.cmd.srv_tx.id"][0x01] == "Publish Event Log"
    assert c.Events.client_commands[0x01].name == "publish_event_log"


def test_consumer_top_up_layout() -> None:
    schema = c.Prepayment.server_commands[0x04].schema
    body = schema(
        originating_device=c.OriginatingDevice.In_Home_Display,
        top_up_code=b"12345678901234567890",
    ).serialize()
    assert body == b"\x02\x14" + b"12345678901234567890"


def test_consumer_top_up_response_layout() -> None:
    schema = c.Prepayment.client_commands[0x03].schema
    data = (
        bytes([0x02]) + struct.pack("<i", -5) + bytes([0x01]) + struct.pack("<i", 1234)
    )
    parsed, rest = schema.deserialize(data)
    assert rest == b""
    assert parsed.result_type == c.TopUpResult.Rejected_Duplicate_Top_Up
    assert parsed.top_up_value == -5
    assert parsed.source_of_top_up == c.OriginatingDevice.Meter
    assert parsed.credit_remaining == 1234


def test_get_profile_layout() -> None:
    request = c.Metering.server_commands[0x00].schema(0, 0x12345678, 24).serialize()
    assert request == b"\x00" + struct.pack("<I", 0x12345678) + b"\x18"
    response = (
        struct.pack("<I", 1000)
        + b"\x00\x02\x02"
        + (5).to_bytes(3, "little")
        + (7).to_bytes(3, "little")
    )
    parsed, _ = c.Metering.client_commands[0x00].schema.deserialize(response)
    assert c.command_fields(parsed) == (1000, 0, 2, 2, [5, 7])


def test_get_profile_only_when_zigpy_lacks_it() -> None:
    ours = c.Metering.server_commands[0x00]
    if c.zigpy_has_get_profile():
        # zigpy re-compiles inherited command definitions per subclass: equal
        # definitions with the very same schemas, not the same objects
        assert ours == zse.Metering.server_commands[0x00]
        assert ours.schema is zse.Metering.server_commands[0x00].schema
        response = c.Metering.client_commands[0x00]
        assert response.schema is zse.Metering.client_commands[0x00].schema
    else:
        assert zse.Metering.server_commands[0x00].schema.fields == []
        assert [f.name for f in ours.schema.fields] == [
            "interval_channel",
            "end_time",
            "number_of_periods",
        ]


def test_publish_event_layout() -> None:
    schema = c.Events.client_commands[0x00].schema
    body = schema(
        log_id=c.EventLogId.GBCS_General_Event_Log,
        event_id=0x8F3F,
        event_time=0x01020304,
        event_control=0,
        event_data=b"",
    ).serialize()
    assert body == b"\x06\x3f\x8f\x04\x03\x02\x01\x00\x00"


def test_display_message_optional_extension() -> None:
    schema = c.Messaging.client_commands[0x00].schema
    short = struct.pack("<IBIH", 7, 0x80, 0, 60) + b"\x02Hi"
    parsed, _ = schema.deserialize(short)
    assert parsed.message == "Hi"
    assert parsed.extended_message_control is None
    parsed, _ = schema.deserialize(short + b"\x01")
    assert parsed.extended_message_control == 1


def test_message_confirmation_layout() -> None:
    body = (
        c.Messaging.server_commands[0x01]
        .schema(message_id=9, confirmation_time=3)
        .serialize()
    )
    assert body == struct.pack("<II", 9, 3)


def test_publish_price_roundtrip() -> None:
    schema = c.Price.client_commands[0x00].schema
    value = schema(
        provider_id=1,
        rate_label=b"Day",
        issuer_event_id=2,
        current_time=3,
        unit_of_measure=0,
        currency=826,
        price_trailing_digit_and_price_tier=0x31,
        number_of_price_tiers_and_register_tier=0x21,
        start_time=0,
        duration_in_minutes=0xFFFF,
        price=24500,
    )
    data = value.serialize()
    assert data[:8] == b"\x01\x00\x00\x00\x03Day"
    parsed, rest = schema.deserialize(data)
    assert rest == b""
    assert parsed.price == 24500
    assert parsed.price_ratio is None


def test_key_establishment_commands_both_ways() -> None:
    request = (
        c.KeyEstablishment.server_commands[0x00]
        .schema(
            key_establishment_suite=c.KeyEstablishmentSuite.CBKE_ECMQV_283k1,
            ephemeral_data_generate_time=10,
            confirm_key_generate_time=20,
            identity=c.RemainingBytes(bytes(74)),
        )
        .serialize()
    )
    assert request[:4] == b"\x02\x00\x0a\x14"
    assert len(request) == 78
    terminate = (
        c.KeyEstablishment.client_commands[0x03]
        .schema(
            status_code=c.KeyEstablishmentStatus.Bad_Message,
            wait_time=5,
            key_establishment_suite=c.KeyEstablishmentSuite.CBKE_ECMQV_283k1,
        )
        .serialize()
    )
    assert terminate == b"\x03\x05\x02\x00"
    assert {cmd.name for cmd in c.KeyEstablishment.client_commands.values()} == {
        "initiate_key_establishment_response",
        "ephemeral_data_response",
        "confirm_key_data_response",
        "server_terminate_key_establishment",
    }


def test_get_event_log_and_publish_event_log() -> None:
    request = (
        c.Events.server_commands[0x00]
        .schema(
            event_control_log_id=0x06,
            event_id=0,
            start_time=0,
            end_time=0,
            number_of_events=5,
            event_offset=0,
        )
        .serialize()
    )
    assert len(request) == 1 + 2 + 4 + 4 + 1 + 2
    entry = c.EventLogEntry(log_id=6, event_id=0x8F3F, event_time=1, event_data=b"")
    data = struct.pack("<HBBB", 1, 0, 1, 0x10) + entry.serialize()
    parsed, _ = c.Events.client_commands[0x01].schema.deserialize(data)
    assert parsed.log_payload[0].event_id == 0x8F3F


def test_select_emergency_credit_layout() -> None:
    body = (
        c.Prepayment.server_commands[0x00]
        .schema(
            command_issue_date_time=1,
            originating_device=c.OriginatingDevice.In_Home_Display,
        )
        .serialize()
    )
    assert body == b"\x01\x00\x00\x00\x02"


def test_remaining_bytes() -> None:
    value, rest = c.RemainingBytes.deserialize(b"abc")
    assert value == b"abc"
    assert rest == b""
    assert value.serialize() == b"abc"


def test_command_fields_on_a_plain_tuple() -> None:
    assert c.command_fields((1, 2)) == (1, 2)


async def test_attach_clusters_per_endpoint(sim_app) -> None:
    device = next(d for d in sim_app.devices.values() if d.nwk == 0x1A2B)
    endpoint = device.endpoints[1]
    assert type(endpoint.in_clusters[0x0705]) is zse.Prepayment
    replaced = c.attach_clusters(endpoint)
    assert set(replaced) >= {0x0700, 0x0702, 0x0703, 0x0705, 0x0708, 0x0709, 0x0800}
    assert type(endpoint.in_clusters[0x0705]) is c.Prepayment
    assert endpoint.smartenergy_prepayment is endpoint.in_clusters[0x0705]
    assert c.attach_clusters(endpoint) == []
    # another device's clusters are untouched
    other = next(d for d in sim_app.devices.values() if d.nwk == 0x4C3D)
    assert type(other.endpoints[1].in_clusters[0x0702]) is zse.Metering


def test_sentinel_types() -> None:
    assert t.uint48_t(0xFFFFFFFFFFFF) == 0xFFFFFFFFFFFF
    assert foundation.Status.SUCCESS == 0
