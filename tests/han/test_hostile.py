"""Hostile frames from a paired meter: dropped, counted, never handed to zigpy.

Each test here failed before the screening in ``link.py`` and the dispatch on
direction in ``meter.py`` (issue #15, "Bad input, measured", points 1-4).
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from zigpy.zcl import foundation

from custom_components.smets.han import clusters as c, model
from custom_components.smets.han.link import HanLink, SmartEnergyDevice
from custom_components.smets.han.meter import AttributeReport, MessageCancelled
from custom_components.smets.han.simulator import HanSimulator
from smets_dev.hostile import (
    CLUSTER_TO_SERVER,
    GLOBAL_TO_SERVER,
    Source,
    packet,
    report,
    zcl,
)


def _deliver(link: HanLink, sim: HanSimulator, cluster: int, data: bytes) -> None:
    """Hand one frame from the ESME (endpoint 1) to zigpy, as the radio would."""
    link.app.packet_received(
        packet(
            Source(sim.esme.nwk, 1, paired=True),
            cluster,
            data,
            dst_nwk=int(link.app.state.node_info.nwk),
        )
    )


def _events(link: HanLink) -> list[object]:
    seen: list[object] = []
    for meter in (link.esme, link.gas, link.hub):
        meter.subscribe(seen.append)
    return seen


def _esme_device(link: HanLink) -> SmartEnergyDevice:
    device = link.esme.endpoint.device
    assert isinstance(device, SmartEnergyDevice)
    return device


def _cached(cluster: Any) -> dict[object, object]:
    """zigpy's attribute cache of a cluster (defined and unknown attributes)."""
    cache = cluster._attr_cache
    return {**cache._cache, **cache._legacy_cache}


# --- 1. an octet string reported as a huge integer -------------------------------


async def test_an_octet_string_reported_as_an_integer_allocates_nothing(
    link: HanLink, sim: HanSimulator
) -> None:
    """Tier 1's price label (octet string, 12) given uint32 0x01000000.

    zigpy turns that into ``bytes(16777216)`` (0x40000000 makes a gigabyte):
    the value is checked against the attribute's type first.
    """
    seen = _events(link)
    price = link.esme.cluster(0x0700)
    frame = report([(0x0000, 0x23, (0x01000000).to_bytes(4, "little"))])
    assert len(frame) == 10
    tracemalloc.start()
    try:
        _deliver(link, sim, 0x0700, frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert seen == []
    assert _cached(price) == {}
    assert _esme_device(link).dropped == {"wrong_type": 1}
    assert link.dropped_frames == {link.esme.ieee: {"wrong_type": 1}}


async def test_a_string_longer_than_its_attribute_is_dropped(
    link: HanLink, sim: HanSimulator
) -> None:
    seen = _events(link)
    label = b"x" * 13  # the tier label holds 12
    _deliver(link, sim, 0x0700, report([(0x0000, 0x41, bytes((13,)) + label)]))
    assert seen == []
    assert _esme_device(link).dropped == {"too_long": 1}


async def test_unknown_attributes_never_fill_zigpys_cache(
    link: HanLink, sim: HanSimulator
) -> None:
    """Only attributes the cluster defines reach the cache, so it stays bounded."""
    seen = _events(link)
    metering = link.esme.cluster(0x0702)
    defined = {int(a.id) for a in c.Metering.attributes.values()}
    unknown = [a for a in range(0x8000, 0x8400) if a not in defined]
    for attr_id in unknown:
        _deliver(link, sim, 0x0702, report([(attr_id, 0x23, bytes(4))]))
    assert seen == []
    assert _cached(metering) == {}
    assert _esme_device(link).dropped == {"unknown_attribute": len(unknown)}


async def test_good_records_of_a_report_are_kept(
    link: HanLink, sim: HanSimulator
) -> None:
    """One bad value is dropped; the rest of the report still arrives."""
    seen = _events(link)
    register = (123_456).to_bytes(6, "little")
    frame = report(
        [
            (0x0000, 0x25, register),
            (0x0400, 0x42, b"\x03abc"),  # int24 demand given a string
        ]
    )
    _deliver(link, sim, 0x0702, frame)
    assert seen == [AttributeReport("esme", 0x0702, {0x0000: 123_456})]
    assert _esme_device(link).dropped == {"wrong_type": 1}


# --- 2. a truncated header ---------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b"\x18", b"\x18\x01", b"\x1c\x34\x12\x01"],
    ids=["empty", "1-byte", "2-byte", "manufacturer-4-byte"],
)
async def test_a_truncated_zcl_header_is_dropped_and_counted(
    link: HanLink, sim: HanSimulator, data: bytes
) -> None:
    seen = _events(link)
    _deliver(link, sim, 0x0702, data)  # raised out of packet_received before
    assert seen == []
    assert _esme_device(link).dropped == {"truncated": 1}


async def test_a_reserved_frame_type_is_dropped(
    link: HanLink, sim: HanSimulator
) -> None:
    _deliver(link, sim, 0x0702, zcl(0x1A, 1, 0x0A, b"\x00\x00\x25" + bytes(6)))
    assert _esme_device(link).dropped == {"reserved_frame_type": 1}


# --- 3. a value zigpy cannot convert ----------------------------------------------


@pytest.mark.parametrize(
    ("attr_id", "type_id", "value"),
    [
        (0x0400, 0x42, b"\x03abc"),  # int24 demand given a character string
        (0x0300, 0x27, (2**64 - 2).to_bytes(8, "little")),  # enum8 given a uint64
    ],
    ids=["string-for-int24", "uint64-for-enum8"],
)
async def test_an_unconvertible_report_is_never_emitted(
    link: HanLink, sim: HanSimulator, attr_id: int, type_id: int, value: bytes
) -> None:
    """Before: the library emitted the raw value, then zigpy raised into the loop."""
    seen = _events(link)
    _deliver(link, sim, 0x0702, report([(attr_id, type_id, value)]))
    assert seen == []
    assert sum(_esme_device(link).dropped.values()) == 1
    assert _cached(link.esme.cluster(0x0702)) == {}


# --- 4. the direction bit ------------------------------------------------------------


def _get_event_log() -> bytes:
    fields = c.Events.ServerCommandDefs.get_event_log.schema(
        event_control_log_id=0x00,
        event_id=0x0000,
        start_time=0,
        end_time=0xFFFFFFFF,
        number_of_events=5,
        event_offset=0,
    )
    return zcl(CLUSTER_TO_SERVER, 5, 0x00, fields.serialize())


def _message_confirmation(message_id: int) -> bytes:
    fields = c.Messaging.ServerCommandDefs.message_confirmation.schema(
        message_id=message_id, confirmation_time=0
    )
    return zcl(CLUSTER_TO_SERVER, 6, 0x01, fields.serialize())


async def test_a_client_get_event_log_is_not_a_meter_alert(
    link: HanLink, sim: HanSimulator
) -> None:
    seen = _events(link)
    _deliver(link, sim, 0x0709, _get_event_log())
    assert seen == []
    assert _esme_device(link).dropped == {"wrong_direction": 1}


async def test_a_client_message_confirmation_cancels_nothing(
    link: HanLink, sim: HanSimulator
) -> None:
    seen = _events(link)
    message_id = await sim.send_message("Your bill is ready", confirm=True)
    assert [type(e) for e in seen] == [model.SupplierMessage]
    _deliver(link, sim, 0x0703, _message_confirmation(message_id))
    assert not any(isinstance(e, MessageCancelled) for e in seen)


async def test_a_client_report_is_not_an_attribute_report(
    link: HanLink, sim: HanSimulator
) -> None:
    seen = _events(link)
    frame = report([(0x0000, 0x25, bytes(6))], control=GLOBAL_TO_SERVER)
    _deliver(link, sim, 0x0702, frame)
    assert seen == []


def _listener(link: HanLink, cluster_id: int) -> Any:
    return next(
        listener
        for cluster, listener in link.esme._listeners
        if cluster.cluster_id == cluster_id
    )


async def test_the_meter_dispatches_on_direction_and_command(link: HanLink) -> None:
    """The meter's own listener, whatever reaches it: only server -> client
    commands and reports are events (same command ids the other way are not)."""
    seen = _events(link)
    events = _listener(link, 0x0709)
    messaging = _listener(link, 0x0703)
    metering = _listener(link, 0x0702)
    request = c.Events.ServerCommandDefs.get_event_log.schema(
        event_control_log_id=0,
        event_id=0,
        start_time=0,
        end_time=0,
        number_of_events=1,
        event_offset=0,
    )
    events.cluster_command(1, 0x00, request)
    confirmation = c.Messaging.ServerCommandDefs.message_confirmation.schema(
        message_id=7, confirmation_time=0
    )
    messaging.cluster_command(2, 0x01, confirmation)
    messaging.cluster_command(3, 0x01, b"\x07\x00\x00\x00\x00")  # unparsed
    records = [
        foundation.Attribute(
            attrid=0x0000,
            value=foundation.TypeValue(type=0x25, value=c.t.uint48_t(1)),
        )
    ]
    schema = foundation.GENERAL_COMMANDS[
        foundation.GeneralCommand.Report_Attributes
    ].schema
    to_server = foundation.ZCLHeader.general(
        4, foundation.GeneralCommand.Report_Attributes, direction=0
    )
    metering.general_command(to_server, schema(attribute_reports=records))
    assert seen == []
    # The same listeners, the right way round
    publish = c.Events.ClientCommandDefs.publish_event.schema(
        log_id=c.EventLogId.GBCS_General_Event_Log,
        event_id=0x8F3F,
        event_time=0,
        event_control=0,
        event_data=b"",
    )
    events.cluster_command(5, 0x00, publish)
    cancel = c.Messaging.ClientCommandDefs.cancel_message.schema(
        message_id=7, message_control=0
    )
    messaging.cluster_command(6, 0x01, cancel)
    to_client = foundation.ZCLHeader.general(
        7, foundation.GeneralCommand.Report_Attributes, direction=1
    )
    metering.general_command(to_client, schema(attribute_reports=records))
    alert, cancelled, attribute_report = seen
    assert isinstance(alert, model.AlertEvent)
    assert alert.code == 0x8F3F
    assert cancelled == MessageCancelled("esme", 7)
    assert attribute_report == AttributeReport("esme", 0x0702, {0x0000: 1})
