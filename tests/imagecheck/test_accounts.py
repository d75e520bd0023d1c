"""`image/runs-as-root` resolves a user name through the image's own /etc/passwd: the one of
the final file system, read in the single walk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenlayer.imagecheck.accounts import Passwd, parse_passwd
from tests.imagecheck.images import scan, scan_findings, write_image
from tests.support import registry as support
from tests.support.images import Layer

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment:x:0:0\n"
    "+nis::0:0:::\n"
    "toor:x:0:0:backdoor:/root:/bin/sh\n"
    "app:x:1000:1000::/home/app:/bin/sh\n"
    "app:x:0:0:second line for app is ignored:/:/bin/sh\n"
    "broken:x:notanumber:0::/:/bin/sh\n"
)


def root_findings(image: Path, *args: str) -> list[dict[str, Any]]:
    return [f for f in scan_findings(image, "--checks", "config", *args)
            if f["check_id"] == "image/runs-as-root"]


def test_parse_passwd() -> None:
    assert parse_passwd(PASSWD) == Passwd({"root": 0, "toor": 0, "app": 1000})


@pytest.mark.parametrize(
    ("user", "evidence"),
    [("toor", {"user": "toor", "uid": "0", "passwd": "/etc/passwd"}),
     ("toor:app", {"user": "toor:app", "uid": "0", "passwd": "/etc/passwd"}),
     ("app", None), ("app:0", None),
     ("broken", None),  # no UID the runtime could use: not reported
     ("nobody", None),  # not in passwd: as before, not reported
     ("0", {"user": "0"}), ("+0", {"user": "+0"}), ("00", {"user": "00"}),
     ("0000", {"user": "0000"}), ("0:1", {"user": "0:1"}), ("+0:0", {"user": "+0:0"}),
     ("+1000", None)],
)
def test_user_resolved_through_passwd(tmp_path: Path, user: str,
                                      evidence: dict[str, str] | None) -> None:
    image = tmp_path / "image.tar"
    write_image(image, [Layer().directory("etc").file("etc/passwd", PASSWD)],
                config={"User": user})
    found = root_findings(image)
    assert [f["evidence"] for f in found] == ([evidence] if evidence else [])
    if evidence:
        assert (found[0]["location"], found[0]["title"]) == (
            "config.User", "The image runs as root"
        )


def test_the_final_passwd_counts(tmp_path: Path) -> None:
    """toor is UID 0 in the first layer's passwd; a later layer rewrites it as 1001, and in
    another image deletes it (then `toor` is a name passwd does not list)."""
    first = Layer().directory("etc").file("etc/passwd", PASSWD)
    rewritten = Layer().file("etc/passwd", "root:x:0:0::/root:/bin/sh\ntoor:x:1001:1001::/:/\n")
    image = tmp_path / "rewritten.tar"
    write_image(image, [first, rewritten], config={"User": "toor"})
    assert root_findings(image) == []
    deleted = tmp_path / "deleted.tar"
    write_image(deleted, [first, Layer().whiteout("etc/passwd")], config={"User": "toor"})
    assert root_findings(deleted) == []
    # and the other way round: made UID 0 by a later layer
    later = tmp_path / "later.tar"
    write_image(later, [rewritten, Layer().file("etc/passwd", PASSWD)], config={"User": "toor"})
    assert [f["evidence"] for f in root_findings(later)] == [
        {"user": "toor", "uid": "0", "passwd": "/etc/passwd"}
    ]
    # only with --checks config: the secret scan alone needs no passwd
    assert [f for f in scan_findings(later, "--checks", "secret")
            if f["check_id"] == "image/runs-as-root"] == []


def test_a_passwd_too_large_is_not_read(tmp_path: Path) -> None:
    huge = PASSWD + "#" * (1 << 20) + "\n"
    image = tmp_path / "huge.tar"
    write_image(image, [Layer().directory("etc").file("etc/passwd", huge)],
                config={"User": "toor"})
    done = scan(image, "--checks", "config", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert [f for f in json.loads(done.stdout)["findings"]
            if f["check_id"] == "image/runs-as-root"] == []
    assert done.stderr == (
        "tenlayer: warning: /etc/passwd is larger than 1 MiB: not read, so config.User names "
        "were not resolved to UIDs\n"
    )


@pytest.mark.integration
def test_an_image_built_by_umoci(tmp_path: Path) -> None:
    """A layout built by umoci with `--config.user toor` and toor as UID 0 in its passwd."""
    missing = support.missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    layout = tmp_path / "oci"
    support.build_layout(layout, "v1", [{"/etc/passwd": PASSWD.encode()}])
    support.run("umoci", "config", "--image", f"{layout}:v1", "--config.user", "toor")
    found = root_findings(layout)
    assert [(f["location"], f["evidence"]) for f in found] == [
        ("config.User", {"user": "toor", "uid": "0", "passwd": "/etc/passwd"})
    ]
