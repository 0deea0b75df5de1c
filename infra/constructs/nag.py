"""Acknowledging cdk-nag findings: every acknowledgement names the rule, the finding and why.

cdk-nag 3 reports through CDK's validation plugins and is acknowledged with
``Validations.of(construct).acknowledge``; a finding with a detail (IAM wildcards) is acknowledged as
``AwsSolutions-IAM5[Resource::*]``, so one wildcard never hides another.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct | None, rule: str, reason: str, *findings: str) -> None:
    """Acknowledge AwsSolutions ``rule`` on ``scope`` and its children, once per finding if given.

    ``scope`` is the narrowest construct the finding is about (usually a ``node.default_child``), so
    an acknowledgement never covers resources it was not written for.
    """
    if not reason.strip():
        raise ValueError(f"an acknowledgement of {rule} needs a reason")
    if scope is None:
        raise ValueError(f"{rule}: there is no construct to acknowledge it on")
    ids = [f"AwsSolutions-{rule}[{finding}]" for finding in findings] or [f"AwsSolutions-{rule}"]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in ids))


def printed_pseudo(stack: Stack) -> tuple[str, str, str]:
    """The stack's partition, region and account as cdk-nag prints them in a finding (``Resource::arn:...``):
    literal values as they are, unresolved tokens as ``<AWS::Partition>``, ``<AWS::Region>``, ``<AWS::AccountId>``."""
    return tuple(  # type: ignore[return-value]
        f"<{pseudo}>" if Token.is_unresolved(value) else value
        for value, pseudo in (
            (stack.partition, "AWS::Partition"),
            (stack.region, "AWS::Region"),
            (stack.account, "AWS::AccountId"),
        )
    )
