"""The Lambda layers, built locally: the shared kernel layer (``shop_kernel`` plus its runtime dependencies)
and the package layers only some functions carry (``layers/<name>/requirements.txt``, ``PACKAGE_LAYERS``).

There is no Docker here, so the layer is bundled on the host: pip downloads the wheels for the Lambda
platform (manylinux2014 aarch64, CPython 3.13, binary only, no compilation) into ``python/`` and the
kernel package is copied beside them. The installed dependencies are cached under
``.local/cdk/kernel-layer/<digest>`` keyed by ``requirements.txt`` and the target platform, so only a
change of pins downloads again. boto3/botocore are not bundled: the Lambda runtime provides them.

A package layer (``PackageLayer``) is the same install of its own pins, cached under
``.local/cdk/<name>-layer``, without the kernel package: a function lists it by name in
``FunctionSpec.layers`` and carries it on top of the kernel layer. The search SDK and the Stripe SDK live
in such layers so that the functions that never call OpenSearch or Stripe do not carry them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import cast

import jsii
from aws_cdk import BundlingOptions, ILocalBundling, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.stages import REPO_ROOT

LAYER_SOURCE = REPO_ROOT / "layers" / "kernel"
REQUIREMENTS = LAYER_SOURCE / "requirements.txt"
KERNEL_PACKAGE = LAYER_SOURCE / "python" / "shop_kernel"
CACHE_ROOT = REPO_ROOT / ".local" / "cdk" / "kernel-layer"
# The package layers a function may list in ``FunctionSpec.layers``, with each layer version's description.
PACKAGE_LAYERS: dict[str, str] = {
    "search": "opensearch-py + requests for the search functions",
    "payments": "stripe + requests for the functions that call Stripe",
}
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
PIP_PLATFORM_ARGS = (
    "--platform",
    "manylinux2014_aarch64",
    "--only-binary=:all:",
    "--python-version",
    "3.13",
    "--implementation",
    "cp",
)
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def _pip() -> list[str]:
    """pip for the host: the running interpreter's, else the Makefile's tools venv, else PATH."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for candidate in (REPO_ROOT / ".tools" / "bin" / "pip", shutil.which("pip3"), shutil.which("pip")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    raise RuntimeError("pip is needed to bundle the kernel layer: run `make install` first")


def dependencies_digest(requirements: Path | None = None) -> str:
    """Changes whenever the pins or the target platform change (the cache key)."""
    digest = hashlib.sha256((requirements or REQUIREMENTS).read_bytes())
    digest.update(" ".join(PIP_PLATFORM_ARGS).encode())
    return digest.hexdigest()[:16]


def install_dependencies(requirements: Path | None = None, cache_root: Path | None = None) -> Path:
    """A layer's site-packages for the Lambda platform, from the cache or freshly installed.

    Defaults to the kernel layer; other layers (e.g. ``layers/search``) pass their own pins and cache.
    """
    requirements = requirements or REQUIREMENTS
    cache_root = cache_root or CACHE_ROOT
    cached = cache_root / dependencies_digest(requirements)
    if cached.is_dir():
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_root) as scratch:
        target = Path(scratch) / "site-packages"
        command = [
            *_pip(),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",  # .pyc files for the host's Python are useless to python3.13
            # requirements.txt pins the whole closure; --no-deps keeps botocore (pulled in by the
            # X-Ray SDK) out of the layer because the runtime already has it.
            "--no-deps",
            "-r",
            str(requirements),
            *PIP_PLATFORM_ARGS,
            "--target",
            str(target),
        ]
        subprocess.run(command, check=True)  # noqa: S603 - fixed argv, no shell
        # Console scripts (jp.py, ulid) carry the host's shebang and are never run in Lambda.
        shutil.rmtree(target / "bin", ignore_errors=True)
        target.rename(cached)
    return cached


@jsii.implements(ILocalBundling)
class KernelLayerBundler:
    """Builds the layer directory (``python/`` + dependencies + ``shop_kernel``) on the host."""

    # The jsii stub spells the options as keywords, but the kernel calls with one positional struct.
    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:  # type: ignore[override]
        site_packages = Path(output_dir) / "python"
        shutil.copytree(install_dependencies(), site_packages, dirs_exist_ok=True)
        shutil.copytree(KERNEL_PACKAGE, site_packages / "shop_kernel", ignore=_IGNORED, dirs_exist_ok=True)
        # Never fall back to Docker: a failure above raises and stops the synth with pip's message.
        return True


class KernelLayer(Construct):
    """``layer``: the kernel layer version for python3.13 on arm64."""

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        code = lambda_.Code.from_asset(
            str(LAYER_SOURCE),
            exclude=["**/__pycache__", "**/*.pyc"],
            bundling=BundlingOptions(
                # Required by the API but never pulled: the local bundler always succeeds or raises.
                image=RUNTIME.bundling_image,
                local=cast(ILocalBundling, KernelLayerBundler()),
            ),
        )
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=code,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="shop_kernel (money, ids, errors, http, events, auth, dynamo) + Powertools, pydantic, ulid",
            removal_policy=removal_policy,
        )


def package_requirements(name: str) -> Path:
    """``layers/<name>/requirements.txt``: the pins of package layer ``name``."""
    if name not in PACKAGE_LAYERS:
        raise ValueError(f"no package layer {name!r}: the layers are {', '.join(sorted(PACKAGE_LAYERS))}")
    return REPO_ROOT / "layers" / name / "requirements.txt"


@jsii.implements(ILocalBundling)
class PackageLayerBundler:
    """``python/`` + a package layer's pinned dependencies for the Lambda platform, cached per layer."""

    def __init__(self, name: str) -> None:
        self.requirements = package_requirements(name)
        self.cache_root = REPO_ROOT / ".local" / "cdk" / f"{name}-layer"

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:  # type: ignore[override]
        site_packages = Path(output_dir) / "python"
        installed = install_dependencies(self.requirements, self.cache_root)
        shutil.copytree(installed, site_packages, dirs_exist_ok=True)
        return True


class PackageLayer(Construct):
    """``layer``: package layer ``name`` (``layers/<name>/requirements.txt``) for python3.13 on arm64."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        code = lambda_.Code.from_asset(
            str(package_requirements(name).parent),
            exclude=["**/__pycache__", "**/*.pyc"],
            bundling=BundlingOptions(
                image=RUNTIME.bundling_image, local=cast(ILocalBundling, PackageLayerBundler(name))
            ),
        )
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=code,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=PACKAGE_LAYERS[name],
            removal_policy=removal_policy,
        )
