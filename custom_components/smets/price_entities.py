"""Unit prices from other entities: a dynamic tariff's rate sensor, the export rate.

The options may name an entity of another integration (an Agile rate sensor,
an ``input_number``) whose state is a price per kWh, in GBP/kWh or p/kWh by
its unit of measurement. A :class:`PriceEntity` follows that state and keeps
the last good price: a state that is unknown, unavailable, not a number or in
a unit it does not know is ignored (the last good price stays in force, and
until there is one the totals wait, so no kWh goes uncosted).

When the entity is removed from the entity registry (or renamed), or has no
state for :data:`ABSENT_GRACE` (its integration gone), a repair issue says so
and :attr:`PriceEntity.missing` makes the totals fall back (the meter's own
price; for the export rate, the number in the options). The issue is cleared
when the entity is back, or when the option is cleared (the entry reloads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import StrEnum
import logging
from typing import Final

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
)

from .const import (
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_EXPORT_RATE,
    CONF_EXPORT_RATE_ENTITY,
    CONF_GAS_PRICE_ENTITY,
    DOMAIN,
)
from .models import SmetsConfigEntry

_LOGGER = logging.getLogger(__name__)

ABSENT_GRACE: Final = dt.timedelta(minutes=5)
"""How long an entity may have no state (its integration starting) before it is missing."""

PENCE: Final = Decimal("0.01")

UNIT_FACTORS: Final[Mapping[str, Decimal]] = {
    "GBP": Decimal(1),
    "£": Decimal(1),
    "p": PENCE,
    "GBp": PENCE,
    "pence": PENCE,
}
"""What one unit of a price's money is in GBP (by the part before ``/kWh``)."""


class PriceKind(StrEnum):
    """What a price entity prices."""

    ELECTRICITY = "electricity"
    GAS = "gas"
    EXPORT = "export"


OPTION_OF: Final[Mapping[PriceKind, str]] = {
    PriceKind.ELECTRICITY: CONF_ELECTRICITY_PRICE_ENTITY,
    PriceKind.GAS: CONF_GAS_PRICE_ENTITY,
    PriceKind.EXPORT: CONF_EXPORT_RATE_ENTITY,
}

ISSUE_KEYS: Final[Mapping[PriceKind, str]] = {
    PriceKind.ELECTRICITY: "electricity_price_entity_missing",
    PriceKind.GAS: "gas_price_entity_missing",
    PriceKind.EXPORT: "export_rate_entity_missing",
}
"""The repair issue's translation key, by kind."""


def issue_id(entry_id: str, kind: PriceKind) -> str:
    """Return the id of the repair issue for ``kind``'s entity of an entry."""
    return f"{ISSUE_KEYS[kind]}_{entry_id}"


def unit_factor(unit: object) -> Decimal | None:
    """Return GBP per unit of a price per kWh (None: not a unit known here)."""
    if not isinstance(unit, str):
        return None
    money, slash, energy = unit.strip().partition("/")
    if not slash or energy.strip().casefold() != "kwh":
        return None
    return UNIT_FACTORS.get(money.strip())


def parse_price(state: State | None) -> Decimal | None:
    """Return a state's price in GBP/kWh, every digit kept (None: not a good price)."""
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    factor = unit_factor(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))
    if factor is None:
        return None
    try:
        value = Decimal(state.state)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value * factor


def fixed_export_rate(entry: SmetsConfigEntry) -> Decimal | None:
    """Return the options' export rate (p/kWh) in GBP/kWh, None when not set."""
    rate = entry.options.get(CONF_EXPORT_RATE)
    if rate is None or isinstance(rate, bool):
        return None
    try:
        value = Decimal(str(rate))
    except InvalidOperation:
        return None
    return value * PENCE if value.is_finite() else None


class PriceEntity:
    """The price another entity gives, with the repair issue when it is gone."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmetsConfigEntry,
        kind: PriceKind,
        entity_id: str,
    ) -> None:
        """Follow ``entity_id`` (call :meth:`async_start`)."""
        self.hass = hass
        self.entry = entry
        self.kind = kind
        self.entity_id = entity_id
        self.price: Decimal | None = None
        """The last good price (GBP/kWh), None before the first."""
        self.missing = False
        """The entity is gone: the fallback prices."""
        self._timer: CALLBACK_TYPE | None = None
        self._ignored: str | None = None

    @property
    def issue_id(self) -> str:
        """The id of this entity's repair issue."""
        return issue_id(self.entry.entry_id, self.kind)

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Take the state now and follow it; return what stops following."""
        stops = [
            async_track_state_change_event(
                self.hass, [self.entity_id], self._async_state_changed
            ),
            self.hass.bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED, self._async_registry_updated
            ),
        ]
        self._take(self.hass.states.get(self.entity_id))

        @callback
        def stop() -> None:
            for unsubscribe in stops:
                unsubscribe()
            self._cancel_timer()

        return stop

    @callback
    def _async_state_changed(self, event: Event[EventStateChangedData]) -> None:
        self._take(event.data["new_state"])

    @callback
    def _async_registry_updated(
        self, event: Event[er.EventEntityRegistryUpdatedData]
    ) -> None:
        data = event.data
        if data["action"] == "remove" and data["entity_id"] == self.entity_id:
            self._gone("removed")
        elif data["action"] == "update" and data.get("old_entity_id") == (
            self.entity_id
        ):
            self._gone("renamed")

    @callback
    def _take(self, state: State | None) -> None:
        """Take a new state of the entity (None: it has none)."""
        if state is None:
            if not self.missing and self._timer is None:
                self._timer = async_call_later(
                    self.hass, ABSENT_GRACE, self._async_absent
                )
            return
        self._cancel_timer()
        value = parse_price(state)
        if value is None:
            self._ignore(state)
            return
        self._ignored = None
        self.price = value
        if self.missing:
            self.missing = False
            _LOGGER.info("%s is back: its price is used again", self.entity_id)
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    def _ignore(self, state: State) -> None:
        """Keep the last good price; say why once per kind of bad state."""
        if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            return
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        why = (
            f"its unit {unit!r} is not GBP/kWh or p/kWh"
            if unit_factor(unit) is None
            else f"{state.state!r} is not a number"
        )
        if why != self._ignored:
            self._ignored = why
            _LOGGER.warning(
                "The price of %s is ignored (%s); the last good price stays in force",
                self.entity_id,
                why,
            )

    @callback
    def _async_absent(self, _now: dt.datetime) -> None:
        self._timer = None
        if self.hass.states.get(self.entity_id) is None:
            self._gone("absent")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    @callback
    def _gone(self, why: str) -> None:
        """Fall back, and raise the repair issue: the entity is gone."""
        self._cancel_timer()
        if not self.missing:
            _LOGGER.warning(
                "%s is gone (%s): the %s price falls back until it is back",
                self.entity_id,
                why,
                self.kind,
            )
        self.missing = True
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_KEYS[self.kind],
            translation_placeholders={
                "entity_id": self.entity_id,
                "entry": self.entry.title,
            },
        )


def entity_prices(
    source: PriceEntity | None,
    tiers: Iterable[int],
    prices: Mapping[int, Decimal],
) -> dict[int, Decimal] | None:
    """Return the unit prices in force: the entity's for every tier, or the meter's.

    The meter's (``prices``) when no entity is chosen or it is gone; None
    while the chosen entity has given no good price yet (the costs wait:
    nothing is lost). Total cost, Cost today and Cost this billing period all
    take their unit prices from here, so they agree.
    """
    if source is None or source.missing:
        return dict(prices)
    if source.price is None:
        return None
    return dict.fromkeys(tiers, source.price)


def price_entity(entry: SmetsConfigEntry, kind: PriceKind) -> PriceEntity | None:
    """Return the entity a loaded entry takes ``kind``'s price from, if any."""
    return entry.runtime_data.prices.get(kind)


@callback
def async_track_price_entities(
    hass: HomeAssistant, entry: SmetsConfigEntry
) -> dict[PriceKind, PriceEntity]:
    """Follow the price entities the options name; clear the issues of the others."""
    prices: dict[PriceKind, PriceEntity] = {}
    for kind, option in OPTION_OF.items():
        entity_id = entry.options.get(option)
        if not entity_id:
            ir.async_delete_issue(hass, DOMAIN, issue_id(entry.entry_id, kind))
            continue
        price = prices[kind] = PriceEntity(hass, entry, kind, str(entity_id))
        entry.async_on_unload(price.async_start())
    return prices


@callback
def async_delete_price_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Forget the repair issues of a removed entry."""
    for kind in PriceKind:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry_id, kind))
