"""Customers: who the customer is (profile, address book, consents), their B2B price group, their
segments, GDPR export and erasure, and the agent's view of them."""
