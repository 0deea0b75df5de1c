"""The stacks of one stage. Stacks only assemble constructs from ``infra/constructs``."""
