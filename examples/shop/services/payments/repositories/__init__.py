from .payment_repository import PaymentRepository

__all__ = ["PaymentRepository"]
