"""The embedded default: a simulated GB smart-meter HAN behind a zigpy application.

Start one with::

    sim = HanSimulator(seed=1)            # SMETS2 ESME + GPF gas mirror + hub
    app = await sim.start()               # a zigpy ControllerApplication
    ...
    await sim.advance(10)                 # simulated seconds; nothing sleeps
    await app.shutdown()

See :mod:`.app` for the knobs (tiers, prepayment, solar, SMETS1 identities),
fault injection and the ``frame_observer`` hook.
"""

from __future__ import annotations

from .app import (
    CONF_SIMULATOR,
    Faults,
    HanSimulator,
    MeterIdentity,
    RadioFrame,
    SimulatedApplication,
    unix_time,
    zcl_time,
)
from .clock import SimClock
from .meters import (
    HALF_HOUR,
    MONEY_UNITS_PER_POUND,
    ElectricityMeter,
    GasMeter,
    PrepaymentAccount,
    Tariff,
)

__all__ = [
    "CONF_SIMULATOR",
    "HALF_HOUR",
    "MONEY_UNITS_PER_POUND",
    "ElectricityMeter",
    "Faults",
    "GasMeter",
    "HanSimulator",
    "MeterIdentity",
    "PrepaymentAccount",
    "RadioFrame",
    "SimClock",
    "SimulatedApplication",
    "Tariff",
    "unix_time",
    "zcl_time",
]
