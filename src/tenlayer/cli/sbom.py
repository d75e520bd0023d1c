"""`tenlayer sbom …`: scan a CycloneDX or SPDX bill of materials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tenlayer.cli.scanning import run_scan, scan_options


@click.group("sbom")
def sbom_group() -> None:
    """Scan software bills of materials (tenlayer's, Syft's, Trivy's)."""


@sbom_group.command("scan")
@click.argument("sbom", type=click.Path(dir_okay=False, path_type=Path))
@scan_options
def scan(sbom: Path, **options: Any) -> None:
    """Find the known vulnerabilities of the packages an SBOM lists, as `image scan` would
    in the image it describes."""
    from tenlayer.sbom.read import read_sbom

    run_scan(lambda: read_sbom(sbom), inputs=(str(sbom),), **options)
