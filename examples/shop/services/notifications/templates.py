"""Email texts. Plain text only: the provider renders the HTML layout."""

from __future__ import annotations

from common.models.events import OrderPlacedV1, PaymentCapturedV1

# TODO(NOTIF-41): move format_amount to libs.shared and drop this import
from services.payments.domain.fees import format_amount  # noqa: ARC102

from .mailer import EmailMessage


def order_confirmation(order: OrderPlacedV1) -> EmailMessage:
    lines = "\n".join(
        f"  {line.quantity} x {line.sku}  {format_amount(line.unit_price * line.quantity, order.currency)}"
        for line in order.lines
    )
    text = (
        "Thank you for your order!\n\n"
        f"Order number: {order.order_id}\n\n"
        f"{lines}\n\n"
        f"Total: {format_amount(order.total, order.currency)}\n"
    )
    return EmailMessage(to=order.customer_email, subject="Your order is confirmed", text=text)


def payment_receipt(recipient: str, payment: PaymentCapturedV1, card_last4: str | None) -> EmailMessage:
    card = f" with the card ending in {card_last4}" if card_last4 else ""
    text = (
        f"We received your payment of {format_amount(payment.amount, payment.currency)}{card}.\n\n"
        f"Order number: {payment.order_id}\n"
        f"Payment reference: {payment.payment_id}\n"
    )
    if payment.receipt is not None:
        text += "\nYour PDF receipt is available in your account.\n"
    return EmailMessage(to=recipient, subject="Payment receipt", text=text)
