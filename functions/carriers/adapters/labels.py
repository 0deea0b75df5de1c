"""Shipping labels in S3: ``labels/<shipment id>.<format>`` in the shipping-labels bucket.

One object per shipment, written once at booking (a retried booking writes the same key again, never a
second label). The bucket is private, encrypted and TLS-only; the warehouse prints through the shop's API
or a presigned URL, never a public object.
"""

from __future__ import annotations

from typing import Any

CONTENT_TYPES = {"pdf": "application/pdf", "zpl": "application/zpl", "png": "image/png"}


def label_key(shipment_id: str, label_format: str) -> str:
    return f"labels/{shipment_id}.{label_format}"


class S3LabelStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, shipment_id: str, label: bytes, label_format: str) -> str:
        key = label_key(shipment_id, label_format)
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=label,
            ContentType=CONTENT_TYPES.get(label_format, "application/octet-stream"),
            Metadata={"shipment-id": shipment_id},
        )
        return key

    def get(self, key: str) -> bytes:
        return bytes(self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read())
