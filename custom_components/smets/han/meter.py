"""Typed, batched access to the meters on a HAN.

Reads
-----
Every read of a cluster puts ALL the attributes a cycle needs in ONE Read
Attributes request, split only where a frame would not fit the APS payload
without fragmentation. The rule (:func:`plan_reads`): a request may carry up
to :data:`MAX_ZCL_PAYLOAD` bytes after the 3-byte ZCL header, and so may the
response it asks for. A request costs 2 bytes an attribute (about 40 fit); a
response record costs 4 bytes (id, status, type) plus the value: 6 for a
uint48 register, 3 for an int24 demand, 1 + the longest allowed length for a
string (33 for an unbounded one). Attributes are packed greedily in the order
given; an attribute the meter said it does not support is not asked again.

Attributes that never change (units, multiplier, divisor, formatting, tariff
labels, limits) are read once and kept; each cycle reads only what moves. The
ESME's 10-second cycle on a 2-tier meter is one request; the gas cycle (GPF
mirror, never the sleeping GSME) is one request.

Every request is counted (:class:`RequestCounter`): per meter, per link and
per cluster; ``last_requests`` holds the count of the last call.

Pushed frames
-------------
Attribute reports and the commands a meter pushes (PublishEvent,
DisplayMessage, PublishPrice, PublishPrepaySnapshot, CancelMessage) reach the
callbacks given to :meth:`BaseMeter.subscribe` as typed events (:mod:`.model`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
import contextlib
from dataclasses import dataclass
import datetime as dt
import inspect
import logging
import time
from typing import Any, Final

import zigpy.endpoint
import zigpy.exceptions
from zigpy.zcl import Cluster, foundation

from . import clusters as zc, model
from .errors import (
    HanCommandError,
    HanError,
    HanNotAllowed,
    HanProtocolError,
    HanTimeout,
)
from .utrn import normalise_utrn

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_ZCL_PAYLOAD",
    "AttributeReport",
    "BaseMeter",
    "CommsHub",
    "ElectricityMeter",
    "GasMirror",
    "HanEvent",
    "MessageCancelled",
    "PrepaymentMeter",
    "RequestCounter",
    "plan_reads",
    "read_attributes",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 5.0
"""Seconds to wait for an answer (zigpy's APS reply timeout)."""

MAX_ZCL_PAYLOAD: Final = 80
"""Bytes of ZCL payload (after the 3-byte header) a frame may carry unfragmented."""

_UNBOUNDED_STRING: Final = 33
_RX_ON_WHEN_IDLE: Final = 0x01
"""GetCurrentPrice's Command Options bit 0: the requester's receiver is on when
idle (ZigBee SE 1.x, Price cluster, GetCurrentPrice). This radio always is: a
router, or an EMBER_END_DEVICE (receiver on, never a sleepy end device)."""
_NOT_ALLOWED_STATUSES: Final = frozenset({foundation.Status.NOT_AUTHORIZED})
"""Default Response statuses that say "not from you" (a top-up over the HAN)."""
_NOT_TAKEN_BY_AN_ESME: Final = frozenset({foundation.Status.UNSUP_CLUSTER_COMMAND})
"""What an electricity meter with a Prepayment cluster answers a ConsumerTopUp
it does not take from this device: Silicon Labs' prepayment server turns a top-up
its application refuses into Default Response UNSUP_COMMAND (gecko_sdk
plugin/prepayment-server/prepayment-topup.c, prepayment-server.c), the same
status as a meter without the command; either way not over the HAN from us.
(A gas mirror's UNSUP_CLUSTER_COMMAND stays "top-up only on its keypad".)"""
_DEFAULT_MAX_PERIODS: Final = 24
_HALF_HOUR: Final = 1800

BASIC: Final = 0x0000
TIME: Final = 0x000A
PRICE: Final = zc.Price.cluster_id
METERING: Final = zc.Metering.cluster_id
MESSAGING: Final = zc.Messaging.cluster_id
PREPAYMENT: Final = zc.Prepayment.cluster_id
DEVICE_MANAGEMENT: Final = zc.DeviceManagement.cluster_id
EVENTS: Final = zc.Events.cluster_id

STATIC_METERING_ATTRIBUTES: Final = (
    0x0300,
    0x0301,
    0x0302,
    0x0303,
    0x0304,
    0x0305,
    0x0306,
    0x0312,
    0x0313,
    0x0314,
    0x0500,
)
"""Metering attributes read once: unit, scaling, formatting, device type, profile limit."""

_STATIC_PREPAYMENT: Final = (
    0x0000,
    0x0010,
    0x0011,
    0x0021,
    0x0031,
    0x0040,
    0x0500,
    0x0502,
    0x0503,
)

_REQUEST_HAS_RETRIES: Final = "retries" in inspect.signature(Cluster.request).parameters


# --- counting ------------------------------------------------------------------


class RequestCounter:
    """Counts requests sent, in total and by cluster; forwards to a parent."""

    def __init__(self, parent: RequestCounter | None = None) -> None:
        """Start at zero; every count is also added to ``parent``."""
        self.total = 0
        self.by_cluster: Counter[int] = Counter()
        self._parent = parent

    def count(self, cluster_id: int) -> None:
        """Count one request to ``cluster_id``."""
        self.total += 1
        self.by_cluster[cluster_id] += 1
        if self._parent is not None:
            self._parent.count(cluster_id)

    def reset(self) -> None:
        """Back to zero (the parent keeps its counts)."""
        self.total = 0
        self.by_cluster.clear()


# --- batching -------------------------------------------------------------------


def _value_size(attr_def: foundation.ZCLAttributeDef | None) -> int:
    if attr_def is None:
        return 8
    attr_type = attr_def.type
    bits = getattr(attr_type, "_bits", None)
    if isinstance(bits, int):
        return max(1, bits // 8)
    max_len = getattr(attr_type, "_max_len", None)
    if isinstance(max_len, int):
        return 1 + max_len
    return _UNBOUNDED_STRING


def plan_reads(cluster_cls: type[Cluster], attr_ids: Sequence[int]) -> list[list[int]]:
    """Split attribute ids into as few Read Attributes requests as fit a frame.

    Both the request (2 bytes an id) and the largest possible response (4
    bytes a record + the value) must fit :data:`MAX_ZCL_PAYLOAD`.
    """
    batches: list[list[int]] = []
    request = response = 0
    for attr_id in dict.fromkeys(attr_ids):
        need = 4 + _value_size(cluster_cls.attributes.get(attr_id))
        if (
            batches
            and request + 2 <= MAX_ZCL_PAYLOAD
            and response + need <= MAX_ZCL_PAYLOAD
        ):
            batches[-1].append(attr_id)
            request += 2
            response += need
        else:
            batches.append([attr_id])
            request, response = 2, need
    return batches


def _plain(value: Any) -> object:
    """Zigpy's typed value -> plain Python (int, bytes, str) for the decoders."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return str(value)
    return value


def _request_options(timeout: float, retries: int) -> dict[str, Any]:
    options: dict[str, Any] = {"timeout": timeout}
    if _REQUEST_HAS_RETRIES:
        options["retries"] = retries
    return options


async def _send(coro: Any, what: str) -> Any:
    """Await a zigpy request, turning its failures into HAN errors."""
    try:
        return await coro
    except TimeoutError as exc:
        raise HanTimeout(f"no answer to {what}") from exc
    except zigpy.exceptions.ParsingError as exc:
        raise HanProtocolError(f"unparseable answer to {what}") from exc
    except zigpy.exceptions.ZigbeeException as exc:
        raise HanError(f"{what} failed: {exc}") from exc


async def read_attributes(
    cluster: Cluster,
    attr_ids: Sequence[int],
    *,
    counter: RequestCounter,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - passed on to zigpy
    retries: int = 0,
    unsupported: set[tuple[int, int]] | None = None,
) -> dict[int, object]:
    """Read ``attr_ids`` in as few requests as fit; return the values by id.

    Attributes the meter does not support (or answers with an error status)
    are left out; when ``unsupported`` is given they are added to it as
    ``(cluster id, attribute id)`` and skipped next time.
    """
    cluster_id = int(cluster.cluster_id)
    wanted = [
        a for a in attr_ids if unsupported is None or (cluster_id, a) not in unsupported
    ]
    values: dict[int, object] = {}
    for batch in plan_reads(type(cluster), wanted):
        counter.count(cluster_id)
        result = await _send(
            cluster.read_attributes_raw(batch, **_request_options(timeout, retries)),
            f"Read Attributes 0x{cluster_id:04X}",
        )
        records = result[0] if result else None
        if not isinstance(records, list):
            status = result[1] if len(result) > 1 else records
            raise HanCommandError(
                f"Read Attributes 0x{cluster_id:04X} refused: {status!r}",
                int(status) if isinstance(status, int) else None,
            )
        for record in records:
            if record.status == foundation.Status.SUCCESS and record.value is not None:
                values[int(record.attrid)] = _plain(record.value.value)
            elif unsupported is not None:
                unsupported.add((cluster_id, int(record.attrid)))
    return values


# --- events ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributeReport:
    """Attribute values a meter reported on its own (Report Attributes)."""

    source: str
    cluster_id: int
    values: Mapping[int, object]


@dataclass(frozen=True, slots=True)
class MessageCancelled:
    """A supplier message the meter withdrew (CancelMessage)."""

    source: str
    message_id: int


type HanEvent = (
    model.AlertEvent
    | model.SupplierMessage
    | model.PriceEvent
    | model.PrepaySnapshotEvent
    | AttributeReport
    | MessageCancelled
)
type EventCallback = Callable[[HanEvent], None]


def _sent_by_server(cluster: Cluster, command_id: int, args: Any) -> bool:
    """Whether zigpy parsed a cluster command as one the server sends (server -> client).

    zigpy's ``cluster_command`` listener event carries no header; it parses a
    frame with the command table of the frame's direction (the cluster's
    client commands for server -> client), so the schema of ``args`` says
    which direction the frame had. Raw bytes (a command zigpy does not know)
    are neither.
    """
    definition = cluster.client_commands.get(command_id)
    return definition is not None and type(args) is definition.schema


class _ClusterListener:
    """zigpy cluster listener (``cluster_command`` / ``general_command``).

    A meter is the server of its clusters: only what a server sends to its
    clients (server -> client) is one of its events. The same command id the
    other way is a client's request (GetEventLog, MessageConfirmation, a
    client's own Report Attributes) and is never taken for one.
    """

    def __init__(self, meter: BaseMeter, cluster: Cluster) -> None:
        self._meter = meter
        self._cluster = cluster

    def cluster_command(self, tsn: int, command_id: int, args: Any) -> None:
        if _sent_by_server(self._cluster, command_id, args):
            self._meter._handle_command(self._cluster, command_id, args)  # noqa: SLF001

    def general_command(self, hdr: foundation.ZCLHeader, args: Any) -> None:
        if (
            hdr.command_id == foundation.GeneralCommand.Report_Attributes
            and hdr.frame_control.direction == foundation.Direction.Server_to_Client
        ):
            values = {
                int(report.attrid): _plain(report.value.value)
                for report in args.attribute_reports
            }
            self._meter._handle_report(int(self._cluster.cluster_id), values)  # noqa: SLF001


# --- meters ----------------------------------------------------------------------


def _fields(args: Any) -> dict[str, object]:
    as_dict = getattr(args, "as_dict", None)
    if as_dict is None:
        return {}
    return {key: _plain(value) for key, value in as_dict().items()}


class BaseMeter:
    """One endpoint of a HAN device: batched reads, commands, pushed events."""

    role = "meter"

    def __init__(
        self,
        endpoint: zigpy.endpoint.Endpoint,
        *,
        counter: RequestCounter | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Wrap a zigpy endpoint (with this package's clusters attached)."""
        self.endpoint = endpoint
        self.requests = RequestCounter(counter)
        """Every request sent to this meter."""
        self.last_requests = 0
        """Requests the last read or command took."""
        self.timeout = timeout
        self.retries = retries
        self.clock = clock
        self.unsupported: set[tuple[int, int]] = set()
        self._static: dict[int, dict[int, object]] = {}
        self._callbacks: list[EventCallback] = []
        self._listeners: list[tuple[Cluster, _ClusterListener]] = []
        self._recent_alerts: list[int] = []
        self._polled_message: object = None
        self._polled_events: set[tuple[object, object]] | None = None
        for cluster in endpoint.in_clusters.values():
            listener = _ClusterListener(self, cluster)
            cluster.add_listener(listener)
            self._listeners.append((cluster, listener))

    @property
    def ieee(self) -> str:
        """The device's IEEE address."""
        return str(self.endpoint.device.ieee)

    @property
    def nwk(self) -> int:
        """The device's network address."""
        return int(self.endpoint.device.nwk)

    def cluster(self, cluster_id: int) -> Cluster:
        """Return a server cluster of this endpoint; HanError if the meter lacks it."""
        try:
            cluster: Cluster = self.endpoint.in_clusters[cluster_id]
        except KeyError as exc:
            raise HanError(
                f"the {self.role} has no cluster 0x{cluster_id:04X}"
            ) from exc
        return cluster

    def has_cluster(self, cluster_id: int) -> bool:
        """Whether the endpoint has a server cluster."""
        return cluster_id in self.endpoint.in_clusters

    async def read(self, cluster_id: int, attr_ids: Iterable[int]) -> dict[int, object]:
        """Read raw attribute values (batched, counted) keyed by attribute id."""
        before = self.requests.total
        try:
            return await read_attributes(
                self.cluster(cluster_id),
                list(attr_ids),
                counter=self.requests,
                timeout=self.timeout,
                retries=self.retries,
                unsupported=self.unsupported,
            )
        finally:
            self.last_requests = self.requests.total - before

    async def _static_read(
        self, cluster_id: int, attr_ids: Iterable[int]
    ) -> dict[int, object]:
        cached = self._static.get(cluster_id)
        if cached is None:
            cached = await self.read(cluster_id, attr_ids)
            self._static[cluster_id] = cached
        return cached

    def prime(self, cluster_id: int, values: Mapping[int, object]) -> None:
        """Keep attributes read elsewhere (discovery) as this cluster's static set."""
        self._static[cluster_id] = dict(values)

    def forget_static(self) -> None:
        """Read units, formatting, labels and limits again next time (meter exchange)."""
        self._static.clear()
        self.unsupported.clear()

    async def _command(
        self, cluster_id: int, name: str, *args: Any, **kwargs: Any
    ) -> Any:
        cluster = self.cluster(cluster_id)
        self.requests.count(cluster_id)
        method = getattr(cluster, name)
        return await _send(
            method(*args, **kwargs, **_request_options(self.timeout, self.retries)),
            f"{name} to the {self.role}",
        )

    # events

    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(event)`` for every report and pushed command; return an unsubscribe."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def _emit(self, event: HanEvent) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("Error in a HAN event callback")

    def _handle_report(self, cluster_id: int, values: dict[int, object]) -> None:
        self._emit(AttributeReport(self.role, cluster_id, values))

    def _handle_command(self, cluster: Cluster, command_id: int, args: Any) -> None:
        cluster_id = int(cluster.cluster_id)
        fields = _fields(args)
        event: HanEvent | None = None
        if cluster_id == EVENTS and command_id == 0x00:
            event = model.parse_publish_event(fields, source=self.role)
            if event is not None:
                self._recent_alerts.append(event.code)
                del self._recent_alerts[:-8]
        elif cluster_id == MESSAGING and command_id in (0x00, 0x02):
            event = model.parse_display_message(fields)
        elif cluster_id == MESSAGING and command_id == 0x01:
            message_id = fields.get("message_id")
            if isinstance(message_id, int):
                event = MessageCancelled(self.role, message_id)
        elif cluster_id == PRICE and command_id == 0x00:
            event = model.parse_publish_price(fields)
            if event is not None:
                self._on_price(event)
        elif cluster_id == PREPAYMENT and command_id == 0x01:
            event = model.parse_prepay_snapshot(
                fields, trailing=self._money_digits(), currency=826
            )
        if event is not None:
            self._emit(event)

    def _on_price(self, event: model.PriceEvent) -> None:
        """Keep a PublishPrice (meters with a Price cluster do)."""

    def _money_digits(self) -> int | None:
        return None

    async def poll_pushes(self, clusters: Iterable[int]) -> None:
        """Ask for what the meter would have pushed, had it bound the CAD.

        A meter that refuses a Bind_req sends its DisplayMessage and
        PublishEvent to nobody: for ``clusters`` among Messaging and Events,
        GetLastMessage (a message not seen before is delivered as if pushed)
        and GetEventLog (entries newer than the first poll's are delivered as
        alerts; the first poll only takes note of the log). Prices are asked
        for by the tariff cycle already (GetCurrentPrice).
        """
        wanted = set(clusters)
        if MESSAGING in wanted and self.has_cluster(MESSAGING):
            with contextlib.suppress(HanCommandError):
                response = await self._command(MESSAGING, "get_last_message")
                message_id = _fields(response).get("message_id")
                if message_id is not None and message_id != self._polled_message:
                    self._polled_message = message_id
                    self._handle_command(self.cluster(MESSAGING), 0x00, response)
        if EVENTS in wanted and self.has_cluster(EVENTS):
            with contextlib.suppress(HanCommandError):
                response = await self._command(
                    EVENTS, "get_event_log", 0x00, 0x0000, 0, 0xFFFFFFFF, 5, 0
                )
                fields = _fields(response)
                entries = fields.get("log_payload")
                if isinstance(entries, list):
                    self._new_log_entries(entries)
                elif fields.get("status") == foundation.Status.NOT_FOUND:
                    # no event matches (events-server.c): the log is empty
                    self._new_log_entries([])
                # any other answer (FAILURE: another GetEventLog is under way)
                # says nothing of the log: the next poll asks again

    def _new_log_entries(self, entries: list[object]) -> None:
        fields = [_fields(entry) for entry in entries]
        keys = {(f.get("event_time"), f.get("event_id")) for f in fields}
        seen, self._polled_events = (
            self._polled_events,
            (self._polled_events or set()) | keys,
        )
        if seen is None:
            return  # the first look: what is logged already is not news
        for entry in reversed(fields):  # oldest first
            if (entry.get("event_time"), entry.get("event_id")) in seen:
                continue
            event = model.parse_publish_event(entry, source=self.role)
            if event is not None:
                self._emit(event)

    def close(self) -> None:
        """Stop listening to the endpoint's clusters."""
        for cluster, listener in self._listeners:
            listeners = getattr(cluster, "_listeners", {})
            for key, (registered, _context) in list(listeners.items()):
                if registered is listener:
                    del listeners[key]
        self._listeners.clear()
        self._callbacks.clear()

    # identity

    async def read_identity(self) -> model.MeterIdentity:
        """Return basic identity + serial number and site id (MPxN), decoded."""
        before = self.requests.total
        basic = await self.read(BASIC, [0x0004, 0x0005, 0x4000, 0x0006, 0x0003, 0x0001])
        metering: dict[int, object] = {}
        if self.has_cluster(METERING):
            metering = await self.read(METERING, [0x0306, 0x0307, 0x0308])
        self.last_requests = self.requests.total - before
        return model.decode_identity(basic, metering)

    # profiles

    async def _max_periods(self) -> int:
        static = await self._static_read(METERING, self._metering_static_ids())
        value = static.get(0x0500)
        if isinstance(value, int) and 0 < value < 0xFF:
            return value
        return _DEFAULT_MAX_PERIODS

    def _metering_static_ids(self) -> list[int]:
        return list(STATIC_METERING_ATTRIBUTES)

    async def metering_static(self) -> dict[int, object]:
        """Return the Metering attributes read once (unit, scaling, formatting, limits)."""
        return dict(await self._static_read(METERING, self._metering_static_ids()))

    async def max_periods(self) -> int:
        """Return the profile intervals one GetProfileResponse may carry (0x0500)."""
        return await self._max_periods()

    async def get_profile_raw(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        channel: int = zc.IntervalChannel.Consumption_Delivered,
    ) -> list[tuple[dt.datetime, int | None]]:
        """Half-hourly intervals starting in ``[start, end)``, oldest first, raw.

        Values are in the meter's raw unit (before Multiplier/Divisor). Pages
        through GetProfile with the fewest requests the meter's
        MaxNumberOfPeriodsDelivered (0x0500) allows; stops early when the
        meter has no older intervals. Intervals the meter no longer holds are
        simply absent.
        """
        before = self.requests.total
        max_periods = await self._max_periods()
        first = int(start.timestamp()) // _HALF_HOUR + (
            int(start.timestamp()) % _HALF_HOUR > 0
        )
        newest = -(-int(end.timestamp()) // _HALF_HOUR) - 1
        result: dict[int, int | None] = {}
        try:
            while newest >= first:
                count = min(max_periods, newest - first + 1)
                end_time = model.datetime_to_zcl_time(
                    dt.datetime.fromtimestamp((newest + 1) * _HALF_HOUR, dt.UTC)
                )
                response = await self._command(
                    METERING, "get_profile", channel, end_time, count
                )
                parsed = self._profile(response)
                if parsed.status is model.ProfileStatus.NO_INTERVALS_AVAILABLE:
                    break
                if not parsed.ok or parsed.end_time is None or parsed.period is None:
                    raise HanCommandError(
                        f"GetProfile refused: status {parsed.status_raw}",
                        parsed.status_raw,
                    )
                step = int(parsed.period.duration.total_seconds())
                end_index = int(parsed.end_time.timestamp()) // step
                for offset, value in enumerate(parsed.intervals):
                    index = end_index - 1 - offset
                    if first <= index <= newest:
                        result[index] = value
                oldest_returned = end_index - len(parsed.intervals)
                if not parsed.intervals or oldest_returned > newest:
                    break
                newest = oldest_returned - 1
        finally:
            self.last_requests = self.requests.total - before
        return [
            (dt.datetime.fromtimestamp(index * _HALF_HOUR, dt.UTC), value)
            for index, value in sorted(result.items())
        ]

    def _profile(self, response: Any) -> model.ProfileResponse:
        names = (
            "end_time",
            "status",
            "profile_interval_period",
            "number_of_periods_delivered",
            "intervals",
        )
        values = zc.command_fields(response)
        if len(values) < len(names):
            status = values[1] if len(values) > 1 else None
            raise HanCommandError(
                f"GetProfile refused: {status!r}",
                int(status) if isinstance(status, int) else None,
            )
        parsed = model.parse_profile_response(
            {name: _plain(value) for name, value in zip(names, values, strict=False)}
        )
        if parsed is None:
            raise HanProtocolError("GetProfileResponse without a valid status")
        return parsed

    async def get_profile(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        channel: int = zc.IntervalChannel.Consumption_Delivered,
    ) -> list[tuple[dt.datetime, float | None]]:
        """Like :meth:`get_profile_raw`, scaled by the meter's Multiplier/Divisor."""
        raw = await self.get_profile_raw(start, end, channel=channel)
        static = self._static.get(METERING, {})
        # HistoricalConsumptionFormatting (0x0305) is a display hint: every
        # digit Multiplier / Divisor gives is kept.
        return [
            (
                when,
                None
                if value is None
                else float(model.scale(value, static.get(0x0301), static.get(0x0302))),
            )
            for when, value in raw
        ]


class PrepaymentMeter(BaseMeter):
    """A meter that may run in prepayment: credit, top-ups, emergency credit.

    The ESME, and the GPF mirroring a prepayment gas meter, expose the same
    Prepayment cluster (0x0705); both read and command it the same way.
    """

    async def prepare(self) -> None:
        """Read the prepayment formatting and limits once (pushed snapshots need them)."""
        if self.has_cluster(PREPAYMENT):
            await self._static_read(PREPAYMENT, _STATIC_PREPAYMENT)

    def _money_digits(self) -> int | None:
        formatting = model.decode_formatting(
            self._static.get(PREPAYMENT, {}).get(0x0500)
        )
        return None if formatting is None else formatting.digits_right

    async def poll_prepayment(self) -> model.PrepaymentInfo:
        """Credit, emergency credit and debt (limits once), decoded."""
        before = self.requests.total
        static = await self._static_read(PREPAYMENT, _STATIC_PREPAYMENT)
        values = await self.read(
            PREPAYMENT, [0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0020, 0x0400]
        )
        self.last_requests = self.requests.total - before
        return model.decode_prepayment({**static, **values})

    async def poll_cost_consumption(
        self, attr_ids: Iterable[int] = model.COST_CONSUMPTION_ATTRIBUTES
    ) -> model.CostConsumption:
        """Read what the meter says its consumption cost today, yesterday, week, month.

        One Read Attributes of the Historical Cost Consumption set (the
        formatting and currency from the prepayment's static read);
        ``attr_ids`` asks for others (:data:`model.COST_DAY_ATTRIBUTES`, the
        eight days back). A meter without them answers UNSUPPORTED once and
        is not asked again.
        """
        before = self.requests.total
        static = await self._static_read(PREPAYMENT, _STATIC_PREPAYMENT)
        values = await self.read(PREPAYMENT, attr_ids)
        self.last_requests = self.requests.total - before
        return model.decode_cost_consumption({**static, **values})

    async def top_up(self, utrn: str) -> model.TopUpResult:
        """Send a UTRN (ConsumerTopUp) and decode what the meter did with it.

        The UTRN is validated first (InvalidUTRN, a HanError, when it is not
        20 digits). A refusal's reason is refined by the GBCS alert the meter
        raises with it (duplicate, not authentic, not for this meter).
        """
        code = normalise_utrn(utrn)
        before = self.requests.total
        await self.prepare()
        self._recent_alerts.clear()
        try:
            response = await self._command(
                PREPAYMENT,
                "consumer_top_up",
                zc.OriginatingDevice.In_Home_Display,
                code.encode("ascii"),
            )
        finally:
            self.last_requests = self.requests.total - before
        fields = _fields(response)
        if "result_type" not in fields:
            status = fields.get("status")
            if isinstance(status, int) and (
                status in _NOT_ALLOWED_STATUSES
                or (self.role == "esme" and status in _NOT_TAKEN_BY_AN_ESME)
            ):
                msg = (
                    "the meter does not take top-ups from this device (in GB that is"
                    f" the prepayment interface device's role): status {status!r}"
                )
                raise HanNotAllowed(msg, int(status))
            raise HanCommandError(
                f"ConsumerTopUp refused: {status!r}",
                status if isinstance(status, int) else None,
            )
        await asyncio.sleep(0)  # an alert sent with the answer arrives with it
        alert = next(
            (
                a
                for a in reversed(self._recent_alerts)
                if model.top_up_reason_from_alert(a)
            ),
            None,
        )
        result = model.parse_top_up_response(
            fields, trailing=self._money_digits() or 0, currency=826, alert_code=alert
        )
        if result is None:
            raise HanProtocolError("ConsumerTopUpResponse without a result")
        return result

    async def select_emergency_credit(self) -> bool:
        """Take the emergency credit; False when the meter refuses (not available)."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        before = self.requests.total
        try:
            response = await self._command(
                PREPAYMENT,
                "select_available_emergency_credit",
                model.datetime_to_zcl_time(now),
                zc.OriginatingDevice.In_Home_Display,
            )
        finally:
            self.last_requests = self.requests.total - before
        status = getattr(response, "status", None)
        return status == foundation.Status.SUCCESS


class ElectricityMeter(PrepaymentMeter):
    """The ESME: import/export, tiers, demand, price, prepayment, top-ups."""

    role = "esme"

    def __init__(self, endpoint: zigpy.endpoint.Endpoint, **kwargs: Any) -> None:
        """Wrap the ESME's endpoint."""
        super().__init__(endpoint, **kwargs)
        self.tiers = 2
        """Tier registers read each cycle (from the Price cluster once known)."""
        self.price_event: model.PriceEvent | None = None
        self.active_tier: int | None = None

    def cycle_attributes(self) -> list[int]:
        """Return the Metering attributes of one 10-second cycle."""
        return [
            0x0000,
            0x0001,
            0x0014,
            0x0020,
            0x0200,
            0x0400,
            0x0401,
            0x0402,
            *(0x0100 + 2 * n for n in range(self.tiers)),
        ]

    async def poll(self) -> model.ElectricityReading:
        """One fast cycle: the Metering registers, demand and status, decoded."""
        before = self.requests.total
        static = await self._static_read(METERING, self._metering_static_ids())
        values = await self.read(METERING, self.cycle_attributes())
        self.last_requests = self.requests.total - before
        tier = values.get(0x0020)
        self.active_tier = tier if isinstance(tier, int) else None
        return model.decode_electricity({**static, **values})

    async def poll_history(self) -> dict[int, object]:
        """Yesterday's import and export (raw), on the slow rhythm."""
        return await self.read(METERING, [0x0403, 0x0404])

    async def poll_price(self) -> model.PriceInfo:
        """Standing charge and tier prices (labels once), decoded."""
        before = self.requests.total
        static = self._static.get(PRICE)
        if static is None:
            first = await self.read(PRICE, [0x0611, 0x0610, 0x0615, 0x0616, 0x0617])
            tiers = first.get(0x0611)
            if isinstance(tiers, int) and 0 < tiers <= 48:
                self.tiers = tiers
            labels = await self.read(PRICE, range(self.tiers))
            static = self._static[PRICE] = {**first, **labels}
        values = await self.read(
            PRICE, [0x0301, *(0x0400 + 0x10 * n for n in range(1, self.tiers + 1))]
        )
        self.last_requests = self.requests.total - before
        return model.decode_price(
            {**static, **values},
            self.current_price_event(),
            active_tier=self.active_tier,
        )

    def current_price_event(self) -> model.PriceEvent | None:
        """Return the last PublishPrice while it is still in force (else None).

        A price published for a period that has ended says nothing about the
        price now: the tier prices and the active tier do.
        """
        event = self.price_event
        if event is None:
            return None
        end = event.end_time
        if end is not None and end.timestamp() <= self.clock():
            self.price_event = None
            return None
        return event

    async def get_current_price(self) -> model.PriceEvent | None:
        """Ask for a PublishPrice (GetCurrentPrice); it is also kept for decode_price."""
        before = self.requests.total
        try:
            response = await self._command(PRICE, "get_current_price", _RX_ON_WHEN_IDLE)
        finally:
            self.last_requests = self.requests.total - before
        event = model.parse_publish_price(_fields(response))
        if event is not None:
            self._on_price(event)
        return event

    def _on_price(self, event: model.PriceEvent) -> None:
        self.price_event = event

    async def confirm_message(self, message_id: int) -> None:
        """Tell the meter a supplier message was seen (MessageConfirmation)."""
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        await self._command(
            MESSAGING,
            "message_confirmation",
            message_id,
            model.datetime_to_zcl_time(now),
        )


class GasMirror(PrepaymentMeter):
    """The gas meter as the Comms Hub's GPF mirrors it (the GSME is never woken).

    A prepayment gas meter's credit is read and topped up here too: the GPF
    carries its Prepayment cluster (:meth:`poll_prepayment`, :meth:`top_up`,
    :meth:`select_emergency_credit`), one request per cluster as for the ESME.
    """

    role = "gpf"

    def __init__(self, endpoint: zigpy.endpoint.Endpoint, **kwargs: Any) -> None:
        """Wrap the GPF mirror endpoint."""
        super().__init__(endpoint, **kwargs)
        self.price_attributes: dict[int, object] = {}

    def cycle_attributes(self) -> list[int]:
        """Return the Metering attributes of one 30-minute gas cycle."""
        # 0x0400: the flow rate, where the GPF publishes one (GBCS has the GSME
        # push none; asked once, then left out when UNSUPPORTED)
        return [0x0000, 0x0014, 0x0200, 0x0400, 0x0401, 0x0403, 0x0C01, 0x0C03]

    async def poll(self) -> model.GasReading:
        """One gas cycle: the mirrored register and day totals, decoded."""
        before = self.requests.total
        static = await self._static_read(METERING, self._metering_static_ids())
        values = await self.read(METERING, self.cycle_attributes())
        self.last_requests = self.requests.total - before
        return model.decode_gas({**static, **values}, self.price_attributes or None)

    async def poll_price(self) -> model.PriceInfo:
        """Gas price, standing charge, calorific value and conversion factor."""
        if not self.has_cluster(PRICE):
            return model.decode_price({})
        self.price_attributes = await self.read(
            PRICE,
            [0x0301, 0x0302, 0x0303, 0x0304, 0x0305, 0x0306, 0x0410, 0x0616, 0x0617],
        )
        return model.decode_price(self.price_attributes)


class CommsHub(BaseMeter):
    """The Comms Hub (trust centre): identity, time, supplier."""

    role = "chf"

    async def read_provider_name(self) -> str | None:
        """Return the supplier's name (Device Management 0x0101)."""
        values = await self.read(DEVICE_MANAGEMENT, [0x0101])
        name = values.get(0x0101)
        if isinstance(name, bytes):
            return name.decode("utf-8", "replace").strip() or None
        return None

    async def read_time(self) -> dt.datetime | None:
        """Return the hub's clock (Time cluster), the HAN's reference time."""
        values = await self.read(TIME, [0x0000])
        return model.zcl_time_to_datetime(values.get(0x0000))
