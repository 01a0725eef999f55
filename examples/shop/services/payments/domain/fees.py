"""Card fee schedule and money formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# percentage + fixed fee per currency, as negotiated with the gateway
CARD_FEES: dict[str, tuple[Decimal, Decimal]] = {
    "EUR": (Decimal("0.014"), Decimal("0.25")),
    "GBP": (Decimal("0.015"), Decimal("0.20")),
    "USD": (Decimal("0.029"), Decimal("0.30")),
}

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


class UnsupportedCurrency(ValueError):
    pass


def card_fee(amount: Decimal, currency: str) -> Decimal:
    """The fee the customer pays on top of ``amount`` for paying by card."""
    try:
        rate, fixed = CARD_FEES[currency]
    except KeyError:
        raise UnsupportedCurrency(currency) from None
    return (amount * rate + fixed).quantize(CENT, rounding=ROUND_HALF_UP)


def with_card_fee(amount: Decimal, currency: str) -> Decimal:
    return (amount + card_fee(amount, currency)).quantize(CENT, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal, currency: str) -> str:
    """``Decimal("12.5"), "EUR"`` -> ``"€12.50"``."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    value = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{symbol}{value:,}" if symbol else f"{value:,} {currency}"
