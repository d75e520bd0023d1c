"""SBOM writers: CycloneDX 1.6 JSON and SPDX 2.3 JSON from an `Inventory`.

Importing this package is cheap; cyclonedx-python-lib and spdx-tools load on the first
render call.
"""

from tenlayer.sbom.cyclonedx import render_cyclonedx
from tenlayer.sbom.spdx import render_spdx

__all__ = ["render_cyclonedx", "render_spdx"]
