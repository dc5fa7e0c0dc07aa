"""The link to the HAN: a zigpy application, the meters found on it, and typed access.

:class:`HanLink` takes a started zigpy ``ControllerApplication`` (a radio, or
the simulator), finds the ESME, the GPF gas mirror and the Comms Hub by their
clusters and Metering device type, installs the Smart Energy clusters of
:mod:`.clusters` on their endpoints, and exposes them as typed meters
(:mod:`.meter`).

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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
import logging
import time
from typing import Any, Final

import zigpy.application
import zigpy.device
import zigpy.endpoint
from zigpy.profiles import zha
import zigpy.types as t
from zigpy.zcl.clusters import smartenergy as zse

from .clusters import SE_PROFILE_ID, attach_clusters
from .errors import HanNotFound, HanNotStarted
from .meter import (
    DEFAULT_TIMEOUT,
    STATIC_METERING_ATTRIBUTES,
    CommsHub,
    ElectricityMeter,
    GasMirror,
    RequestCounter,
    read_attributes,
)

__all__ = [
    "DiscoveredEndpoint",
    "HanLink",
    "SmartEnergyDevice",
    "adopt_device",
]

_LOGGER = logging.getLogger(__name__)

METERING: Final = zse.Metering.cluster_id
KEY_ESTABLISHMENT: Final = zse.KeyEstablishment.cluster_id
HUB_NWK: Final = 0x0000

_ELECTRIC: Final = int(zse.MeteringDeviceType.Electric_Metering)
_GAS: Final = int(zse.MeteringDeviceType.Gas_Metering)
_MIRRORED_GAS: Final = int(zse.MeteringDeviceType.Mirrored_Gas_Metering)


class SmartEnergyDevice(zigpy.device.Device):
    """A zigpy device whose Smart Energy (0x0109) frames reach its clusters."""

    def custom_profile_packet_received(self, packet: t.ZigbeePacket) -> None:
        """Deliver Smart Energy ZCL frames as ZCL; leave other profiles to zigpy."""
        if packet.profile_id == SE_PROFILE_ID:
            # zigpy parses ZCL only for HA/ZLL; the frame layout is identical
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
    def meters(self) -> Iterable[ElectricityMeter | GasMirror]:
        """The meters found."""
        return [m for m in (self._esme, self._gas) if m is not None]

    async def close(self) -> None:
        """Stop listening and shut the application down."""
        self._open = False
        for meter in (self._esme, self._gas, self._hub):
            if meter is not None:
                meter.close()
        await self.app.shutdown()
