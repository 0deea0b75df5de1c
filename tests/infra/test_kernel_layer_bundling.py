"""The kernel layer's local bundler: pip for the Lambda platform, cached, plus the kernel package."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.constructs import layer


def test_dependencies_are_installed_for_lambda_arm64_python313_without_deps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an empty cache and a pip that records its arguments
    monkeypatch.setattr(layer, "CACHE_ROOT", tmp_path / "cache")
    calls: list[list[str]] = []

    def fake_run(command: list[str], check: bool) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        target = Path(command[command.index("--target") + 1])
        (target / "pydantic").mkdir(parents=True)
        (target / "bin").mkdir()
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(layer.subprocess, "run", fake_run)
    # WHEN the dependencies are installed twice
    first = layer.install_dependencies()
    second = layer.install_dependencies()
    # THEN pip ran once, for the Lambda platform, from the pinned requirements, into the cache
    assert first == second == tmp_path / "cache" / layer.dependencies_digest()
    assert len(calls) == 1
    command = " ".join(calls[0])
    assert (
        "--platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.13 --implementation cp"
        in command
    )
    assert "--no-deps" in command
    assert f"-r {layer.REQUIREMENTS}" in command
    assert (first / "pydantic").is_dir()
    assert not (first / "bin").exists()


def test_bundle_holds_dependencies_and_the_kernel_under_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN installed dependencies
    deps = tmp_path / "deps"
    (deps / "aws_lambda_powertools").mkdir(parents=True)
    monkeypatch.setattr(layer, "install_dependencies", lambda: deps)
    out = tmp_path / "out"
    out.mkdir()
    options: Any = None
    # WHEN the bundler runs
    bundled = layer.KernelLayerBundler().try_bundle(str(out), options)
    # THEN the layer layout is python/<package> for both, without bytecode
    assert bundled is True
    assert (out / "python" / "aws_lambda_powertools").is_dir()
    assert (out / "python" / "shop_kernel" / "money.py").is_file()
    assert not list((out / "python").rglob("__pycache__"))


def test_requirements_pin_every_bundled_package_and_leave_boto_to_the_runtime() -> None:
    # GIVEN the layer's requirements
    lines = [line.split("#")[0].strip() for line in layer.REQUIREMENTS.read_text().splitlines()]
    pins = [line for line in lines if line]
    # THEN every line is an exact pin and boto3/botocore are not bundled
    assert pins
    assert all("==" in pin for pin in pins)
    names = {pin.split("==")[0].split("[")[0].lower() for pin in pins}
    assert {"aws-lambda-powertools", "pydantic", "pydantic-core", "python-ulid"} <= names
    assert not names & {"boto3", "botocore", "s3transfer", "urllib3"}
