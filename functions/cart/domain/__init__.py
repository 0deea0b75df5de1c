"""Cart domain: guest and customer carts, their lines and limits, merging on sign-in, and the SKU facts
(a read model fed by the catalog's events) a line is validated against. Start at ``cart.domain.service``.
"""
