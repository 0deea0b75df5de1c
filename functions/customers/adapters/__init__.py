"""The customers context's adapters: its DynamoDB table (``dynamo``)."""
