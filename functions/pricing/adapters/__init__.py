"""Pricing's storage: the promotions table's item layout (``records``). Pricing has no function of its own;
its table is written by the merchandising tools and, through ``pricing.contract``, by checkout."""
