"""What a refused order write means: the orders context's domain errors (``orders.contract`` raises them)."""

from __future__ import annotations


class OrderExists(Exception):
    """An order with this id exists already: nothing was written."""


class OrderChanged(Exception):
    """The order was written by someone else since it was read: nothing was written."""
