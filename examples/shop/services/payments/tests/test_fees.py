from decimal import Decimal

import pytest

from services.payments.domain.fees import UnsupportedCurrency, card_fee, format_amount, with_card_fee


def test_card_fee_eur() -> None:
    assert card_fee(Decimal("100.00"), "EUR") == Decimal("1.65")


def test_with_card_fee_rounds_to_cents() -> None:
    assert with_card_fee(Decimal("9.99"), "USD") == Decimal("10.58")


def test_unknown_currency_is_rejected() -> None:
    with pytest.raises(UnsupportedCurrency):
        card_fee(Decimal("1"), "XTS")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [(Decimal("12.5"), "EUR", "€12.50"), (Decimal("1234"), "GBP", "£1,234.00"), (Decimal("3"), "CHF", "3.00 CHF")],
)
def test_format_amount(amount: Decimal, currency: str, expected: str) -> None:
    assert format_amount(amount, currency) == expected
