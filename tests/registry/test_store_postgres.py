"""The same store on PostgreSQL (a throw-away cluster on 127.0.0.1 started by the test).

Needs PostgreSQL's server (`initdb`, `pg_ctl`; Debian's postgresql package, which `make test`
installs) and the `psycopg` driver (a dev dependency); skipped, saying which is missing,
otherwise.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenlayer.registry.access import ANONYMOUS, Principal, Role, Scope
from tenlayer.registry.config import load_config
from tenlayer.registry.service import TokenService
from tenlayer.registry.store import Conflict, Expired, ProjectSettings, Store
from tests.registry.conftest import write_config
from tests.support.registry import free_port

pytestmark = pytest.mark.integration


def _server_tool(name: str) -> str | None:
    """Debian keeps initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin, off the PATH."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return str(candidates[-1]) if candidates else None


def _as_postgres(*command: str) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` user then."""
    tool = _server_tool(command[0]) or command[0]
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", tool, *command[1:]]
    return [tool, *command[1:]]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("needs the psycopg driver (pip install 'psycopg[binary]')")
    if _server_tool("initdb") is None or _server_tool("pg_ctl") is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server (Debian package postgresql) is missing in CI")
        pytest.skip("needs PostgreSQL's initdb and pg_ctl (Debian package postgresql)")
    # not under pytest's temporary directory: that one is private to root
    root = Path(tempfile.mkdtemp(prefix="tenlayer-postgres-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(_as_postgres("initdb", "-A", "trust", "-U", "postgres", "-D", str(data)),
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres("pg_ctl", "-D", str(data), "-l", str(root / "log"), "-o",
                                options, "-w", "start"), check=True, capture_output=True,
                   timeout=120)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres("pg_ctl", "-D", str(data), "-m", "immediate", "stop"),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_store_and_grants_on_postgres(postgres: str, tmp_path: Path) -> None:
    store = Store(postgres)
    try:
        store.add_user("root", "root password", admin=True)
        store.add_user("dev", "dev password")
        store.add_project("team", settings=ProjectSettings(
            severity_threshold="high", cve_allowlist=("CVE-2024-1",), immutable_tags=("v*",)))
        store.add_project("pub", public=True)
        store.add_group("devs", ["dev"])
        store.add_member("team", "group", "devs", Role.DEVELOPER)
        with pytest.raises(Conflict):
            store.add_member("team", "group", "devs", Role.GUEST)
        robot = store.add_robot("ci", {"team": ["pull"]}, expires_at=datetime.datetime(
            2030, 1, 1, tzinfo=datetime.UTC))
        now = datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)
        assert store.authenticate("dev", "dev password", now=now) == Principal("dev", "user")
        assert store.authenticate("dev", "wrong", now=now) is None
        assert store.authenticate("robot$ci", robot.secret, now=now) == Principal(
            "robot$ci", "robot")
        later = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
        with pytest.raises(Expired):
            store.authenticate("robot$ci", robot.secret, now=later)
        assert store.get_project("team").settings.immutable_tags == ("v*",)
        assert store.list_robots()[0].expires_at == datetime.datetime(
            2030, 1, 1, tzinfo=datetime.UTC)

        config = load_config(write_config(tmp_path, database=postgres))
        service = TokenService(config, store, config.key_ring())
        scopes = [Scope("repository", "team/app", ("pull", "push", "delete")),
                  Scope("repository", "pub/app", ("pull", "push"))]
        dev = service.grant_scopes(Principal("dev", "user"), scopes)
        assert [(a.name, a.actions) for a in dev] == [
            ("team/app", ("pull", "push")), ("pub/app", ("pull",))]
        assert [(a.name, a.actions) for a in service.grant_scopes(ANONYMOUS, scopes)] == [
            ("pub/app", ("pull",))]
        store.remove_group("devs")
        assert service.grant_scopes(Principal("dev", "user"), scopes[:1]) == ()
        store.remove_project("team")
        store.remove_user("dev")
        assert [u.name for u in store.list_users()] == ["root"]
    finally:
        store.close()
