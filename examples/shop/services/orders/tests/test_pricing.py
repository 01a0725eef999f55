from decimal import Decimal

from common.models.api import OrderLineRequest
from services.orders.domain.pricing import price_order, shipping
from services.payments.domain.fees import card_fee


def _line(sku: str, quantity: int, price: str) -> OrderLineRequest:
    return OrderLineRequest(sku=sku, quantity=quantity, unit_price=Decimal(price))


def test_small_order_pays_flat_shipping() -> None:
    priced = price_order([_line("MUG-01", 2, "8.50")], "EUR")
    assert priced.subtotal == Decimal("17.00")
    assert priced.shipping == Decimal("4.90")
    assert priced.total == Decimal("21.90")


def test_free_shipping_threshold() -> None:
    assert shipping(Decimal("50.00"), "EUR") == Decimal("0.00")
    assert shipping(Decimal("49.99"), "EUR") == Decimal("4.90")


def test_surcharge_matches_payments_fee_schedule() -> None:
    priced = price_order([_line("KETTLE-2", 1, "64.00")], "GBP")
    assert priced.card_surcharge == card_fee(priced.total, "GBP")
    assert priced.total_with_surcharge == priced.total + priced.card_surcharge
