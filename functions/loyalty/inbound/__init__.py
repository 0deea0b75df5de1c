"""Contracts of events loyalty consumes that no context publishes yet; defined here, their schemas in the
registry, so the publishers (orders' delivery tracking, returns) have a contract to meet."""
