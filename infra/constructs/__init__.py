"""One construct per concern, each built from the specs in ``infra/resources.py``; stacks only assemble them."""
