"""Reading a folder of manifests, such as the SCCs and bindings OpenShift ships."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tenlayer.errors import BadInput

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_manifests(directory: Path) -> Iterator[Mapping[str, Any]]:
    """Every YAML document in `directory`'s *.yaml / *.yml files, in file-name order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInput(f"{directory}: not a directory")
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            documents = list(yaml.load_all(text, Loader=_LOADER))
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"{path}: cannot read: {error}") from None
        except yaml.YAMLError as error:
            raise BadInput(f"{path}: not valid YAML: {error}") from None
        for document in documents:
            if document is None:
                continue
            if not isinstance(document, Mapping):
                raise BadInput(
                    f"{path}: expected Kubernetes objects, got a {type(document).__name__}"
                )
            yield document
