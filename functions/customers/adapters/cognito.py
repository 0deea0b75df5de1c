"""The shoppers' user pool, as far as the customers context acts on it: adding a user to a group.

The function is granted ``cognito-idp:AdminAddUserToGroup`` on the shoppers' pool alone (its spec's
``adds_to_shopper_groups``); the pool it acts on is the one whose trigger invoked it.
"""

from __future__ import annotations

from typing import Any


class CognitoGroups:
    def __init__(self, client: Any) -> None:
        self._client = client

    def add(self, user_pool_id: str, username: str, group: str) -> None:
        """Idempotent: adding a member again succeeds (a retried trigger changes nothing)."""
        self._client.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group)
