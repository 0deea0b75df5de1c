"""The search domain: the ``SearchIndex`` port, its models and the engine-independent text rules."""
