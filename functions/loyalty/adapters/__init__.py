"""Loyalty's DynamoDB layout (``records``) and its store (``dynamo``)."""
