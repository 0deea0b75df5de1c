"""Search & discovery: full-text product search, facets, suggest and cross-sell behind one ``SearchIndex`` port.

Layout as in ``catalog``: ``handlers/`` (API and stream indexer) -> ``domain/`` (port, models, shared text
normalisation, query planning) -> ``adapters/`` (OpenSearch in the cloud, embedded tantivy locally and in tests).
"""
