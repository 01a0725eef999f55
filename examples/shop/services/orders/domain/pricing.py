"""Order pricing: subtotal, shipping and the card surcharge shown at checkout."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from common.models.api import OrderLineRequest
from services.payments.domain.fees import card_fee

from ..schemas import PricedOrder

CENT = Decimal("0.01")
FREE_SHIPPING_FROM = {"EUR": Decimal("50"), "GBP": Decimal("45"), "USD": Decimal("60")}
FLAT_SHIPPING = {"EUR": Decimal("4.90"), "GBP": Decimal("3.99"), "USD": Decimal("5.99")}


def subtotal(lines: Iterable[OrderLineRequest]) -> Decimal:
    return sum((line.unit_price * line.quantity for line in lines), Decimal("0")).quantize(CENT)


def shipping(amount: Decimal, currency: str) -> Decimal:
    if amount >= FREE_SHIPPING_FROM.get(currency, Decimal("Infinity")):
        return Decimal("0.00")
    return FLAT_SHIPPING.get(currency, Decimal("9.99"))


def price_order(lines: list[OrderLineRequest], currency: str) -> PricedOrder:
    """Price a cart. The total excludes the card surcharge, which payments adds."""
    items = subtotal(lines)
    ship = shipping(items, currency)
    total = (items + ship).quantize(CENT, rounding=ROUND_HALF_UP)
    return PricedOrder(
        subtotal=items,
        shipping=ship,
        total=total,
        card_surcharge=card_fee(total, currency),
        currency=currency,
    )
