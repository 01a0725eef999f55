from .order_repository import OrderRepository

__all__ = ["OrderRepository"]
