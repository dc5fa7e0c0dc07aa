"""A PublishPrice is only the price while its period lasts."""

from custom_components.smets.han.link import HanLink
from custom_components.smets.han.simulator import HanSimulator


async def test_an_ended_price_gives_way_to_the_tier_prices(
    sim: HanSimulator, link: HanLink
) -> None:
    esme = link.esme
    event = await esme.get_current_price()
    assert event is not None
    assert event.end_time is not None
    assert esme.current_price_event() is event
    during = await esme.poll_price()
    assert during.current_price == event.price

    # Past the end of that price, the meter's own tier prices decide.
    await sim.advance(int(event.end_time.timestamp()) - sim.clock.time() + 60)
    await esme.poll()
    assert esme.current_price_event() is None
    after = await esme.poll_price()
    assert after.current_tier == esme.active_tier
    assert after.current_price == dict(after.tier_prices)[after.current_tier]
    assert after.current_price != event.price
