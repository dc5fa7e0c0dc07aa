"""The simulated meters' data, in plain Python: registers, profiles, tariff, credit.

Everything here is a pure function of the seed and the simulated time, so two
simulations with the same seed agree to the Wh. Units are the meters' own:

* electricity in Wh (registers, profile intervals), demand in W (signed:
  negative while exporting), published with multiplier 1 / divisor 1000 so a
  reader sees kWh and kW;
* gas in 0.001 m3 (litres), published with multiplier 1 / divisor 1000 (m3);
* money in thousandths of a penny (:data:`MONEY_UNITS_PER_POUND` to the
  pound), published with 3 trailing digits: 24 500 is 24.5p.

A register is its opening reading at the start of the stored history plus the
sum of every half-hourly interval since, so a backfill of the profile can be
checked against the register exactly. Electricity registers also count the
part of the current half hour already elapsed; the gas mirror (GPF) only moves
when a half hour completes, as the real GPF does when the GSME wakes.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
import datetime as dt
import hashlib
import hmac
import math
from typing import Final, Protocol

__all__ = [
    "HALF_HOUR",
    "HISTORY_DAYS",
    "MONEY_UNITS_PER_POUND",
    "Channel",
    "Chargeable",
    "ElectricityMeter",
    "GasMeter",
    "PrepaymentAccount",
    "Tariff",
    "TopUpOutcome",
    "UtrnBook",
    "consumption_cost",
    "cost_period",
    "unit_random",
]

HALF_HOUR: Final = 1800
"""Seconds in one profile interval."""

HISTORY_DAYS: Final = 396
"""About 13 months of half-hourly profile are kept in the meter."""

MONEY_UNITS_PER_POUND: Final = 100_000
"""Money is kept in 1/1000 of a penny (trailing digits 3, in pence)."""

_MASK64 = (1 << 64) - 1


def _splitmix(value: int) -> int:
    """One round of splitmix64: a fast, well-mixed 64-bit hash."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def unit_random(seed: int, *keys: int) -> float:
    """Return a deterministic number in [0, 1) for ``seed`` and ``keys``."""
    value = _splitmix(seed & _MASK64)
    for key in keys:
        value = _splitmix(value ^ (key & _MASK64))
    return (value >> 11) / float(1 << 53)


def _bump(hour: float, centre: float, width: float) -> float:
    """Return a smooth bump of height 1 at ``centre`` (hours, wrapping at midnight)."""
    distance = min(abs(hour - centre), 24 - abs(hour - centre))
    return math.exp(-0.5 * (distance / width) ** 2)


def _season(timestamp: int) -> float:
    """+1 in mid-January, -1 in mid-July."""
    day = (timestamp // 86_400) % 365.25
    # 1970-01-01 is day 0; mid-January is about day 15 of each year
    return math.cos(2 * math.pi * ((day - 15) % 365.25) / 365.25)


# --- tariff ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tariff:
    """A time-of-use tariff with 1, 2 or 4 tiers (UTC clock times).

    * 1 tier: one rate all day.
    * 2 tiers (Economy 7 style): tier 2 "Night" 00:30-07:30, tier 1 "Day".
    * 4 tiers: tier 2 "Night" 00:30-07:30, tier 3 "Peak" 16:00-19:00,
      tier 4 "Weekend" on Saturdays and Sundays outside the night, tier 1 "Day".
    """

    tiers: int = 2
    prices: tuple[int, ...] = (24_500, 12_100, 38_000, 20_000)
    """Unit prices in money units per kWh (24 500 = 24.5p)."""
    labels: tuple[str, ...] = ("Day", "Night", "Peak", "Weekend")
    standing_charge: int = 60_120
    """Standing charge in money units per day (60 120 = 60.12p)."""

    def __post_init__(self) -> None:
        """Refuse a tier count the simulator does not model."""
        if self.tiers not in (1, 2, 4):
            msg = f"a tariff has 1, 2 or 4 tiers, not {self.tiers}"
            raise ValueError(msg)

    def tier_at(self, timestamp: int) -> int:
        """Return the tier (1-based) in force at ``timestamp``."""
        if self.tiers == 1:
            return 1
        seconds = timestamp % 86_400
        if 1_800 <= seconds < 27_000:
            return 2
        if self.tiers == 4:
            if 57_600 <= seconds < 68_400:
                return 3
            weekday = (timestamp // 86_400 + 3) % 7  # 0 = Monday
            if weekday >= 5:
                return 4
        return 1

    def price(self, tier: int) -> int:
        """Return the unit price of a tier."""
        return self.prices[tier - 1]

    def label(self, tier: int) -> str:
        """Return the name of a tier."""
        return self.labels[tier - 1]


# --- channels: cumulative sums of a deterministic interval series ---------------


class Channel:
    """Half-hourly interval values from ``base`` on, with lazily kept running sums.

    ``values(i)`` gives the value of interval ``i`` (interval ``i`` spans
    ``[i * 1800, (i + 1) * 1800)``); sums are extended only as far as asked.
    """

    __slots__ = ("_base", "_cumulative", "_value")

    def __init__(self, value: object, base: int) -> None:
        """``value`` is a callable ``index -> int``; ``base`` the first index kept."""
        self._value = value
        self._base = base
        self._cumulative = array("q", [0])

    @property
    def base(self) -> int:
        """The first interval the channel keeps."""
        return self._base

    def value(self, index: int) -> int:
        """Return the value of one interval."""
        getter = self._value
        assert callable(getter)
        result = getter(index)
        assert isinstance(result, int)
        return result

    def total(self, start: int, stop: int) -> int:
        """Return the sum of intervals ``[start, stop)`` (clipped to the kept range)."""
        start = max(start, self._base)
        if stop <= start:
            return 0
        self._extend(stop)
        return (
            self._cumulative[stop - self._base] - self._cumulative[start - self._base]
        )

    def _extend(self, stop: int) -> None:
        cumulative = self._cumulative
        index = self._base + len(cumulative) - 1
        running = cumulative[-1]
        while index < stop:
            running += self.value(index)
            cumulative.append(running)
            index += 1


# --- electricity ------------------------------------------------------------------


class ElectricityMeter:
    """An ESME: import/export registers, tiers, signed demand, profile.

    The household's consumption follows a daily shape (night base load,
    morning and evening peaks, more in winter) and, with ``solar``, a rooftop
    array exports at midday (more in summer). Each half hour is netted: import
    is what the house drew beyond the panels, export what it sent back.
    """

    def __init__(
        self,
        seed: int,
        start: int,
        tariff: Tariff,
        *,
        solar: bool = True,
        opening_import: int = 18_250_000,
        opening_export: int = 2_150_000,
    ) -> None:
        """Keep 13 months of history before ``start`` (Unix seconds)."""
        self.seed = seed
        self.tariff = tariff
        self.solar = solar
        self._cache: dict[int, tuple[int, int]] = {}
        self._install(
            start // HALF_HOUR - HISTORY_DAYS * 48, opening_import, opening_export
        )

    def _install(self, base: int, opening_import: int, opening_export: int) -> None:
        self.base = base
        self.opening_import = opening_import
        self.opening_export = opening_export
        # Split the opening import between the tiers in proportion to a typical mix
        shares = {1: (1.0,), 2: (0.62, 0.38), 4: (0.46, 0.3, 0.12, 0.12)}
        split = [int(opening_import * s) for s in shares[self.tariff.tiers]]
        split[0] += opening_import - sum(split)
        self.opening_tiers = tuple(split)
        self.imports = Channel(self.import_wh, base)
        self.exports = Channel(self.export_wh, base)
        self.tier_channels = tuple(
            Channel(self._tier_getter(tier), base)
            for tier in range(1, self.tariff.tiers + 1)
        )

    def _tier_getter(self, tier: int) -> object:
        def getter(index: int) -> int:
            if self.tariff.tier_at(index * HALF_HOUR) != tier:
                return 0
            return self.import_wh(index)

        return getter

    def exchange(self, now: int) -> None:
        """Replace the meter (meter exchange): registers restart at zero, no history."""
        self._install(now // HALF_HOUR, 0, 0)

    # per-interval energy

    def _interval(self, index: int) -> tuple[int, int]:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        timestamp = index * HALF_HOUR
        hour = (timestamp % 86_400) / 3600 + 0.25
        winter = _season(timestamp)
        shape = (
            230
            + 900 * _bump(hour, 7.5, 1.0)
            + 1_700 * _bump(hour, 18.5, 1.6)
            + 320 * _bump(hour, 13.0, 2.0)
        )
        noise = 0.65 + 0.7 * unit_random(self.seed, 1, index)
        if unit_random(self.seed, 2, index) > 0.92 and 6 <= hour <= 23:
            noise += 1.2  # kettle, oven, washing machine
        consumption = shape * (1 + 0.3 * winter) * noise
        generation = 0.0
        if self.solar:
            day_length = 12 - 4.5 * winter
            sunrise = 12 - day_length / 2
            if sunrise < hour < sunrise + day_length:
                peak = 3_600 * (0.6 - 0.4 * winter)
                cloud = 0.35 + 0.65 * unit_random(self.seed, 3, index // 4)
                generation = (
                    peak * math.sin(math.pi * (hour - sunrise) / day_length) * cloud
                )
        net_w = consumption - generation
        result = (round(max(net_w, 0) / 2), round(max(-net_w, 0) / 2))
        if len(self._cache) > 4_096:
            self._cache.clear()
        self._cache[index] = result
        return result

    def import_wh(self, index: int) -> int:
        """Energy imported in interval ``index`` (Wh)."""
        return self._interval(index)[0]

    def export_wh(self, index: int) -> int:
        """Energy exported in interval ``index`` (Wh)."""
        return self._interval(index)[1]

    # registers

    @staticmethod
    def _partial(value: int, now: int) -> int:
        return value * (now % HALF_HOUR) // HALF_HOUR

    def import_register(self, now: int) -> int:
        """CurrentSummationDelivered (Wh) at ``now``."""
        index = now // HALF_HOUR
        return (
            self.opening_import
            + self.imports.total(self.base, index)
            + self._partial(self.import_wh(index), now)
        )

    def export_register(self, now: int) -> int:
        """CurrentSummationReceived (Wh) at ``now``."""
        index = now // HALF_HOUR
        return (
            self.opening_export
            + self.exports.total(self.base, index)
            + self._partial(self.export_wh(index), now)
        )

    def tier_register(self, tier: int, now: int) -> int:
        """CurrentTierNSummationDelivered (Wh) at ``now``."""
        index = now // HALF_HOUR
        value = self.opening_tiers[tier - 1] + self.tier_channels[tier - 1].total(
            self.base, index
        )
        if self.tariff.tier_at(now) == tier:
            value += self._partial(self.import_wh(index), now)
        return value

    def charged_registers(self, now: int) -> tuple[int, ...]:
        """Return the tier import registers (Wh) a prepayment account charges for."""
        return tuple(
            self.tier_register(tier, now) for tier in range(1, self.tariff.tiers + 1)
        )

    def unit_prices(self) -> tuple[int, ...]:
        """Return the money units per kWh of each tier register."""
        return self.tariff.prices[: self.tariff.tiers]

    def daily_standing_charge(self) -> int:
        """Return the standing charge, money units a day."""
        return self.tariff.standing_charge

    def demand_w(self, now: int) -> int:
        """InstantaneousDemand (W): positive importing, negative exporting."""
        imported, exported = self._interval(now // HALF_HOUR)
        jitter = 0.93 + 0.14 * unit_random(self.seed, 4, now // 10)
        return round((imported - exported) * 2 * jitter)

    def day_import(self, now: int) -> int:
        """CurrentDayConsumptionDelivered (Wh) since midnight UTC."""
        midnight = now - now % 86_400
        return self.import_register(now) - self.import_register(
            max(midnight, self.base * HALF_HOUR)
        )

    def day_export(self, now: int) -> int:
        """CurrentDayConsumptionReceived (Wh) since midnight UTC."""
        midnight = now - now % 86_400
        return self.export_register(now) - self.export_register(
            max(midnight, self.base * HALF_HOUR)
        )

    def first_available(self, now: int) -> int:
        """Return the oldest interval still held (13 months rolling, or since installation)."""
        return max(self.base, now // HALF_HOUR - HISTORY_DAYS * 48)


# --- gas --------------------------------------------------------------------------


class GasMeter:
    """A GSME as its GPF mirror shows it: litres, updated every half hour.

    Its single-rate tariff (``unit_price`` per kWh, ``standing_charge`` a
    day, money units) is what the GPF's Price cluster publishes and what a
    prepayment gas account charges.
    """

    def __init__(self, seed: int, start: int, *, opening: int = 4_321_000) -> None:
        """Keep 13 months of history before ``start``."""
        self.seed = seed
        self._cache: dict[int, int] = {}
        self._install(start // HALF_HOUR - HISTORY_DAYS * 48, opening)
        self.calorific_value = 39_500
        """MJ/m3 x 1000 (39.5)."""
        self.conversion_factor = 1_022_640
        """x 10^6 (1.02264)."""
        self.unit_price = 6_240
        """Money units per kWh (6.24p)."""
        self.standing_charge = 31_430
        """Money units a day (31.43p)."""

    def _install(self, base: int, opening: int) -> None:
        self.base = base
        self.opening = opening
        self.volumes = Channel(self.litres, base)

    def exchange(self, now: int) -> None:
        """Replace the gas meter: the register restarts at zero, no history."""
        self._install(now // HALF_HOUR, 0)

    def litres(self, index: int) -> int:
        """Gas used in interval ``index`` (0.001 m3)."""
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        timestamp = index * HALF_HOUR
        hour = (timestamp % 86_400) / 3600 + 0.25
        winter = max(_season(timestamp), -0.6)
        heating = (1 + winter) * (
            260 * _bump(hour, 7.0, 1.2) + 300 * _bump(hour, 18.5, 2.2)
        )
        hot_water = 60 * _bump(hour, 8.0, 0.7) + 45 * _bump(hour, 21.0, 0.8)
        cooking = 40 * _bump(hour, 18.0, 0.6)
        noise = 0.7 + 0.6 * unit_random(self.seed, 10, index)
        value = round((heating + hot_water + cooking + 4) * noise)
        if len(self._cache) > 4_096:
            self._cache.clear()
        self._cache[index] = value
        return value

    def register(self, now: int) -> int:
        """Return the mirrored CurrentSummationDelivered (litres): moves each half hour."""
        return self.opening + self.volumes.total(self.base, now // HALF_HOUR)

    def day_volume(self, now: int) -> int:
        """Litres used today (UTC), completed half hours only."""
        midnight = now - now % 86_400
        return self.register(now) - self.register(max(midnight, self.base * HALF_HOUR))

    def flow_litres_per_hour(self, now: int) -> int:
        """InstantaneousDemand (0.001 m3/h): the last half hour's gas, as a rate.

        The GSME wakes each half hour and pushes its register to the GPF
        (GBCS 10.4.2.8); a flow is the last completed half-hour's volume over
        that half-hour. GBCS has the GSME push no InstantaneousDemand, so a
        real GPF mostly publishes none (the simulator's ``gas_flow`` knob).
        """
        index = now // HALF_HOUR - 1
        return 0 if index < self.base else self.litres(index) * 2

    def kwh_x1000(self, litres: int) -> int:
        """Energy (Wh) of a volume: m3 x CF x CV / 3.6."""
        return round(litres * self.conversion_factor * self.calorific_value / 3.6 / 1e9)

    def charged_registers(self, now: int) -> tuple[int, ...]:
        """Return the register's energy (Wh) a prepayment account charges for.

        It moves each half hour, as the mirrored register does: a gas
        meter's credit falls when the GSME wakes and reports.
        """
        return (self.kwh_x1000(self.register(now)),)

    def unit_prices(self) -> tuple[int, ...]:
        """Return the money units per kWh."""
        return (self.unit_price,)

    def daily_standing_charge(self) -> int:
        """Return the standing charge, money units a day."""
        return self.standing_charge

    def first_available(self, now: int) -> int:
        """Return the oldest interval still held."""
        return max(self.base, now // HALF_HOUR - HISTORY_DAYS * 48)


# --- prepayment -------------------------------------------------------------------


@dataclass(slots=True)
class TopUpOutcome:
    """What a ConsumerTopUp did (the meter's ZSE result code and the amount)."""

    result: int
    value: int
    alert: int | None = None


@dataclass(slots=True)
class UtrnBook:
    """Issues and checks the simulator's UTRNs.

    A UTRN here is 20 digits: the amount in pence (5), a sequence number (6)
    and a 9-digit code that is an HMAC of both under the meter's key. Real
    UTRNs are built differently; this keeps the same properties: the meter
    accepts only codes made for it, and each only once.
    """

    key: bytes
    issued: int = 0
    used: set[int] = field(default_factory=set)

    def code(self, amount_pence: int, sequence: int) -> str:
        """Return the check digits for an amount and a sequence number."""
        message = f"{amount_pence:05d}{sequence:06d}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000_000:09d}"

    def issue(self, amount_pence: int) -> str:
        """Return a new valid UTRN for ``amount_pence`` (1p to £999.99)."""
        if not 0 < amount_pence < 100_000:
            msg = "a simulated UTRN carries 1p to £999.99"
            raise ValueError(msg)
        self.issued += 1
        prefix = f"{amount_pence:05d}{self.issued:06d}"
        return prefix + self.code(amount_pence, self.issued)

    def check(self, utrn: str) -> tuple[int, int] | None:
        """``(amount_pence, sequence)`` when ``utrn`` is authentic, else None."""
        if len(utrn) != 20 or not utrn.isdigit():
            return None
        amount, sequence = int(utrn[:5]), int(utrn[5:11])
        if not hmac.compare_digest(utrn[11:], self.code(amount, sequence)):
            return None
        return amount, sequence


def cost_period(now: int, period: str, back: int) -> tuple[int, int]:
    """Return ``[start, end)`` of a day, week or month ``back`` periods ago (UTC).

    Days begin at midnight, weeks on Monday, months on the 1st; the current
    period (``back`` 0) ends at ``now``. ``period`` is "day", "week" or "month".
    """
    midnight = now - now % 86_400
    if period == "day":
        start = midnight - back * 86_400
        return start, now if back == 0 else start + 86_400
    if period == "week":
        monday = midnight - ((midnight // 86_400 + 3) % 7) * 86_400  # 0 = Monday
        start = monday - back * 7 * 86_400
        return start, now if back == 0 else start + 7 * 86_400
    day = dt.datetime.fromtimestamp(midnight, dt.UTC)
    months = day.year * 12 + day.month - 1 - back

    def first(index: int) -> int:
        return int(
            dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC).timestamp()
        )

    return first(months), now if back == 0 else first(months + 1)


def consumption_cost(meter: Chargeable, start: int, end: int) -> int:
    """Money units the energy used in ``[start, end)`` cost (the standing charge not in).

    Each charged register's kWh at its price, as the prepayment account
    charges it: for the ESME each tier register at its tier's price, so every
    half-hour is priced at the tier in force then.
    """
    if end <= start:
        return 0
    energy = sum(
        (after - before) * price
        for before, after, price in zip(
            meter.charged_registers(start),
            meter.charged_registers(end),
            meter.unit_prices(),
            strict=True,
        )
    )
    return energy // 1000


class Chargeable(Protocol):
    """What a prepayment account charges for: a meter's registers and tariff."""

    def charged_registers(self, now: int) -> tuple[int, ...]:
        """Return the registers (Wh) at ``now``, one a unit price."""
        ...

    def unit_prices(self) -> tuple[int, ...]:
        """Return the money units per kWh of each register."""
        ...

    def daily_standing_charge(self) -> int:
        """Return the standing charge, money units a day."""
        ...


class PrepaymentAccount:
    """Credit that drains by use, emergency credit, top-ups.

    Credit is kept as an anchor (credit at an instant) and recomputed from the
    meter's charged registers since then (:class:`Chargeable`: the ESME's tier
    registers, or the gas meter's energy): each kWh costs its register's
    price, and the standing charge accrues by the second. Only in prepayment
    mode. The same account serves an electricity and a gas meter; a gas meter
    that does not take UTRNs over the HAN has ``accepts_utrn`` False.
    """

    def __init__(
        self,
        meter: Chargeable,
        now: int,
        key: bytes,
        *,
        prepayment: bool = False,
        credit: int = 1_500_000,
        accepts_utrn: bool = True,
    ) -> None:
        """Start with ``credit`` money units at ``now``."""
        self.meter = meter
        self.prepayment = prepayment
        self.accepts_utrn = accepts_utrn
        self.utrns = UtrnBook(key)
        self.emergency_credit_limit = 1_000_000  # £10
        self.emergency_credit_threshold = 200_000  # £2
        self.low_credit_warning = 500_000  # £5
        self.max_credit_limit = 50_000_000  # £500
        self.max_credit_per_top_up = 25_000_000  # £250
        self.total_credit_added = 0
        self.emergency_credit_selected = False
        self.top_up_log: list[tuple[int, int, int, str]] = []
        self._anchor_time = now
        self._anchor_credit = credit
        self._anchor_tiers = self._tiers(now)

    def _tiers(self, now: int) -> tuple[int, ...]:
        return self.meter.charged_registers(now)

    def _spent(self, now: int) -> int:
        energy = sum(
            (after - before) * price
            for before, after, price in zip(
                self._anchor_tiers,
                self._tiers(now),
                self.meter.unit_prices(),
                strict=True,
            )
        )
        standing = (
            self.meter.daily_standing_charge() * (now - self._anchor_time) // 86_400
        )
        return energy // 1000 + standing

    def _reanchor(self, now: int, credit: int) -> None:
        self._anchor_time = now
        self._anchor_credit = credit
        self._anchor_tiers = self._tiers(now)

    def credit(self, now: int) -> int:
        """CreditRemaining: negative once emergency credit is being used."""
        return self._anchor_credit - self._spent(now)

    def emergency_credit(self, now: int) -> int:
        """EmergencyCreditRemaining."""
        if not self.emergency_credit_selected:
            return self.emergency_credit_limit
        return max(0, self.emergency_credit_limit + min(self.credit(now), 0))

    def status(self, now: int) -> int:
        """CreditStatus bits (see clusters.CreditStatus)."""
        credit = self.credit(now)
        bits = 0x04  # emergency credit enabled
        if credit > 0:
            bits |= 0x01
        if 0 < credit <= self.low_credit_warning:
            bits |= 0x02
        if (
            credit <= self.emergency_credit_threshold
            and not self.emergency_credit_selected
        ):
            bits |= 0x08
        if self.emergency_credit_selected:
            bits |= 0x10
            if credit < 0:
                bits |= 0x20
            if self.emergency_credit(now) == 0:
                bits |= 0x40
        return bits

    def select_emergency_credit(self, now: int) -> bool:
        """Take emergency credit; False when it is not available now."""
        if self.emergency_credit_selected:
            return False
        if self.credit(now) > self.emergency_credit_threshold:
            return False
        self.emergency_credit_selected = True
        return True

    def top_up(self, utrn: str, now: int) -> TopUpOutcome:
        """Apply a ConsumerTopUp; the result codes are ZSE's."""
        if not self.prepayment:
            return TopUpOutcome(0x03, 0)  # Rejected - Error (credit mode)
        checked = self.utrns.check(utrn)
        if checked is None:
            return TopUpOutcome(0x01, 0, alert=0x8F63)  # not authentic
        amount_pence, sequence = checked
        if sequence in self.utrns.used:
            return TopUpOutcome(0x02, 0, alert=0x8F51)  # duplicate
        value = amount_pence * (MONEY_UNITS_PER_POUND // 100)
        if value > self.max_credit_per_top_up:
            return TopUpOutcome(0x06, 0)
        credit = self.credit(now)
        if credit + value > self.max_credit_limit:
            return TopUpOutcome(0x04, 0)
        self.utrns.used.add(sequence)
        self.total_credit_added += value
        credit += value
        if credit > 0:
            self.emergency_credit_selected = False
        self._reanchor(now, credit)
        self.top_up_log.insert(0, (now, value, 0x02, utrn))
        del self.top_up_log[5:]
        return TopUpOutcome(0x00, value)
