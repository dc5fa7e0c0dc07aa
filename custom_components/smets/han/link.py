"""The link to the HAN: a zigpy application, the meters found on it, and typed access.

:class:`HanLink` takes a started zigpy ``ControllerApplication`` (a radio, or
the simulator), finds the ESME, the GPF gas mirror and the Comms Hub by their
clusters and Metering device type, installs the Smart Energy clusters of
:mod:`.clusters` on their endpoints, and exposes them as typed meters
(:mod:`.meter`).

Meters that join or leave
-------------------------
The meters are found once, by :meth:`HanLink.start`. :meth:`HanLink.on_join`
says when the HAN announces a device joining or leaving (the hub's "device
joined" alert, zigpy's join and leave events), and :meth:`HanLink.rediscover`
asks the HAN again which Metering endpoints it has and says whether they
differ from what the start found: the caller then opens a new link.

Smart Energy frames and zigpy
-----------------------------
zigpy hands a received frame to a device's clusters only when its profile is
Home Automation (0x0104) or ZLL (0xC05E); anything else goes to the device's
``custom_profile_packet_received`` hook, which drops it. A HAN speaks only
Smart Energy (0x0109), so every answer and report would be lost. The fix lives
here, once: :class:`SmartEnergyDevice` overrides that hook and passes Smart
Energy frames on as ZCL (the ZCL frame is the same whatever the profile), and
:func:`adopt_device` swaps a meter's zigpy device for one of those. It touches
nothing global: ZHA's devices in the same process are unaffected.

Hostile frames
--------------
Whatever a frame says, it is screened here before zigpy sees it
(:func:`screen_frame`), and what fails is dropped and counted by reason on the
device (:attr:`SmartEnergyDevice.dropped`, :attr:`HanLink.dropped_frames`):

* a ZCL header too short for its frame control (``truncated``) or of a
  reserved frame type (``reserved_frame_type``);
* a frame for an endpoint or a cluster the meter does not have
  (``unknown_endpoint``, ``unknown_cluster``: zigpy would parse it, then
  ignore it);
* a frame whose direction bit points at a side of the cluster the meter does
  not have (``wrong_direction``): zigpy would hand a client-to-server frame to
  the server cluster's handlers (its "flipped direction" fallback), so a
  meter's own GetEventLog would read as one of its alerts; and a
  client-to-server Report Attributes (a client's own attributes: nothing
  here reads them, zigpy would cache them);
* in a Report Attributes, each value is checked against its attribute's
  definition in :mod:`.clusters` (zigpy converts it to that type): an
  attribute the cluster does not define (``unknown_attribute``, which keeps
  zigpy's attribute cache to the defined attributes), a value of another type
  (``wrong_type``: an integer for an octet string would make zigpy allocate
  that many bytes), a string longer than the attribute allows (``too_long``)
  or a value its type refuses (``unconvertible``) is left out of the frame;
  a report left with nothing is dropped.

Nothing dropped reaches zigpy, its attribute cache or the meters' callbacks,
and nothing raises out of ``packet_received``: what zigpy itself raises on a
frame that passed is caught and counted (``zigpy_raised``; the fuzz tests
keep it at 0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
import logging
import time
from typing import Any, Final, Protocol, runtime_checkable

import zigpy.application
import zigpy.device
import zigpy.endpoint
import zigpy.exceptions
from zigpy.profiles import zha, zll
import zigpy.types as t
from zigpy.zcl import Cluster, foundation
from zigpy.zcl.clusters import smartenergy as zse

from . import model
from .clusters import SE_PROFILE_ID, attach_clusters
from .errors import HanError, HanNotFound, HanNotStarted, HanTimeout
from .meter import (
    DEFAULT_TIMEOUT,
    STATIC_METERING_ATTRIBUTES,
    CommsHub,
    ElectricityMeter,
    GasMirror,
    HanEvent,
    RequestCounter,
    read_attributes,
)

__all__ = [
    "DiscoveredEndpoint",
    "HanLink",
    "SmartEnergyDevice",
    "SurveyingApplication",
    "adopt_device",
    "screen_frame",
]

_LOGGER = logging.getLogger(__name__)

METERING: Final = zse.Metering.cluster_id
KEY_ESTABLISHMENT: Final = zse.KeyEstablishment.cluster_id
HUB_NWK: Final = 0x0000

_ELECTRIC: Final = int(zse.MeteringDeviceType.Electric_Metering)
_GAS: Final = int(zse.MeteringDeviceType.Gas_Metering)
_MIRRORED_GAS: Final = int(zse.MeteringDeviceType.Mirrored_Gas_Metering)

JOINED_TRIGGER: Final = "device_joined"
"""The alert trigger type of GBCS 0x8183 (device joined) and 0x8F49 (joining succeeded)."""
UNJOINED_CODE: Final = 0x8F4B
"""GBCS "Device Unjoining succeeded": the hub took a device off its network."""


@runtime_checkable
class SurveyingApplication(Protocol):
    """An application that can ask the HAN again who has Metering endpoints.

    The radio (:class:`.ezsp.EzspHanApplication`) asks over ZDO; the simulated
    application asks the simulator. Any other zigpy application is surveyed
    from its ``devices`` (which zigpy keeps up to date as devices join).
    """

    async def survey(self) -> dict[str, list[int]]:
        """Return {EUI64: Smart Energy endpoint ids with the Metering cluster}."""
        ...


_ZCL_PROFILES: Final = frozenset({SE_PROFILE_ID, zha.PROFILE_ID, zll.PROFILE_ID})
"""Profiles whose frames zigpy (or this module, for Smart Energy) parses as ZCL."""

_MANUFACTURER_SPECIFIC: Final = 0x04
_SERVER_TO_CLIENT: Final = 0x08
_REPORT_ATTRIBUTES: Final = int(foundation.GeneralCommand.Report_Attributes)

_INTEGER_TYPES: Final = frozenset(
    {
        *range(0x08, 0x11),  # data8..data64, bool
        *range(0x18, 0x32),  # map8..map64, uint8..uint64, int8..int64, enum8/16
        *range(0xE0, 0xE3),  # time of day, date, UTC time
        *range(0xE8, 0xEB),  # cluster id, attribute id, BACnet OID
    }
)
"""ZCL data types whose value is an integer of at most 8 bytes."""
_STRING_TYPES: Final = frozenset({0x41, 0x42, 0x43, 0x44})
"""Octet and character strings (length-prefixed, so bounded by the frame)."""
_REPORTABLE_TYPES: Final = _INTEGER_TYPES | _STRING_TYPES
"""The data types a report record may carry here (see :func:`_screen_report`)."""


def _value_fits(attr_def: foundation.ZCLAttributeDef, record: Any) -> str | None:
    """Why a reported value cannot become ``attr_def``'s type (None: it can)."""
    wire = int(record.value.type)
    value = record.value.value
    expected = int(attr_def.zcl_type)
    attr_type: Any = attr_def.type
    if issubclass(attr_type, int):
        if wire not in _INTEGER_TYPES or not isinstance(value, int):
            return "wrong_type"
    elif wire != expected:
        return "wrong_type"
    max_len = getattr(attr_type, "_max_len", None)
    if isinstance(max_len, int) and len(value) > max_len:
        return "too_long"
    try:
        attr_type(value)
    except Exception:  # noqa: BLE001 - whatever zigpy's type refuses
        return "unconvertible"
    return None


def _screen_report(
    cluster: Cluster, manufacturer: int | None, payload: bytes
) -> tuple[bytes, list[str]]:
    """Return the records of a Report Attributes payload zigpy may take, and why not the rest."""
    kept = b""
    dropped: list[str] = []
    rest = payload
    while rest:
        # attribute id (2), data type (1): a type that is neither a short
        # integer nor a string (arrays, structures, sets) is never reported
        # by these clusters, and its length cannot be trusted
        if len(rest) < 3 or rest[2] not in _REPORTABLE_TYPES:
            dropped.append("truncated" if len(rest) < 3 else "wrong_type")
            break
        try:
            record, rest = foundation.Attribute.deserialize(rest)
        except Exception:  # noqa: BLE001 - a value cut short
            dropped.append("truncated")
            break
        try:
            attr_def = cluster.find_attribute(
                int(record.attrid), manufacturer_code=manufacturer
            )
        except KeyError:
            dropped.append("unknown_attribute")
            continue
        why = _value_fits(attr_def, record)
        if why is None:
            kept += record.serialize()
        else:
            dropped.append(why)
    return kept, dropped


def screen_frame(
    device: zigpy.device.Device, packet: t.ZigbeePacket
) -> tuple[t.ZigbeePacket | None, list[str]]:
    """Screen one received frame of ``device`` before zigpy parses it.

    Returns the frame zigpy may handle (the same frame, or a Report
    Attributes with only its acceptable records; None when nothing is left)
    and the reasons for what was dropped (see the module's "Hostile frames").
    Frames that are not ZCL (ZDO, other profiles) are only checked for a
    header.
    """
    data = packet.data.serialize()
    if packet.src_ep == 0 or packet.profile_id not in _ZCL_PROFILES:
        return (packet, []) if data else (None, ["truncated"])
    control = data[0] if data else 0
    header = 5 if control & _MANUFACTURER_SPECIFIC else 3
    if len(data) < header:
        return None, ["truncated"]
    frame_type = control & 0x03
    if frame_type > 1:
        return None, ["reserved_frame_type"]
    endpoint = device.endpoints.get(int(packet.src_ep or 0))
    if not isinstance(endpoint, zigpy.endpoint.Endpoint):
        return None, ["unknown_endpoint"]  # zigpy would parse it, then ignore it
    to_client = bool(control & _SERVER_TO_CLIENT)
    side = endpoint.in_clusters if to_client else endpoint.out_clusters
    other = endpoint.out_clusters if to_client else endpoint.in_clusters
    cluster = side.get(packet.cluster_id)
    if cluster is None:
        # zigpy would hand it to the other side's cluster, or parse and ignore it
        why = "wrong_direction" if packet.cluster_id in other else "unknown_cluster"
        return None, [why]
    if frame_type == 1 or data[header - 1] != _REPORT_ATTRIBUTES:
        return packet, []
    if not to_client:
        # A client's own attributes: nothing here reads them, and zigpy would
        # cache them on the meter's client cluster
        return None, ["wrong_direction"]
    manufacturer = (
        int.from_bytes(data[1:3], "little")
        if control & _MANUFACTURER_SPECIFIC
        else None
    )
    kept, dropped = _screen_report(cluster, manufacturer, data[header:])
    if not dropped:
        return packet, []
    if not kept:
        return None, dropped
    return packet.replace(data=t.SerializableBytes(data[:header] + kept)), dropped


class SmartEnergyDevice(zigpy.device.Device):
    """A zigpy device whose Smart Energy (0x0109) frames reach its clusters, screened."""

    dropped: Counter[str]
    """Frames (or report records) dropped before zigpy saw them, by reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Create the device with no drops counted."""
        super().__init__(*args, **kwargs)
        self.dropped = Counter()

    def packet_received(self, packet: t.ZigbeePacket) -> None:
        """Screen a frame (:func:`screen_frame`), then hand what is left to zigpy."""
        screened, dropped = screen_frame(self, packet)
        if dropped:
            self.dropped.update(dropped)
            _LOGGER.debug(
                "Dropped from 0x%04X cluster 0x%04X: %s",
                int(self.nwk),
                int(packet.cluster_id),
                ", ".join(dropped),
            )
        if screened is None:
            return
        if screened.profile_id == SE_PROFILE_ID:
            # zigpy parses ZCL only for HA/ZLL; the frame layout is identical
            screened = screened.replace(profile_id=zha.PROFILE_ID)
        try:
            super().packet_received(screened)
        except Exception:
            self.dropped["zigpy_raised"] += 1
            _LOGGER.debug("zigpy could not handle a frame", exc_info=True)

    def custom_profile_packet_received(self, packet: t.ZigbeePacket) -> None:
        """Deliver Smart Energy ZCL frames as ZCL; leave other profiles to zigpy."""
        if packet.profile_id == SE_PROFILE_ID:
            self.packet_received(packet.replace(profile_id=zha.PROFILE_ID))
            return
        super().custom_profile_packet_received(packet)


def adopt_device(
    app: zigpy.application.ControllerApplication, device: zigpy.device.Device
) -> SmartEnergyDevice:
    """Replace ``device`` in ``app`` by a :class:`SmartEnergyDevice` twin.

    The twin has the same addresses, node descriptor, identity and endpoints
    (profile, device type, cluster ids), with this package's Smart Energy
    clusters attached. Adopting an adopted device returns it unchanged.
    """
    if isinstance(device, SmartEnergyDevice):
        for endpoint in _endpoints(device):
            attach_clusters(endpoint)
        return device
    twin = SmartEnergyDevice(app, device.ieee, device.nwk)
    twin.node_desc = device.node_desc
    twin.manufacturer = device.manufacturer
    twin.model = device.model
    for old in _endpoints(device):
        endpoint = twin.add_endpoint(old.endpoint_id)
        endpoint.profile_id = old.profile_id
        endpoint.device_type = old.device_type
        for cluster_id in old.in_clusters:
            endpoint.add_input_cluster(cluster_id)
        for cluster_id in old.out_clusters:
            endpoint.add_output_cluster(cluster_id)
        endpoint.status = old.status
        attach_clusters(endpoint)
    app.devices[device.ieee] = twin
    return twin


def _endpoints(device: Any) -> list[zigpy.endpoint.Endpoint]:
    return [
        endpoint
        for endpoint_id, endpoint in device.endpoints.items()
        if endpoint_id != 0 and isinstance(endpoint, zigpy.endpoint.Endpoint)
    ]


@dataclass(frozen=True, slots=True)
class DiscoveredEndpoint:
    """What discovery found on one Metering endpoint."""

    ieee: str
    nwk: int
    endpoint_id: int
    metering_device_type: int | None
    sleepy: bool


class HanLink:
    """An open HAN: the zigpy application and the meters discovered on it.

    ``request_timeout`` (seconds) bounds every request; ``retries`` how often
    zigpy may re-send one (where the installed zigpy supports it; 0 keeps the
    request count exact).
    """

    def __init__(
        self,
        app: zigpy.application.ControllerApplication,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
        retries: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Wrap a started application; call :meth:`start` to discover the meters.

        ``clock`` gives "now" in Unix seconds for commands that carry a time
        (the simulator's clock when running on it).
        """
        self.app = app
        self.clock = clock
        self.request_timeout = request_timeout
        self.retries = retries
        self.requests = RequestCounter()
        """Every request the link sent, by cluster."""
        self._esme: ElectricityMeter | None = None
        self._gas: GasMirror | None = None
        self._hub: CommsHub | None = None
        self.gsme: DiscoveredEndpoint | None = None
        """The GSME, when seen (never read: it sleeps, read the GPF mirror)."""
        self.discovered: list[DiscoveredEndpoint] = []
        self._open = False
        self._join_callbacks: list[Callable[[], None]] = []
        self._lost_callbacks: list[Callable[[BaseException | None], None]] = []
        self._listening = False

    @classmethod
    async def open(
        cls,
        app: zigpy.application.ControllerApplication,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
        retries: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> HanLink:
        """Wrap ``app``, discover its meters and return the open link."""
        link = cls(app, request_timeout=request_timeout, retries=retries, clock=clock)
        try:
            await link.start()
        except BaseException:
            await link.close()
            raise
        return link

    async def start(self) -> None:
        """Adopt the meters' devices and find ESME, GPF mirror and Comms Hub."""
        own = self.app.state.node_info.ieee
        for device in list(self.app.devices.values()):
            if device.ieee == own or not isinstance(device, zigpy.device.Device):
                continue
            if not any(ep.profile_id == SE_PROFILE_ID for ep in _endpoints(device)):
                continue
            await self._discover(adopt_device(self.app, device))
        self._open = True
        if self._esme is None and self._gas is None:
            msg = "no ESME or GPF gas mirror on the HAN"
            raise HanNotFound(msg)

    async def _discover(self, device: SmartEnergyDevice) -> None:
        sleepy = device.node_desc is not None and device.node_desc.is_end_device
        is_hub = device.nwk == HUB_NWK
        for endpoint in _endpoints(device):
            if METERING not in endpoint.in_clusters:
                continue
            device_type: int | None = None
            static: dict[int, object] = {}
            if not sleepy:
                # One read per Metering endpoint, once: what kind of meter it is,
                # and the units and scaling every later cycle needs
                static = await read_attributes(
                    endpoint.in_clusters[METERING],
                    STATIC_METERING_ATTRIBUTES,
                    counter=self.requests,
                    timeout=self.request_timeout,
                    retries=self.retries,
                )
                raw = static.get(zse.Metering.AttributeDefs.metering_device_type.id)
                device_type = raw if isinstance(raw, int) else None
            found = DiscoveredEndpoint(
                str(device.ieee),
                int(device.nwk),
                endpoint.endpoint_id,
                device_type,
                bool(sleepy),
            )
            self.discovered.append(found)
            options: dict[str, Any] = {
                "counter": self.requests,
                "timeout": self.request_timeout,
                "retries": self.retries,
                "clock": self.clock,
            }
            if sleepy:
                self.gsme = found
            elif device_type == _ELECTRIC and self._esme is None:
                self._esme = ElectricityMeter(endpoint, **options)
                self._esme.prime(METERING, static)
                await self._esme.prepare()
            elif device_type == _MIRRORED_GAS and self._gas is None:
                self._gas = GasMirror(endpoint, **options)
                self._gas.prime(METERING, static)
                await self._gas.prepare()  # a prepayment gas meter's money formatting
                is_hub = True  # the GPF lives in the Comms Hub
            elif device_type == _GAS:
                self.gsme = found
        if is_hub and self._hub is None:
            endpoint = next(
                (
                    ep
                    for ep in _endpoints(device)
                    if KEY_ESTABLISHMENT in ep.in_clusters
                ),
                _endpoints(device)[0],
            )
            self._hub = CommsHub(
                endpoint,
                counter=self.requests,
                timeout=self.request_timeout,
                retries=self.retries,
                clock=self.clock,
            )

    def _check(self) -> None:
        if not self._open:
            msg = "the HAN link is not open"
            raise HanNotStarted(msg)

    @property
    def esme(self) -> ElectricityMeter:
        """The electricity meter."""
        self._check()
        if self._esme is None:
            msg = "no ESME on the HAN"
            raise HanNotFound(msg)
        return self._esme

    @property
    def gas(self) -> GasMirror:
        """The gas meter, as the Comms Hub's GPF mirrors it (never the GSME itself)."""
        self._check()
        if self._gas is None:
            msg = "no GPF gas mirror on the HAN"
            raise HanNotFound(msg)
        return self._gas

    @property
    def hub(self) -> CommsHub:
        """The Comms Hub (trust centre)."""
        self._check()
        if self._hub is None:
            msg = "no Comms Hub on the HAN"
            raise HanNotFound(msg)
        return self._hub

    @property
    def has_esme(self) -> bool:
        """Whether an electricity meter was found."""
        return self._esme is not None

    @property
    def has_hub(self) -> bool:
        """Whether the Comms Hub was found."""
        return self._hub is not None

    @property
    def has_gas(self) -> bool:
        """Whether a GPF gas mirror was found."""
        return self._gas is not None

    @property
    def dropped_frames(self) -> dict[str, dict[str, int]]:
        """Frames dropped before zigpy saw them: {EUI64: {reason: count}}.

        Only the meters' devices (the ones :func:`adopt_device` screens) with
        at least one drop; see the module's "Hostile frames" for the reasons.
        """
        return {
            str(device.ieee): dict(sorted(device.dropped.items()))
            for device in self.app.devices.values()
            if isinstance(device, SmartEnergyDevice) and device.dropped
        }

    @property
    def meters(self) -> Iterable[ElectricityMeter | GasMirror]:
        """The meters found."""
        return [m for m in (self._esme, self._gas) if m is not None]

    # --- meters that join or leave ----------------------------------------------

    @property
    def footprint(self) -> frozenset[tuple[str, int]]:
        """The Metering endpoints :meth:`start` found: (EUI64, endpoint id)."""
        return frozenset((found.ieee, found.endpoint_id) for found in self.discovered)

    async def survey(self) -> frozenset[tuple[str, int]]:
        """Ask the HAN now which Metering endpoints it has: (EUI64, endpoint id).

        HanError (HanTimeout when nobody answered in time) when the HAN could
        not be asked: then nothing is known, least of all that a meter left.
        """
        self._check()
        app = self.app
        if not isinstance(app, SurveyingApplication):
            return self._survey_devices()
        try:
            found = await app.survey()
        except HanError:
            raise
        except TimeoutError as err:
            msg = "the HAN did not say which meters it has in time"
            raise HanTimeout(msg) from err
        except (zigpy.exceptions.ZigbeeException, OSError) as err:
            msg = f"the HAN could not be asked which meters it has: {err}"
            raise HanError(msg) from err
        return frozenset(
            (str(ieee), int(endpoint))
            for ieee, endpoints in found.items()
            for endpoint in endpoints
        )

    def _survey_devices(self) -> frozenset[tuple[str, int]]:
        own = self.app.state.node_info.ieee
        return frozenset(
            (str(device.ieee), endpoint.endpoint_id)
            for device in self.app.devices.values()
            if device.ieee != own and isinstance(device, zigpy.device.Device)
            for endpoint in _endpoints(device)
            if endpoint.profile_id == SE_PROFILE_ID and METERING in endpoint.in_clusters
        )

    async def rediscover(self) -> bool:
        """Whether a meter joined the HAN since :meth:`start` found its meters.

        True when a Metering endpoint appeared (a gas meter paired, a new
        meter after an exchange); this link keeps serving what it found, so
        open a new one to take the change in. An endpoint that did not answer
        this time is not taken as gone: over the air one lost answer looks the
        same, and a meter that really left stops answering its reads anyway.
        HanError when the HAN could not be asked.
        """
        now = await self.survey()
        before = self.footprint
        joined, missing = now - before, before - now
        if missing:
            _LOGGER.debug(
                "%d known Metering endpoint(s) did not answer the survey",
                len(missing),
            )
        if joined:
            _LOGGER.info(
                "A meter joined the HAN: %d new Metering endpoint(s)", len(joined)
            )
        return bool(joined)

    def on_join(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` when the HAN says a device joined or left.

        That is the "device joined" alert (GBCS 0x8183 or 0x8F49) or "device
        unjoining succeeded" (0x8F4B) from the hub or a meter, or zigpy's
        ``device_joined`` / ``device_left`` (a device announcing itself). A
        hint only: :meth:`rediscover` says whether the meters changed. Returns
        an unsubscribe.
        """
        self._check()
        self._join_callbacks.append(callback)
        self._listen()

        def unsubscribe() -> None:
            if callback in self._join_callbacks:
                self._join_callbacks.remove(callback)

        return unsubscribe

    def on_connection_lost(
        self, callback: Callable[[BaseException | None], None]
    ) -> Callable[[], None]:
        """Call ``callback(error)`` when the radio goes away while the link is open.

        zigpy only tells its listeners (the serial line closed, the NCP reset
        by itself); nothing reopens the radio. Returns an unsubscribe.
        """
        self._check()
        self._lost_callbacks.append(callback)
        self._listen()

        def unsubscribe() -> None:
            if callback in self._lost_callbacks:
                self._lost_callbacks.remove(callback)

        return unsubscribe

    def _listen(self) -> None:
        if self._listening:
            return
        self._listening = True
        self.app.add_listener(self)
        for meter in (self._esme, self._gas, self._hub):
            if meter is not None:
                meter.subscribe(self._on_meter_event)

    def connection_lost(self, exc: BaseException | None) -> None:
        """zigpy: the connection to the radio was lost."""
        if not self._open:
            return  # closing: the radio goes away on purpose
        for callback in list(self._lost_callbacks):
            try:
                callback(exc)
            except Exception:
                _LOGGER.exception("Error in a radio-lost callback")

    def _joined(self) -> None:
        for callback in list(self._join_callbacks):
            try:
                callback()
            except Exception:
                _LOGGER.exception("Error in a HAN join callback")

    def _on_meter_event(self, event: HanEvent) -> None:
        if isinstance(event, model.AlertEvent) and (
            JOINED_TRIGGER in event.trigger_types or event.code == UNJOINED_CODE
        ):
            _LOGGER.debug(
                "The %s says a device joined or left (0x%04X)", event.source, event.code
            )
            self._joined()

    def device_joined(self, device: zigpy.device.Device) -> None:
        """zigpy: a device joined the network (or announced itself anew)."""
        _LOGGER.debug("Device %s joined the HAN", device.ieee)
        self._joined()

    def device_left(self, device: zigpy.device.Device) -> None:
        """zigpy: a device left the network."""
        _LOGGER.debug("Device %s left the HAN", device.ieee)
        self._joined()

    @property
    def unbound(self) -> frozenset[tuple[str, int, int]]:
        """(EUI64, endpoint, cluster) a meter would not bind: poll, do not wait for pushes."""
        return frozenset(getattr(self.app, "unbound", ()))

    async def poll_unbound(self) -> None:
        """Poll the meters that refused to bind Messaging or Events (see :attr:`unbound`)."""
        unbound = self.unbound
        for meter in (self._esme, self._gas, self._hub):
            if meter is None:
                continue
            clusters = {
                cluster
                for ieee, endpoint, cluster in unbound
                if ieee == meter.ieee and endpoint == meter.endpoint.endpoint_id
            }
            if clusters:
                await meter.poll_pushes(clusters)

    async def close(self) -> None:
        """Stop listening and shut the application down."""
        self._open = False
        self._join_callbacks.clear()
        self._lost_callbacks.clear()
        if self._listening:
            self._listening = False
            self.app.remove_listener(self)
        for meter in (self._esme, self._gas, self._hub):
            if meter is not None:
                meter.close()
        await self.app.shutdown()
