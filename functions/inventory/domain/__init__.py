"""Inventory domain: locations, stock levels, reservation planning and pickup availability.

Pure Python: no AWS SDK, no environment. ``reservations`` also holds the wire form of reservation
writes (``TransactWriteItems`` entries), so checkout can ship this package and put
the stock decrement in the same transaction as its order item.
"""
