"""The Secrets Manager secrets in ``SECRETS``, each created with a generated value.

Secrets marked ``external`` (Stripe's API key and webhook signing secret) start with a generated
placeholder; an operator puts the real value after the first deployment
(``aws secretsmanager put-secret-value``), and the functions read it on first use.

CloudFormation names them (so a deleted dev stack does not block its successor during the secret's
recovery window); functions receive the ARN through ``<NAME>_SECRET_NAME``.
"""

from __future__ import annotations

from aws_cdk import Tags
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.resources import SECRETS, SecretSpec
from infra.stages import StageConfig

GENERATED_LENGTH = 64
SPEC_TAG = "shop:secret"  # ties a CloudFormation-named secret back to its spec


class ShopSecrets(Construct):
    """``secrets[spec.name]`` is the CDK secret."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.secrets: dict[str, secretsmanager.Secret] = {
            spec.name: self._secret(spec, stage) for spec in SECRETS
        }

    def _secret(self, spec: SecretSpec, stage: StageConfig) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "".join(part.title() for part in spec.name.split("-")),
            description=spec.description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=GENERATED_LENGTH, exclude_punctuation=True
            ),
            removal_policy=stage.removal_policy,
        )
        Tags.of(secret).add(SPEC_TAG, spec.name)
        acknowledge(secret.node.default_child, "SMG4", _why_not_rotated(spec))
        return secret


def _why_not_rotated(spec: SecretSpec) -> str:
    if spec.external:
        return (
            f"{spec.name} is issued by another system (Stripe): it is rolled in that system's dashboard and "
            "the new value is put here by an operator; a Secrets Manager rotation Lambda cannot create it. "
            "The generated value is a placeholder until the first real value is set."
        )
    return (
        f"{spec.name} is an application key (e.g. the HMAC key that signs pagination cursors), not a "
        "credential of another system: there is no service to rotate it against, and rotating it "
        "invalidates every outstanding value it signed. It is rotated deliberately by re-deploying."
    )
