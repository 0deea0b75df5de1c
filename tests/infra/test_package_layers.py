"""The layers' pins: exact, the versions uv.lock resolved, and each layer's whole closure (installed with
``--no-deps``, so a dependency nobody pins is missing in Lambda, while every test, on the dev venv, has it).
And the package layers' bundler (``infra.constructs.layer.PackageLayer``)."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from infra.constructs import layer
from infra.stages import REPO_ROOT

LAYERS = ("kernel", *layer.PACKAGE_LAYERS)
# What the python3.13 Lambda runtime brings: boto3 and its closure.
RUNTIME_DISTRIBUTIONS = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
# Dependencies a layer leaves out on purpose, each with why.
LEFT_OUT = {
    (
        "search",
        "opensearch-protobufs",
    ): "opensearch-py imports it only for its gRPC transport, which search never uses",
}
# The Lambda platform the layers are installed for, as requirement markers see it.
LAMBDA_MARKERS = {
    "python_version": "3.13",
    "python_full_version": "3.13.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
}


def test_every_layer_pins_exactly_what_uv_lock_resolved_and_leaves_boto_to_the_runtime() -> None:
    # GIVEN the versions uv.lock resolved
    locked = {
        _normalised(package["name"]): package["version"]
        for package in tomllib.loads((REPO_ROOT / "uv.lock").read_text())["package"]
    }
    for name in LAYERS:
        # WHEN a layer's pins are read
        pins = _pins(name)
        # THEN each is an exact pin of the locked version, and none is what the runtime brings
        assert pins, name
        assert {dist: version for dist, (version, _) in pins.items()} == {
            dist: locked.get(dist) for dist in pins
        }, name
        assert not set(pins) & {"boto3", "botocore", "s3transfer", "urllib3"}, name


def test_every_layer_pins_its_whole_closure_beside_the_kernel_layer_and_the_runtime() -> None:
    kernel = set(_pins("kernel"))
    for name in LAYERS:
        # GIVEN what a function carrying the layer finds: the runtime's, the kernel layer's and the layer's
        pins = _pins(name)
        available = RUNTIME_DISTRIBUTIONS | kernel | set(pins)
        # WHEN every pinned distribution's requirements on the Lambda platform are listed
        needed = {
            (_normalised(requirement.name), dist)
            for dist, (version, extras) in pins.items()
            for requirement in _requirements(dist, version, extras)
        }
        # THEN each is available, or left out on purpose (and what is left out is still needed)
        missing = {(name, needs) for needs, _ in needed if needs not in available}
        assert missing == {key for key in LEFT_OUT if key[0] == name}


def test_the_payments_layer_brings_stripe_and_the_http_client_it_is_built_with() -> None:
    # GIVEN the payments layer's pins
    pins = _pins("payments")
    # THEN the Stripe SDK and requests (stripe.RequestsClient) are in it, not in the kernel layer every
    # function carries
    assert {"stripe", "requests"} <= set(pins)
    assert not {"stripe", "requests"} & set(_pins("kernel"))


def test_a_package_layer_is_its_own_pins_installed_for_lambda_under_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an installer that records which pins it installs into which cache
    installed = tmp_path / "deps"
    (installed / "stripe").mkdir(parents=True)
    calls: list[tuple[Path | None, Path | None]] = []

    def install(requirements: Path | None = None, cache_root: Path | None = None) -> Path:
        calls.append((requirements, cache_root))
        return installed

    monkeypatch.setattr(layer, "install_dependencies", install)
    out = tmp_path / "out"
    out.mkdir()
    options: Any = None
    # WHEN the payments layer is bundled
    bundled = layer.PackageLayerBundler("payments").try_bundle(str(out), options)
    # THEN its own pins went into its own cache, and the layer is python/<package> without the kernel
    assert bundled is True
    assert calls == [
        (
            REPO_ROOT / "layers" / "payments" / "requirements.txt",
            REPO_ROOT / ".local" / "cdk" / "payments-layer",
        )
    ]
    assert (out / "python" / "stripe").is_dir()
    assert not (out / "python" / "shop_kernel").exists()


def test_a_layer_nobody_declared_is_refused() -> None:
    # GIVEN / WHEN a function names a layer with no pins / THEN the synth stops and names the layers there are
    with pytest.raises(ValueError, match="no package layer 'stripe': the layers are payments, search"):
        layer.PackageLayerBundler("stripe")


def _pins(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """``layers/<name>/requirements.txt`` as ``{distribution: (version, extras)}``; every line an exact pin."""
    pins = {}
    for line in (REPO_ROOT / "layers" / name / "requirements.txt").read_text().splitlines():
        text = line.split("#")[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{name}: {text} is not an exact pin"
        pins[_normalised(requirement.name)] = (specifier.version, frozenset(requirement.extras))
    return pins


def _requirements(dist: str, version: str, extras: frozenset[str]) -> list[Requirement]:
    """What ``dist`` (installed in the dev venv at the pinned version) requires on the Lambda platform."""
    assert importlib.metadata.version(dist) == version, f"the dev venv has another {dist}: run make install"
    found = []
    for text in importlib.metadata.requires(dist) or []:
        requirement = Requirement(text)
        marker: Marker | None = requirement.marker
        if marker is None or any(
            marker.evaluate({**LAMBDA_MARKERS, "extra": extra}) for extra in {"", *extras}
        ):
            found.append(requirement)
    return found


def _normalised(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()
