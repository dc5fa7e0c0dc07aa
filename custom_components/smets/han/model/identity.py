"""Who made a meter and what it runs: the Basic cluster (0x0000) and Metering ids."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from .metering import MeteringAttr, MeteringDeviceType
from .values import _as_str, _bitmap


class BasicAttr(IntEnum):
    """Basic cluster (0x0000) attributes used for identity."""

    APPLICATION_VERSION = 0x0001
    HW_VERSION = 0x0003
    MANUFACTURER_NAME = 0x0004
    MODEL_IDENTIFIER = 0x0005
    DATE_CODE = 0x0006
    SW_BUILD_ID = 0x4000


#: Basic attributes :func:`decode_identity` reads.
IDENTITY_BASIC_ATTRIBUTES: tuple[int, ...] = tuple(BasicAttr)
#: Metering attributes :func:`decode_identity` reads.
IDENTITY_METERING_ATTRIBUTES: tuple[int, ...] = (0x0306, 0x0307, 0x0308)


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """Who made a meter and what it runs (Basic + Metering attributes)."""

    manufacturer: str | None
    model: str | None
    sw_build_id: str | None
    date_code: str | None
    hw_version: int | None
    application_version: int | None
    serial_number: str | None
    site_id: str | None
    device_type: MeteringDeviceType | None


def decode_identity(
    basic_attrs: Mapping[int, object],
    metering_attrs: Mapping[int, object] | None = None,
) -> MeterIdentity:
    """Decode a meter's identity from its Basic and Metering attributes.

    Basic 0x0004 manufacturer, 0x0005 model, 0x4000 SW build id, 0x0006 date
    code, 0x0003 HW version, 0x0001 application version; Metering 0x0308
    meter serial number, 0x0307 site id (the MPxN on a GB meter), 0x0306
    device type.
    """
    metering = metering_attrs or {}
    return MeterIdentity(
        manufacturer=_as_str(basic_attrs.get(BasicAttr.MANUFACTURER_NAME)),
        model=_as_str(basic_attrs.get(BasicAttr.MODEL_IDENTIFIER)),
        sw_build_id=_as_str(basic_attrs.get(BasicAttr.SW_BUILD_ID)),
        date_code=_as_str(basic_attrs.get(BasicAttr.DATE_CODE)),
        hw_version=_bitmap(basic_attrs.get(BasicAttr.HW_VERSION), 8),
        application_version=_bitmap(basic_attrs.get(BasicAttr.APPLICATION_VERSION), 8),
        serial_number=_as_str(metering.get(MeteringAttr.METER_SERIAL_NUMBER)),
        site_id=_as_str(metering.get(MeteringAttr.SITE_ID)),
        device_type=MeteringDeviceType.from_raw(
            metering.get(MeteringAttr.METERING_DEVICE_TYPE)
        ),
    )
