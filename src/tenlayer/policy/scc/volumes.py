"""Volume types and flexVolume drivers an SCC allows."""

from __future__ import annotations

from tenlayer.policy.scc.constraints import SCC
from tenlayer.policy.scc.fielderrors import invalid
from tenlayer.policy.scc.podview import Volume


def _allowed(scc: SCC, volume: Volume) -> bool:
    if volume.fs_type in scc.volumes:
        return True
    # allowing secrets allows the projected volume the service-account token projection adds
    return (
        "secret" in scc.volumes
        and volume.fs_type == "projected"
        and (volume.only_service_account_token)
    )


def validate_volumes(scc: SCC, volumes: tuple[Volume, ...]) -> list[str]:
    errors = []
    if volumes and not scc.allows_all_volumes:
        for volume in volumes:
            path = f"spec.volumes[{volume.index}]"
            if not volume.fs_type:
                errors.append(invalid(path, "", f"unknown volume type for volume {volume.name!r}"))
            elif not _allowed(scc, volume):
                detail = f"{volume.fs_type} volumes are not allowed to be used"
                errors.append(invalid(path, volume.fs_type, detail))
    if volumes and scc.allowed_flex_volumes and scc.allows_volume_type("flexVolume"):
        for volume in volumes:
            if (
                volume.flex_driver is not None
                and volume.flex_driver not in scc.allowed_flex_volumes
            ):
                path = f"spec.volumes[{volume.index}].flexVolume.driver"
                detail = "Flexvolume driver is not allowed to be used"
                errors.append(invalid(path, volume.flex_driver, detail))
    return errors
