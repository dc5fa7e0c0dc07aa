"""What a household sees, in a real browser: the demo Home Assistant, end to end.

Chromium logs in through Home Assistant's login page, adds a second meter
through the integration's config flow as a user would (the simulated SMETS1
meter), opens its device page, and opens the Energy dashboard on yesterday,
which the history import filled. The screenshots it takes are the README's:
they are saved under artifacts/browser/screenshots/, and scripts/screenshots
copies them to docs/images/.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from typing import Any
from zoneinfo import ZoneInfo

from conftest import PASSWORD, REPO, SCREENSHOTS, USERNAME, VIEWPORT, DemoHass
from playwright.sync_api import Page, expect
import pytest

SEED = 42
SMETS1_TITLE = f"Simulated SMETS1 meter (seed {SEED})"
DEMO_TITLE = "Simulated SMETS2 meter (seed 1)"  # what scripts/demo.py adds
# Only these may be "unknown": no event has fired, no message was sent,
# the button was never pressed.
UNKNOWN_UNTIL_SOMETHING_HAPPENS = ("_alert", "_supplier_message", "_emergency_credit")

# The history import waits for the recorder's 5-minute compiles.
HISTORY_TIMEOUT_MS = 15 * 60_000

pytestmark = pytest.mark.timeout(20 * 60)

HASS = "document.querySelector('home-assistant').hass"


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot for the README (artifacts/browser/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:
        # Stretch the window to the content, so the sidebar reaches the bottom.
        height = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": VIEWPORT["width"], "height": int(height)})
    page.screenshot(path=path, animations="disabled")
    if full_page:
        page.set_viewport_size(VIEWPORT)  # type: ignore[arg-type]
    print(f"screenshot: {path.relative_to(REPO)}")


def open_page(page: Page, url: str) -> None:
    """Load a page of the frontend; return once its launch screen is gone."""
    page.goto(url)
    page.locator("#ha-launch-screen").wait_for(state="detached")


def log_in(page: Page, hass: DemoHass) -> None:
    """Log in through Home Assistant's login page; wait until it has started."""
    page.goto(hass.url)
    page.wait_for_url(re.compile(r"/auth/authorize"))
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/auth/" not in url)
    page.wait_for_function(f"() => {HASS}?.config?.state === 'RUNNING'")
    page.locator("#ha-launch-screen").wait_for(state="detached")


def call_ws(page: Page, message: dict[str, Any]) -> Any:
    """Send a websocket command over the frontend's own connection."""
    return page.evaluate(f"(message) => {HASS}.callWS(message)", message)


def test_add_a_smets1_meter_through_the_config_flow(
    page: Page, demo_hass: DemoHass
) -> None:
    log_in(page, demo_hass)

    # Settings > Devices & services > Add integration > SMETS HAN
    open_page(page, f"{demo_hass.url}/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    page.get_by_placeholder("Search for a brand name").fill("SMETS")
    page.locator("dialog-add-integration").get_by_text("SMETS HAN", exact=True).click()

    # The first menu: a radio or the simulator.
    simulator = page.get_by_text("The built-in simulated meter (no hardware)")
    expect(simulator).to_be_visible()
    expect(page.get_by_text("A Zigbee radio paired with my meter")).to_be_visible()
    shot(page, "setup-menu")
    simulator.click()

    # The simulator's form, filled for a SMETS1 meter with a seed of its own.
    expect(page.get_by_text("Meter generation")).to_be_visible()
    page.get_by_role("radio", name="SMETS1").check()
    page.get_by_role("spinbutton").fill(str(SEED))
    expect(page.get_by_role("radio", name="SMETS1")).to_be_checked()
    shot(page, "setup-simulator")
    page.get_by_role("button", name="Submit").click()

    # Created: the dialog offers to name the devices and pick areas.
    finish = page.get_by_role("button", name=re.compile("finish", re.IGNORECASE))
    expect(finish).to_be_visible()
    expect(page.get_by_text("E470", exact=True)).to_be_visible()
    finish.click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    entries = call_ws(page, {"type": "config_entries/get", "domain": "smets"})
    entry = next(entry for entry in entries if entry["title"] == SMETS1_TITLE)
    assert entry["state"] == "loaded"
    devices = call_ws(page, {"type": "config/device_registry/list"})
    meter = next(
        device
        for device in devices
        if entry["entry_id"] in device["config_entries"]
        and device["name"] == "Electricity meter"
    )

    # Its device page: the entities show values, among them the DCC migration.
    open_page(page, f"{demo_hass.url}/config/devices/device/{meter['id']}")
    expect(page.get_by_text("DCC migration")).to_be_visible()
    expect(page.get_by_text("SMETS1, eligible for DCC adoption")).to_be_visible()
    expect(page.get_by_text("E470", exact=True)).to_be_visible()
    registry = call_ws(page, {"type": "config/entity_registry/list"})
    entities = [
        item
        for item in registry
        if item["device_id"] == meter["id"] and not item["disabled_by"]
    ]
    states = page.evaluate(
        f"(ids) => Object.fromEntries(ids.map((id) => [id, {HASS}.states[id]?.state]))",
        [item["entity_id"] for item in entities],
    )
    assert len(entities) >= 20, states
    for item in entities:
        state = states[item["entity_id"]]
        assert state not in (None, "unavailable"), (item["entity_id"], state)
        if state == "unknown":
            assert item["unique_id"].endswith(UNKNOWN_UNTIL_SOMETHING_HAPPENS), (
                item["entity_id"],
                state,
            )
    migration = next(
        item for item in entities if item["unique_id"].endswith("_migration_status")
    )
    assert states[migration["entity_id"]] == "smets1_eligible"
    for key in ("_import_energy", "_export_energy", "_unit_price"):
        item = next(item for item in entities if item["unique_id"].endswith(key))
        assert float(states[item["entity_id"]]) > 0, item["entity_id"]
    demand = next(item for item in entities if item["unique_id"].endswith("_demand"))
    float(states[demand["entity_id"]])  # a number of watts (negative: exporting)
    shot(page, "device-smets1", full_page=True)

    # The integration's page lists both meters.
    open_page(page, f"{demo_hass.url}/config/integrations/integration/smets")
    expect(page.get_by_text(SMETS1_TITLE)).to_be_visible()
    expect(page.get_by_text(DEMO_TITLE)).to_be_visible()
    shot(page, "integration-entries")


def test_energy_dashboard_shows_yesterday(page: Page, demo_hass: DemoHass) -> None:
    log_in(page, demo_hass)
    prefs = call_ws(page, {"type": "energy/get_prefs"})
    sources = {source["type"]: source for source in prefs["energy_sources"]}
    grid = sources["grid"]
    grid_import = (
        grid.get("stat_energy_from") or grid["flow_from"][0]["stat_energy_from"]
    )
    gas = sources["gas"]["stat_energy_from"]
    cost = grid.get("stat_cost") or grid["flow_from"][0]["stat_cost"]
    assert cost, grid

    # The demo meter's history import fills the past days in the background
    # (once the recorder has compiled its first 5 minutes): wait until
    # yesterday has electricity, gas and their cost in the statistics.
    filled = page.evaluate(
        f"""async ([ids, timeout]) => {{
            const today = new Date();
            today.setHours(0, 0, 0, 0);
            const yesterday = new Date(today);
            yesterday.setDate(today.getDate() - 1);
            const deadline = Date.now() + timeout;
            let stats = {{}};
            while (Date.now() < deadline) {{
                stats = await {HASS}.callWS({{
                    type: "recorder/statistics_during_period",
                    start_time: yesterday.toISOString(),
                    end_time: today.toISOString(),
                    statistic_ids: ids,
                    period: "day",
                    types: ["change"],
                }});
                if (ids.every((id) => (stats[id] || []).some((row) => row.change > 0))) {{
                    return true;
                }}
                await new Promise((resolve) => setTimeout(resolve, 2000));
            }}
            return stats;
        }}""",
        [[grid_import, gas, cost], HISTORY_TIMEOUT_MS],
    )
    assert filled is True, f"yesterday has no statistics: {filled}"

    open_page(page, f"{demo_hass.url}/energy")
    totals = page.locator("hui-energy-sources-table-card")
    expect(totals.get_by_text("Grid total")).to_be_visible()
    period = page.locator("hui-energy-period-selector")
    expect(period).to_be_visible()
    today = period.inner_text()
    period.get_by_role("button", name=re.compile("previous", re.IGNORECASE)).click()
    expect(period).not_to_have_text(today)

    # Yesterday: non-zero totals for the grid and gas, and the usage chart.
    grid_total = totals.locator("tr", has_text="Grid total").locator("td").nth(1)
    gas_total = totals.locator("tr", has_text="Gas total").locator("td").nth(1)
    expect(grid_total).to_have_text(re.compile(r"[1-9]"))
    expect(gas_total).to_have_text(re.compile(r"[1-9]"))
    expect(page.get_by_text(re.compile("There is no data"))).to_have_count(0)

    # Yesterday's cost in pounds: the Total cost statistic the dashboard shows
    # equals the simulator's own tariff for that day, to the penny.
    day = yesterday_london()
    start = dt.datetime.combine(day, dt.time(), tzinfo=LONDON)
    end = start + dt.timedelta(days=1)
    rows = call_ws(
        page,
        {
            "type": "recorder/statistics_during_period",
            "start_time": start.isoformat(),
            "end_time": end.isoformat(),
            "statistic_ids": [cost],
            "period": "day",
            "types": ["change"],
        },
    )[cost]
    assert abs(rows[0]["change"] - simulated_day_cost(start, end)) < 0.01, rows
    expect(totals.get_by_text(re.compile("£"))).not_to_have_count(0)
    shot(page, "energy-dashboard")


LONDON = ZoneInfo("Europe/London")


def yesterday_london() -> dt.date:
    """Yesterday in the demo's time zone."""
    return dt.datetime.now(LONDON).date() - dt.timedelta(days=1)


def simulated_day_cost(start: dt.datetime, end: dt.datetime) -> float:
    """What the demo meter's tariff charges for ``[start, end)``: each half-hour's
    import at its tier's price, and the standing charge (the simulator's own
    model, loaded from its file: the browser test has no Home Assistant)."""
    path = REPO / "custom_components/smets/han/simulator/meters.py"
    spec = importlib.util.spec_from_file_location("smets_sim_meters", path)
    assert spec is not None
    assert spec.loader is not None
    meters = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = meters
    spec.loader.exec_module(meters)
    tariff = meters.Tariff(tiers=2)
    meter = meters.ElectricityMeter(1, int(end.timestamp()), tariff, solar=True)
    half_hour = meters.HALF_HOUR
    pounds = meters.MONEY_UNITS_PER_POUND
    cost = tariff.standing_charge / pounds
    for when in range(int(start.timestamp()), int(end.timestamp()), half_hour):
        price = tariff.price(tariff.tier_at(when))
        cost += meter.import_wh(when // half_hour) / 1000 * price / pounds
    return cost
