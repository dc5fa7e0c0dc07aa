"""What a fuel has cost since counting began: a total that never resets.

Pure logic, no Home Assistant. The total-cost sensors feed :class:`TotalCost`
the meter's registers (tier -> kWh) and tariff at each update and restore it
from :meth:`TotalCost.as_dict` after a restart; Home Assistant's statistics of
a ``total`` sensor without a reset then give the Energy dashboard each hour's
cost.

- Each tier's energy at that tier's price: between two updates, the kWh a
  tier register moved are priced at that tier's unit price. A tier register
  counts only while its tier is in force, so a tier change, even one in an
  outage, is costed right. The kWh of an interval are priced at the prices
  seen at its start (the tariff in force while they were used; a price that
  changes at an update is exact), a tier new to the tariff at the price it
  comes with.
- The standing charge is added day by day, in full at the first update of each
  day (as on a bill); days an outage or a stop skipped entirely are added when
  updates resume (the charge was due), each once.
- Never a spike: a register that steps back (a meter exchange) or a new set of
  tiers only moves the baseline; a tier that reads invalid keeps its last good
  value, so its energy is costed when it reads again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(slots=True)
class TotalCost:
    """The energy and standing charges of one fuel since counting began."""

    total: Decimal = Decimal(0)
    registers: dict[int, Decimal] = field(default_factory=dict)
    """The last good value of each tier register (kWh)."""
    charged_through: dt.date | None = None
    """The last day whose standing charge is in :attr:`total`."""
    standing: Decimal | None = None
    """The last standing charge per day the meter published."""
    prices: dict[int, Decimal] = field(default_factory=dict)
    """The unit prices seen at the last update (tier -> money/kWh)."""
    last_update: dt.datetime | None = None
    since: dt.datetime | None = None
    """When counting began."""

    def update(
        self,
        now: dt.datetime,
        registers: Mapping[int, Decimal | None],
        prices: Mapping[int, Decimal],
        standing_charge: Decimal | None,
    ) -> None:
        """Take the registers and tariff (tier -> money/kWh, money/day) at ``now``.

        ``now`` must be aware, in the time zone whose midnight ends a day.
        """
        if self.since is None:
            self.since = now
        known = {tier: value for tier, value in registers.items() if value is not None}
        if self.registers and set(registers) == set(self.registers):
            self.total += self._energy(known, {**prices, **self.prices})
            self.registers = {**self.registers, **known}
        else:
            self.registers = known  # the first reading or a new set of tiers
        self.prices = dict(prices)
        if standing_charge is not None:
            self.standing = standing_charge
        self._charge_days(now.date())
        self.last_update = now

    def _energy(
        self, registers: Mapping[int, Decimal], prices: Mapping[int, Decimal]
    ) -> Decimal:
        """Return the cost of what each tier used since the last update."""
        if any(value < self.registers[tier] for tier, value in registers.items()):
            return Decimal(0)  # a register went back (a meter exchange): a baseline
        cost = Decimal(0)
        for tier, value in registers.items():
            price = prices.get(tier)
            if price is not None:
                cost += (value - self.registers[tier]) * price
        return cost

    def _charge_days(self, today: dt.date) -> None:
        """Add the standing charge of each day up to today not yet charged."""
        if self.standing is None:
            return
        if self.charged_through is None:
            self.charged_through = today - dt.timedelta(days=1)
        while self.charged_through < today:
            self.charged_through += dt.timedelta(days=1)
            self.total += self.standing

    def as_dict(self) -> dict[str, Any]:
        """Return the state as JSON-safe data."""
        return {
            "total": str(self.total),
            "registers": {str(tier): str(v) for tier, v in self.registers.items()},
            "charged_through": (
                None
                if self.charged_through is None
                else self.charged_through.isoformat()
            ),
            "standing": None if self.standing is None else str(self.standing),
            "prices": {str(tier): str(v) for tier, v in self.prices.items()},
            "last_update": (
                None if self.last_update is None else self.last_update.isoformat()
            ),
            "since": None if self.since is None else self.since.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TotalCost | None:
        """Rebuild a total saved by :meth:`as_dict` (None when it is damaged)."""
        try:
            charged = data.get("charged_through")
            standing = data.get("standing")
            last = data.get("last_update")
            since = data.get("since")
            total = cls(
                total=Decimal(data["total"]),
                registers={
                    int(tier): Decimal(value)
                    for tier, value in (data.get("registers") or {}).items()
                },
                charged_through=None
                if charged is None
                else dt.date.fromisoformat(charged),
                standing=None if standing is None else Decimal(standing),
                prices={
                    int(tier): Decimal(value)
                    for tier, value in (data.get("prices") or {}).items()
                },
                last_update=None if last is None else dt.datetime.fromisoformat(last),
                since=None if since is None else dt.datetime.fromisoformat(since),
            )
        except KeyError, TypeError, ValueError, AttributeError, InvalidOperation:
            return None
        values = [total.total, *total.registers.values(), *total.prices.values()]
        if total.standing is not None:
            values.append(total.standing)
        if not all(value.is_finite() for value in values):
            return None
        return total


def hour_cost(
    kwh: Mapping[int, Decimal],
    prices: Mapping[int, Decimal],
    standing_charge: Decimal | None,
    *,
    first_of_day: bool,
) -> Decimal:
    """Return what one hour cost at the given prices.

    Each tier's kWh at its price, and the day's standing charge when the hour
    is the first of its day (as :class:`TotalCost` adds it).
    """
    cost = sum(
        (value * prices[tier] for tier, value in kwh.items() if tier in prices),
        Decimal(0),
    )
    if first_of_day and standing_charge is not None:
        cost += standing_charge
    return cost
