"""Emulated HAN devices: they parse real ZCL frames with zigpy and answer them.

A device is a set of endpoints; an endpoint a set of server clusters; a
server cluster a table of attribute readers (attribute id -> function of the
simulated time) and command handlers. Frames in are parsed with zigpy's ZCL
header and the command schemas of :mod:`..clusters`; frames out are built the
same way, so what crosses the virtual radio is byte-exact ZCL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import logging
import struct
from typing import Any, cast

import zigpy.types as t
from zigpy.zcl import Cluster, foundation

__all__ = [
    "AttributeReader",
    "CommandHandler",
    "EmulatedDevice",
    "Reply",
    "ServerCluster",
    "SimEndpoint",
    "sentinel_for",
]

_LOGGER = logging.getLogger(__name__)

type AttributeReader = Callable[[int], Any]
"""Returns an attribute's raw value at a simulated time (Unix seconds)."""


@dataclass(slots=True)
class Reply:
    """A frame a device sends: to the cluster on its endpoint, as ZCL bytes."""

    src_ep: int
    cluster_id: int
    data: bytes
    secured: bool = True
    """Sent with APS encryption where the cluster needs it (False: an answer to
    an unencrypted request goes back unencrypted, as util.c's does)."""


type CommandHandler = Callable[[foundation.ZCLHeader, Any, int], list[Reply]]
"""Handles a cluster command: (header, parsed arguments, now) -> replies."""


def sentinel_for(attr_def: foundation.ZCLAttributeDef) -> int:
    """Return the "invalid / not available" pattern of an attribute's type (all ones).

    Signed types use their most negative value (0x800000 for int24), as ZSE
    does for an invalid signed reading.
    """
    attr_type = attr_def.type
    bits = getattr(attr_type, "_bits", 8)
    if getattr(attr_type, "_signed", False):
        return -(1 << (bits - 1))
    return (1 << bits) - 1


@dataclass(slots=True)
class ServerCluster:
    """One server cluster of an emulated endpoint."""

    cls: type[Cluster]
    attributes: dict[int, AttributeReader] = field(default_factory=dict)
    commands: dict[int, CommandHandler] = field(default_factory=dict)


@dataclass(slots=True)
class SimEndpoint:
    """One endpoint of an emulated device (Smart Energy profile by default)."""

    endpoint_id: int
    device_type: int
    clusters: dict[int, ServerCluster]
    out_clusters: tuple[int, ...] = ()
    profile_id: int = 0x0109


_ATTRIBUTE_ID = struct.Struct("<H")
"""A ZCL attribute id on the air (little-endian uint16)."""
_SERVER_TO_CLIENT_GENERAL = 0b0001_1000
"""ZCL frame control: general command, server to client, no default response."""
_SERVER_TO_CLIENT = 0b0001_1001
"""ZCL frame control: cluster-specific command, server to client, no default response."""


class EmulatedDevice:
    """A device on the simulated HAN: addresses, endpoints, and a ZCL engine."""

    def __init__(
        self,
        name: str,
        ieee: str,
        nwk: int,
        *,
        manufacturer: str,
        model: str,
        end_device: bool = False,
        endpoints: list[SimEndpoint] | None = None,
    ) -> None:
        """Describe the device; endpoints may be added later with :meth:`add`."""
        self.name = name
        self.ieee = t.EUI64.convert(ieee)
        self.nwk = nwk
        self.manufacturer = manufacturer
        self.model = model
        self.end_device = end_device
        self.endpoints: dict[int, SimEndpoint] = {}
        self.frames_received = 0
        self.sentinels: set[tuple[int, int]] = set()
        """(cluster id, attribute id) pairs answered with the invalid pattern."""
        self._tsn = 0
        for endpoint in endpoints or ():
            self.add(endpoint)

    def add(self, endpoint: SimEndpoint) -> None:
        """Add an endpoint."""
        self.endpoints[endpoint.endpoint_id] = endpoint

    def next_tsn(self) -> int:
        """Return a transaction sequence number for a frame the device starts."""
        self._tsn = (self._tsn + 1) & 0xFF
        return self._tsn

    # --- frames in ---------------------------------------------------------------

    def handle(
        self, dst_ep: int, cluster_id: int, data: bytes, now: int
    ) -> list[Reply]:
        """Parse one request frame and return the frames the device answers with."""
        self.frames_received += 1
        endpoint = self.endpoints.get(dst_ep)
        server = None if endpoint is None else endpoint.clusters.get(cluster_id)
        hdr, payload = foundation.ZCLHeader.deserialize(data)
        if hdr.direction != foundation.Direction.Client_to_Server:
            return []  # responses to the device's own frames need nothing
        if server is None:
            return self._default(
                dst_ep, cluster_id, hdr, foundation.Status.UNSUP_CLUSTER_COMMAND
            )
        if hdr.frame_control.is_general:
            return self._general(dst_ep, cluster_id, server, hdr, payload, now)
        command = server.cls.server_commands.get(hdr.command_id)
        handler = server.commands.get(hdr.command_id)
        if command is None or handler is None:
            return self._default(
                dst_ep, cluster_id, hdr, foundation.Status.UNSUP_CLUSTER_COMMAND
            )
        try:
            args, _ = command.schema.deserialize(payload)
        except (ValueError, KeyError) as exc:
            _LOGGER.debug("Malformed %s: %s", command.name, exc)
            return self._default(
                dst_ep, cluster_id, hdr, foundation.Status.MALFORMED_COMMAND
            )
        replies = handler(hdr, args, now)
        if replies:
            return [
                Reply(dst_ep, cluster_id, reply.data) if reply.src_ep < 0 else reply
                for reply in replies
            ]
        return self._default(dst_ep, cluster_id, hdr, foundation.Status.SUCCESS)

    def _general(  # noqa: PLR0917 - the fields of a frame
        self,
        endpoint_id: int,
        cluster_id: int,
        server: ServerCluster,
        hdr: foundation.ZCLHeader,
        payload: bytes,
        now: int,
    ) -> list[Reply]:
        command_id = hdr.command_id
        if command_id == foundation.GeneralCommand.Read_Attributes:
            schema = foundation.GENERAL_COMMANDS[
                foundation.GeneralCommand.Read_Attributes
            ].schema
            parsed: Any
            parsed, _ = schema.deserialize(payload)
            body = b"".join(
                self._read(server, cluster_id, attr_id, now)
                for attr_id in parsed.attribute_ids
            )
            return [
                Reply(
                    endpoint_id,
                    cluster_id,
                    self.header(
                        hdr.tsn,
                        foundation.GeneralCommand.Read_Attributes_rsp,
                        general=True,
                    )
                    + body,
                )
            ]
        if command_id == foundation.GeneralCommand.Configure_Reporting:
            record = foundation.ConfigureReportingResponseRecord(
                status=foundation.Status.SUCCESS
            )
            body_bytes: bytes = cast("Any", record).serialize()
            return [
                Reply(
                    endpoint_id,
                    cluster_id,
                    self.header(
                        hdr.tsn,
                        foundation.GeneralCommand.Configure_Reporting_rsp,
                        general=True,
                    )
                    + body_bytes,
                )
            ]
        if command_id == foundation.GeneralCommand.Default_Response:
            return []
        return self._default(
            endpoint_id, cluster_id, hdr, foundation.Status.UNSUP_GENERAL_COMMAND
        )

    def _value(
        self, server: ServerCluster, cluster_id: int, attr_id: int, now: int
    ) -> bytes | None:
        """Return an attribute's ZCL type and value as sent, or None if unsupported."""
        reader = server.attributes.get(attr_id)
        attr_def = server.cls.attributes.get(attr_id)
        if reader is None or attr_def is None:
            return None
        raw = (
            sentinel_for(attr_def)
            if (cluster_id, attr_id) in self.sentinels
            else reader(now)
        )
        value: bytes = attr_def.type(raw).serialize()
        return bytes((attr_def.zcl_type,)) + value

    def _read(
        self, server: ServerCluster, cluster_id: int, attr_id: int, now: int
    ) -> bytes:
        """Return one Read Attributes status record (ZCL 2.5.2.1)."""
        value = self._value(server, cluster_id, attr_id, now)
        if value is None:
            return _ATTRIBUTE_ID.pack(attr_id) + bytes(
                (foundation.Status.UNSUPPORTED_ATTRIBUTE,)
            )
        return _ATTRIBUTE_ID.pack(attr_id) + bytes((foundation.Status.SUCCESS,)) + value

    # --- frames out --------------------------------------------------------------

    @staticmethod
    def header(tsn: int, command_id: int, *, general: bool) -> bytes:
        """Return a server-to-client ZCL header (default response disabled).

        ZCL 2.4.1.1: frame type in bits 0-1 (0 general, 1 cluster-specific), bit 3
        the direction (1: server to client), bit 4 disable default response; built
        by hand, since every answer the simulated meters give starts with one.
        """
        frame_control = _SERVER_TO_CLIENT_GENERAL if general else _SERVER_TO_CLIENT
        return bytes((frame_control, tsn & 0xFF, command_id & 0xFF))

    def default_response(
        self,
        endpoint_id: int,
        cluster_id: int,
        hdr: foundation.ZCLHeader,
        status: foundation.Status,
    ) -> list[Reply]:
        """Answer the request ``hdr`` with a Default Response carrying ``status``."""
        return self._default(endpoint_id, cluster_id, hdr, status)

    def _default(
        self,
        endpoint_id: int,
        cluster_id: int,
        hdr: foundation.ZCLHeader,
        status: foundation.Status,
    ) -> list[Reply]:
        if (
            hdr.frame_control.disable_default_response
            and status == foundation.Status.SUCCESS
        ):
            return []
        body = foundation.DefaultResponse(command_id=hdr.command_id, status=status)
        return [
            Reply(
                endpoint_id,
                cluster_id,
                self.header(
                    hdr.tsn, foundation.GeneralCommand.Default_Response, general=True
                )
                + body.serialize(),
            )
        ]

    def command_frame(
        self,
        endpoint_id: int,
        cls: type[Cluster],
        name: str,
        tsn: int | None = None,
        **fields: Any,
    ) -> Reply:
        """Return a cluster command the device sends (a response or an unsolicited push)."""
        command = next(c for c in cls.client_commands.values() if c.name == name)
        body = command.schema(**fields).serialize()
        return Reply(
            endpoint_id,
            cls.cluster_id,
            self.header(
                self.next_tsn() if tsn is None else tsn, command.id, general=False
            )
            + body,
        )

    def report_frame(
        self, endpoint_id: int, cluster_id: int, attr_ids: list[int], now: int
    ) -> Reply | None:
        """Return a Report Attributes frame with the current values of ``attr_ids``."""
        server = self.endpoints[endpoint_id].clusters[cluster_id]
        # ZCL 2.5.11.1: each record is the attribute id, its type and its value
        reports = b"".join(
            _ATTRIBUTE_ID.pack(attr_id) + value
            for attr_id in attr_ids
            if (value := self._value(server, cluster_id, attr_id, now)) is not None
        )
        if not reports:
            return None
        return Reply(
            endpoint_id,
            cluster_id,
            self.header(
                self.next_tsn(),
                foundation.GeneralCommand.Report_Attributes,
                general=True,
            )
            + reports,
        )


def attribute_table(
    values: Mapping[int, AttributeReader],
) -> dict[int, AttributeReader]:
    """Copy an attribute table (a readable name at the call sites)."""
    return dict(values)
