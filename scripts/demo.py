"""Make the development Home Assistant a ready demo (scripts/develop runs this).

Against a Home Assistant on 127.0.0.1:8123 it: finishes onboarding with a local
demo user, sets the home to the UK (GBP, Europe/London), adds the simulated
meter (SMETS2 electricity with Pay-As-You-Go and solar export, and gas) through
the integration's own config flow, and sets up the Energy dashboard with grid
import/export, grid power, gas, the gas flow rate and the meters' Total cost
statistics. Each
step is skipped when it was already done, so a second start reuses everything.

Run: scripts/run python scripts/demo.py [--url http://127.0.0.1:8123]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

USERNAME = "demo"
# A local demo account on 127.0.0.1 only, printed to the user.
PASSWORD = "smets-demo"
CLIENT_ID = "http://127.0.0.1:8123/"

SIMULATOR = {
    "profile": "smets2",
    "seed": 1,
    "tiers": "2",
    "prepayment": True,
    "gas_flow": True,
    "solar": True,
}


class Demo:
    """A small Home Assistant REST and websocket client."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url.rstrip("/")
        self.token = ""
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def wait_until_up(self) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 300
        while True:
            try:
                async with self.session.get(f"{self.url}/api/onboarding") as resp:
                    if resp.status == 200:
                        return list(await resp.json())
                    if resp.status == 404:  # onboarding was finished earlier
                        return [
                            {"step": step, "done": True}
                            for step in (
                                "user",
                                "core_config",
                                "analytics",
                                "integration",
                            )
                        ]
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                sys.exit("Home Assistant did not come up on " + self.url)
            await asyncio.sleep(1)

    async def _token(self, code: str) -> None:
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
            },
        ) as resp:
            resp.raise_for_status()
            self.token = (await resp.json())["access_token"]

    async def create_user(self) -> None:
        async with self.session.post(
            f"{self.url}/api/onboarding/users",
            json={
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "client_id": CLIENT_ID,
                "language": "en-GB",
            },
        ) as resp:
            resp.raise_for_status()
            await self._token((await resp.json())["auth_code"])

    async def login(self) -> None:
        async with self.session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": CLIENT_ID,
                "handler": ["homeassistant", None],
                "redirect_uri": CLIENT_ID,
            },
        ) as resp:
            resp.raise_for_status()
            flow = await resp.json()
        async with self.session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={"username": USERNAME, "password": PASSWORD, "client_id": CLIENT_ID},
        ) as resp:
            resp.raise_for_status()
            result = await resp.json()
        if result.get("type") != "create_entry":
            sys.exit("could not log in as the demo user (was it changed? try --fresh)")
        await self._token(result["result"])

    async def post(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        async with self.session.post(
            f"{self.url}{path}",
            json=payload or {},
            headers={"Authorization": f"Bearer {self.token}"},
        ) as resp:
            if resp.status >= 400:
                sys.exit(f"POST {path} failed: {resp.status} {await resp.text()}")
            return await resp.json()

    async def delete(self, path: str) -> Any:
        async with self.session.delete(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        ) as resp:
            if resp.status >= 400:
                sys.exit(f"DELETE {path} failed: {resp.status} {await resp.text()}")
            return await resp.json()

    async def get(self, path: str) -> Any:
        async with self.session.get(
            f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"}
        ) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def ws(
        self,
        message: dict[str, Any],
        *,
        missing_ok: bool = False,
        invalid_ok: bool = False,
        unknown_ok: bool = False,
    ) -> Any:
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.url}/api/websocket")
            await self._ws.receive_json()
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            reply = await self._ws.receive_json()
            if reply.get("type") != "auth_ok":
                sys.exit(f"websocket authentication failed: {reply}")
        self._id += 1
        await self._ws.send_json({"id": self._id, **message})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == self._id and reply.get("type") == "result":
                if not reply.get("success"):
                    if (
                        missing_ok
                        and (reply.get("error") or {}).get("code") == "not_found"
                    ):
                        return None
                    if (
                        unknown_ok
                        and (reply.get("error") or {}).get("code") == "unknown_command"
                    ):
                        return None
                    sys.exit(f"{message['type']} failed: {reply.get('error')}")
                return reply.get("result")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


async def onboard(demo: Demo) -> None:
    steps = {step["step"]: step["done"] for step in await demo.wait_until_up()}
    if not steps.get("user"):
        await demo.create_user()
        print("onboarding: created the demo user")
    else:
        await demo.login()
    if not steps.get("core_config"):
        await demo.post("/api/onboarding/core_config")
    await demo.ws(
        {
            "type": "config/core/update",
            "currency": "GBP",
            "country": "GB",
            "time_zone": "Europe/London",
            "unit_system": "metric",
            "latitude": 51.5072,
            "longitude": -0.1276,
            "location_name": "Demo home",
        }
    )
    if not steps.get("analytics"):
        await demo.post("/api/onboarding/analytics")
    if not steps.get("integration"):
        await demo.post(
            "/api/onboarding/integration",
            {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID},
        )
    # Onboarding adds a weather forecast that needs the internet; the demo
    # is local, so it goes (its errors would only fill the log).
    for entry in await demo.ws({"type": "config_entries/get", "domain": "met"}) or []:
        await demo.delete(f"/api/config/config_entries/entry/{entry['entry_id']}")


async def confirm_http_config(demo: Demo) -> None:
    """Keep configuration.yaml's http: settings (127.0.0.1 only) for good.

    Home Assistant 2026.10 and later move them into its storage as a trial that
    must be confirmed within five minutes; unconfirmed, Home Assistant restarts
    (here: stops) and afterwards listens on every interface. Older releases
    have no such trial (nor the command).
    """
    config = await demo.ws({"type": "http/config"}, unknown_ok=True)
    pending = (config or {}).get("pending")
    if not pending:
        return
    if pending.get("error"):
        print(
            "http: the 127.0.0.1-only settings were not confirmed in time earlier"
            " and Home Assistant went back to its defaults; start with --fresh"
        )
        return
    await demo.ws({"type": "http/config/promote"})
    print("http: confirmed the 127.0.0.1-only settings")


async def add_simulator(demo: Demo) -> None:
    entries = await demo.ws({"type": "config_entries/get", "domain": "smets"})
    if entries:
        print(f"smets: {len(entries)} entry(ies) already set up")
        return
    flow = await demo.post("/api/config/config_entries/flow", {"handler": "smets"})
    flow = await demo.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"next_step_id": "simulator"},
    )
    result = await demo.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}", SIMULATOR
    )
    if result.get("type") != "create_entry":
        sys.exit(f"adding the simulated meter failed: {json.dumps(result)}")
    print(f"smets: added {result['title']}")


async def entity_by_unique_suffix(demo: Demo, suffix: str) -> str | None:
    for _ in range(60):
        registry = await demo.ws({"type": "config/entity_registry/list"})
        for entry in registry:
            if entry.get("platform") == "smets" and str(
                entry.get("unique_id", "")
            ).endswith(suffix):
                return str(entry["entity_id"])
        await asyncio.sleep(1)
    return None


async def set_up_energy(demo: Demo) -> None:
    prefs = await demo.ws({"type": "energy/get_prefs"}, missing_ok=True)
    if prefs and prefs.get("energy_sources"):
        print("energy: dashboard already set up")
        return
    grid_import = await entity_by_unique_suffix(demo, "_esme_import_energy")
    grid_export = await entity_by_unique_suffix(demo, "_esme_export_energy")
    gas = await entity_by_unique_suffix(demo, "_gpf_energy")
    gas_cost = await entity_by_unique_suffix(demo, "_gpf_total_cost")
    cost = await entity_by_unique_suffix(demo, "_esme_total_cost")
    power = await entity_by_unique_suffix(demo, "_esme_demand")
    gas_flow = await entity_by_unique_suffix(demo, "_gpf_flow_rate")
    entities = (grid_import, grid_export, cost, power, gas, gas_cost, gas_flow)
    if not all(entities):
        sys.exit("energy: the meter's entities did not appear")
    # The costs are the meters' Total cost statistics (standing charges in,
    # the imported history priced too); the grid power is the signed demand,
    # the gas flow rate the gas proxy's (the demo's simulator publishes one).
    gas_source = {
        "type": "gas",
        "stat_energy_from": gas,
        "stat_rate": gas_flow,
        "stat_cost": gas_cost,
        "entity_energy_price": None,
        "number_energy_price": None,
    }
    # Home Assistant 2026.8 and later keep one grid source per import/export
    # pair; older releases have flow_from / flow_to lists.
    unified = {
        "type": "grid",
        "stat_energy_from": grid_import,
        "stat_energy_to": grid_export,
        "stat_cost": cost,
        "entity_energy_price": None,
        "number_energy_price": None,
        "stat_compensation": None,
        "entity_energy_price_export": None,
        "number_energy_price_export": 0.15,
        "stat_rate": power,
        "cost_adjustment_day": 0,
    }
    legacy = {
        "type": "grid",
        "flow_from": [
            {
                "stat_energy_from": grid_import,
                "stat_cost": cost,
                "entity_energy_price": None,
                "number_energy_price": None,
            }
        ],
        "flow_to": [
            {
                "stat_energy_to": grid_export,
                "stat_compensation": None,
                "entity_energy_price": None,
                "number_energy_price": 0.15,
            }
        ],
        "power": [{"stat_rate": power}],
        "cost_adjustment_day": 0,
    }
    saved = await demo.ws(
        {"type": "energy/save_prefs", "energy_sources": [unified, gas_source]},
        invalid_ok=True,
    )
    if saved is None:
        await demo.ws(
            {"type": "energy/save_prefs", "energy_sources": [legacy, gas_source]}
        )
    print(
        "energy: dashboard set up"
        " (grid import/export and power, gas and its flow rate, total costs)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    args = parser.parse_args()
    async with aiohttp.ClientSession() as session:
        demo = Demo(session, args.url)
        try:
            await onboard(demo)
            await confirm_http_config(demo)
            await add_simulator(demo)
            await set_up_energy(demo)
        finally:
            await demo.close()
    print(
        f"\nDemo ready on {args.url}  -  user: {USERNAME}  password: {PASSWORD}\n"
        "(a local account on 127.0.0.1 only)"
    )


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    asyncio.run(main())
