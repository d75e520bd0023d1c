"""`tenlayer registry`: the token service and its administration.

Every administration command works on the database named by `--config` (or the
TENLAYER_REGISTRY_CONFIG variable); the first system administrator is made here:
`tenlayer registry user add NAME --admin --config FILE` (password from TENLAYER_PASSWORD or
a prompt). Secrets are never printed, except a new robot's secret, once.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tenlayer.errors import BadInput

if TYPE_CHECKING:
    from tenlayer.registry.config import RegistryConfig
    from tenlayer.registry.scanner import ScanQueue, Upstream
    from tenlayer.registry.store import Store

PASSWORD_VARIABLE = "TENLAYER_PASSWORD"
CONFIG_VARIABLE = "TENLAYER_REGISTRY_CONFIG"
ROLES = ["projectAdmin", "maintainer", "developer", "guest", "limitedGuest"]
F = TypeVar("F", bound=Callable[..., Any])


def config_option(function: F) -> F:
    option = click.option(
        "--config", "config_path", required=True, envvar=CONFIG_VARIABLE,
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"The service's YAML configuration (or ${CONFIG_VARIABLE}).",
    )
    return option(function)


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(function)


def _config(path: Path) -> RegistryConfig:
    from tenlayer.registry.config import load_config

    return load_config(path)


def _store(path: Path) -> Store:
    return _open_store(_config(path))


def _open_store(config: RegistryConfig) -> Store:
    from tenlayer.registry.store import Store

    try:
        return Store(config.database)
    except Exception as error:  # SQLAlchemy's errors: unreachable or unwritable database
        from tenlayer.errors import EnvironmentProblem

        raise EnvironmentProblem(f"database {config.database}: {error}") from None


def _print_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, sort_keys=True))


@click.group("registry")
def registry_group() -> None:
    """Guard a registry: token service, roles, scan on push, pull gate."""


# -- serve and keys ----------------------------------------------------------------------


@registry_group.command("serve")
@config_option
def serve_command(config_path: Path) -> None:
    """Run the token service and the administration API (`listen` in the configuration)."""
    import logging
    import socket

    from tenlayer.errors import EnvironmentProblem
    from tenlayer.registry.server import serve
    from tenlayer.registry.service import TokenService

    config = _config(config_path)
    keys = config.key_ring()
    keys.signer()
    try:  # a taken address is one line and exit 3, not uvicorn's log and exit 1
        with socket.create_server((config.host, config.port)):
            pass
    except OSError as error:
        raise EnvironmentProblem(
            f"cannot listen on {config.host}:{config.port}: {error.strerror}") from None
    store = _open_store(config)
    scans = _scan_queue(config, store)  # reads the events and scanner secrets: fail early
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stderr)
    click.echo(f"tenlayer registry: token service on http://{config.host}:{config.port} "
               f"(realm {config.realm}, service {config.service}, issuer {config.issuer})",
               err=True)
    if scans is not None:
        click.echo(f"tenlayer registry: scanning pushes to {config.upstream} "
                   f"(notifications at http://{config.host}:{config.port}/events)", err=True)
    serve(TokenService(config, store, keys), scans)


def _upstream(config: RegistryConfig) -> Upstream:
    from tenlayer.registry.scanner import Upstream

    if config.upstream is None:
        raise BadInput(f"{config.path}: upstream (the registry's URL) is not set")
    return Upstream(config.upstream, config.scanner.account, config.scanner.secret())


def _scan_queue(config: RegistryConfig, store: Store) -> ScanQueue | None:
    """The scan-on-push queue when the configuration has `upstream` and `events`."""
    from tenlayer.registry.scanner import ScanQueue

    if config.events_secret() is None:
        return None
    from tenlayer.vulndb.store import default_path, missing_message

    database = config.vulndb or default_path()
    if not database.is_file():  # every scan would fail, and every pull be refused
        raise BadInput(f"{config.path}: vulndb: {missing_message(database)}")
    return ScanQueue(store, _upstream(config), database=config.vulndb)


@registry_group.command("rescan")
@config_option
@json_option
@click.option("--discover", is_flag=True,
              help="First list the registry's repositories and tags (as the scanner robot) "
              "and record those the push notifications never told of, e.g. images pushed "
              "before tenlayer watched the registry.")
def rescan_command(config_path: Path, as_json: bool, discover: bool) -> None:
    """Scan every stored image again (after `tenlayer db update`): newly published
    vulnerabilities reach the gate. One line per image; exit 0 even when some fail."""
    import datetime

    from tenlayer.registry.scanner import ScanQueue
    from tenlayer.registry.scanner import discover as discover_tags

    config = _config(config_path)
    store = _open_store(config)
    upstream = _upstream(config)
    if discover:
        found = discover_tags(upstream, store, now=datetime.datetime.now(datetime.UTC))
        click.echo(f"discovered {len(found)} tags in {upstream.url}, "
                   f"{sum(f.new for f in found)} not known before", err=True)
    queue = ScanQueue(store, upstream, database=config.vulndb)
    results = []
    for image in store.list_images():
        outcome = queue.scan_now(image.repository, image.digest)
        results.append({"repository": image.repository, "digest": image.digest,
                        "tag": image.tag, "grade": outcome.grade,
                        "worst_severity": outcome.worst_severity,
                        "vulnerabilities": len(outcome.findings), "error": outcome.error,
                        "signature": outcome.signature})
    if as_json:
        _print_json(results)
        return
    for result in results:
        where = f"{result['repository']}@{result['digest']}"
        if result["error"]:
            click.echo(f"{where}: scan failed: {result['error']}")
        elif result["signature"]:
            click.echo(f"{where}: a signature manifest (nothing to scan)")
        else:
            click.echo(f"{where}: grade {result['grade']}, worst severity "
                       f"{result['worst_severity'] or 'none'}, "
                       f"{result['vulnerabilities']} vulnerabilities")
    click.echo(f"rescanned {len(results)} images", err=True)


@registry_group.command("images")
@config_option
@json_option
def images_command(config_path: Path, as_json: bool) -> None:
    """List pushed images and their scans."""
    images = _store(config_path).list_images()
    if as_json:
        _print_json([image.to_json() for image in images])
        return
    for image in images:
        tag = f" tags={','.join(image.tags)}" if image.tags else ""
        detail = (f" grade={image.grade} worst={image.worst_severity or 'none'}"
                  if image.status == "scanned" else
                  f" error={image.error}" if image.status == "failed" else "")
        click.echo(f"{image.repository}@{image.digest}{tag} {image.status}{detail}")


@registry_group.command("audit")
@config_option
@json_option
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def audit_command(config_path: Path, as_json: bool, limit: int) -> None:
    """The newest audit records: tokens issued, pulls, pushes and deletes (as the registry
    reports them), the front's refusals, scans."""
    entries = _store(config_path).audit_log(limit=limit)
    if as_json:
        _print_json([entry.to_json() for entry in entries])
        return
    for entry in entries:
        verdict = "allowed" if entry.allowed else "refused"
        click.echo(f"{entry.at.isoformat(timespec='seconds')} {entry.client or '-'} "
                   f"{entry.identity or '-'} {entry.action} {entry.repository} "
                   f"{entry.reference} {verdict}: {entry.reason}")


@registry_group.command("front")
@config_option
@click.option("--listen", help="HOST:PORT for clients [default: front.listen, else "
              "127.0.0.1:5080].")
@click.option("--prefix", type=click.Path(file_okay=False, path_type=Path),
              help="nginx's directory (default: a new temporary one).")
def front_command(config_path: Path, listen: str | None, prefix: Path | None) -> None:
    """Run the pull gate before the registry (`upstream`): nginx with auth_request to the
    project-rules gate (pull rules, tag immutability on manifest pushes); every refusal is
    written to the audit table."""
    import datetime
    import logging
    import urllib.parse

    from tenlayer.registry.audit import AuditWriter
    from tenlayer.registry.config import load_config
    from tenlayer.registry.front.decision import DecisionApp
    from tenlayer.registry.front.gate import AuditRecord
    from tenlayer.registry.front.identity import ReloadingVerifier
    from tenlayer.registry.front.server import run_front
    from tenlayer.registry.rules import ProjectRulesGate
    from tenlayer.registry.scanner import UpstreamSignatures, upstream_tag_exists
    from tenlayer.registry.store import AuditEntry
    from tenlayer.registry.web import client_host

    config = _config(config_path)
    upstream = _upstream(config)
    parsed = urllib.parse.urlsplit(upstream.url)
    if parsed.scheme != "http" or not parsed.port or parsed.path.strip("/"):
        raise BadInput(f"{config.path}: upstream must be http://HOST:PORT for the front "
                       "(distribution on a private address)")
    store = _open_store(config)
    gate = ProjectRulesGate(store, scanner=config.scanner.account,
                            signatures=UpstreamSignatures(upstream),
                            tag_exists=upstream_tag_exists(upstream))

    writer = AuditWriter(store)

    def audit(record: AuditRecord) -> None:
        action = ("pull" if record.method in ("GET", "HEAD") else
                  "delete" if record.method == "DELETE" else "push")
        writer.write(AuditEntry(
            datetime.datetime.now(datetime.UTC), record.identity or "", action,
            record.repository, record.reference, record.allowed, record.reason,
            client_host(record.client),
        ))

    def challenge(repository: str, action: str, reason: str) -> str:
        """distribution's own challenge for the request (its `scope` names the actions
        the route needs), so that a client asks the token service again; the reason as
        its error_description (quoted-string: no quotes or backslashes, ASCII)."""
        actions = {"pull": "pull", "push": "pull,push", "delete": "delete"}[action]
        description = reason.replace("\\", "/").replace('"', "'").encode(
            "ascii", "replace").decode()
        return (f'Bearer realm="{config.realm}",service="{config.service}",'
                f'scope="repository:{repository}:{actions}",error="insufficient_scope",'
                f'error_description="{description}"')

    def stamp() -> tuple[float, ...]:
        """Modification times of the configuration and its key files: a change (a key
        added, marked pending or retired) makes the front read the keys again."""
        paths = [config.path, *(k.certificate for k in config.keys)]
        return tuple(path.stat().st_mtime if path.exists() else 0.0 for path in paths)

    verify = ReloadingVerifier(lambda: load_config(config.path).key_ring(),
                               audience=config.service, issuer=config.issuer, stamp=stamp)
    app = DecisionApp(gate, upstream.url, verify=verify, on_decision=audit,
                      challenge=challenge)
    address = listen or config.front_listen
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        stream=sys.stderr)
    click.echo(f"tenlayer registry front: http://{address} before {upstream.url}", err=True)
    try:
        run_front(app, upstream=upstream.url.rstrip("/"), listen=address,
                  prefix=str(prefix) if prefix else None)
    finally:
        writer.close()


@registry_group.group("keys")
def keys_group() -> None:
    """Token signing keys and distribution's `auth.token` settings."""


@keys_group.command("generate")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--issuer", default="tenlayer", show_default=True, help="The token issuer.")
@click.option("--service", default="tenlayer-registry", show_default=True,
              help="The registry's service name (the tokens' audience).")
@click.option("--realm", default="http://127.0.0.1:5002/token", show_default=True,
              help="Where clients ask for tokens.")
def keys_generate(directory: Path, issuer: str, service: str, realm: str) -> None:
    """Make an EC P-256 key and self-signed certificate in DIRECTORY, and the certificate
    bundle distribution trusts (DIRECTORY/bundle.pem); print distribution's `auth.token`
    block naming that bundle (also written to DIRECTORY/registry-auth.yml)."""
    from tenlayer.registry.config import auth_block
    from tenlayer.registry.keys import write_key

    key_path, cert_path = write_key(directory, issuer)
    bundle = directory / "bundle.pem"  # what `keys bundle -o` rewrites at each rotation
    if not bundle.exists():
        bundle.write_bytes(cert_path.read_bytes())
    block = auth_block(realm=realm, service=service, issuer=issuer, bundle=bundle.resolve())
    (directory / "registry-auth.yml").write_text(block)
    click.echo(f"wrote {key_path} (private, mode 0600), {cert_path} and {bundle}", err=True)
    click.echo(f"at each key rotation: tenlayer registry keys bundle --config … -o {bundle}, "
               "then restart the registry", err=True)
    click.echo(f"tenlayer configuration: keys: [{{certificate: {cert_path.resolve()}, "
               f"key: {key_path.resolve()}}}]", err=True)
    click.echo("# distribution's configuration (registry.yml):")
    click.echo(block, nl=False)


@keys_group.command("bundle")
@config_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the bundle here instead of standard output.")
def keys_bundle(config_path: Path, output: Path | None) -> None:
    """The certificates distribution must trust (every key not retired): its
    `auth.token.rootcertbundle`. Rewrite it and restart the registry at each rotation."""
    bundle = _config(config_path).key_ring().bundle_pem()
    if output is None:
        click.echo(bundle.decode(), nl=False)
        return
    from tenlayer.report.output import write_output

    write_output(bundle, output)
    click.echo(f"wrote {output}", err=True)


# -- users -------------------------------------------------------------------------------


def read_password(what: str) -> str:
    if PASSWORD_VARIABLE in os.environ:
        return os.environ[PASSWORD_VARIABLE]
    if not sys.stdin.isatty():
        raise BadInput(f"no password for {what}: set {PASSWORD_VARIABLE} or run on a terminal")
    text: str = click.prompt(f"Password for {what}", hide_input=True,
                             confirmation_prompt="Repeat the password", err=True)
    return text


@registry_group.group("user")
def user_group() -> None:
    """Users (people who sign in with a password)."""


@user_group.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="A system administrator.")
@config_option
def user_add(name: str, admin: bool, config_path: Path) -> None:
    """Add a user; the password comes from $TENLAYER_PASSWORD or a prompt."""
    store = _store(config_path)
    store.add_user(name, read_password(f"user {name}"), admin=admin)
    click.echo(f"added user {name}{' (system administrator)' if admin else ''}")


@user_group.command("set")
@click.argument("name")
@click.option("--password", "new_password", is_flag=True,
              help="Set a new password ($TENLAYER_PASSWORD or a prompt); revokes refresh tokens.")
@click.option("--admin/--no-admin", default=None, help="Make or unmake a system administrator.")
@config_option
def user_set(name: str, new_password: bool, admin: bool | None, config_path: Path) -> None:
    """Change a user's password or administrator flag."""
    if not new_password and admin is None:
        raise click.UsageError("nothing to change: give --password, --admin or --no-admin")
    password = read_password(f"user {name}") if new_password else None
    user = _store(config_path).update_user(name, password=password, admin=admin)
    click.echo(f"updated user {name}{' (system administrator)' if user.is_admin else ''}")


@user_group.command("list")
@config_option
@json_option
def user_list(config_path: Path, as_json: bool) -> None:
    """List users, their groups, and who is a system administrator."""
    users = _store(config_path).list_users()
    if as_json:
        _print_json([user.to_json() for user in users])
        return
    for user in users:
        flags = " admin" if user.is_admin else ""
        groups = f" groups={','.join(user.groups)}" if user.groups else ""
        click.echo(f"{user.name}{flags}{groups}")


@user_group.command("remove")
@click.argument("name")
@config_option
def user_remove(name: str, config_path: Path) -> None:
    """Remove a user (and their memberships and refresh tokens)."""
    _store(config_path).remove_user(name)
    click.echo(f"removed user {name}")


# -- groups ------------------------------------------------------------------------------


@registry_group.group("group")
def group_group() -> None:
    """Groups of users (members of projects as a whole)."""


@group_group.command("add")
@click.argument("name")
@click.option("--user", "users", multiple=True, help="A user in the group (repeatable).")
@config_option
def group_add(name: str, users: tuple[str, ...], config_path: Path) -> None:
    """Add a group."""
    _store(config_path).add_group(name, list(users))
    click.echo(f"added group {name}")


@group_group.command("add-user")
@click.argument("group")
@click.argument("user")
@config_option
def group_add_user(group: str, user: str, config_path: Path) -> None:
    """Put USER in GROUP."""
    _store(config_path).add_group_user(group, user)
    click.echo(f"added {user} to group {group}")


@group_group.command("remove-user")
@click.argument("group")
@click.argument("user")
@config_option
def group_remove_user(group: str, user: str, config_path: Path) -> None:
    """Take USER out of GROUP."""
    _store(config_path).remove_group_user(group, user)
    click.echo(f"removed {user} from group {group}")


@group_group.command("list")
@config_option
@json_option
def group_list(config_path: Path, as_json: bool) -> None:
    """List groups and their users."""
    groups = _store(config_path).list_groups()
    if as_json:
        _print_json([group.to_json() for group in groups])
        return
    for group in groups:
        click.echo(f"{group.name} users={','.join(group.users)}")


@group_group.command("remove")
@click.argument("name")
@config_option
def group_remove(name: str, config_path: Path) -> None:
    """Remove a group (and its memberships)."""
    _store(config_path).remove_group(name)
    click.echo(f"removed group {name}")


# -- projects ----------------------------------------------------------------------------


def settings_options(function: F) -> F:
    options = [
        click.option("--severity-threshold", help="Refuse pulls at or above this severity."),
        click.option("--minimum-grade", help="Refuse pulls of images graded below (A-F)."),
        click.option("--require-signatures/--no-require-signatures", default=None,
                     help="Require a signature by a trusted key."),
        click.option("--trusted-key", "trusted_keys", multiple=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="A trusted signing public key (PEM file; repeatable)."),
        click.option("--allow-cve", "cve_allowlist", multiple=True,
                     help="A vulnerability id the gate ignores (repeatable)."),
        click.option("--immutable-tag", "immutable_tags", multiple=True,
                     help="A tag pattern that may not be overwritten (glob; repeatable)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _read_keys(paths: tuple[Path, ...]) -> tuple[str, ...]:
    keys = []
    for path in paths:
        try:
            keys.append(path.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"{path}: cannot read the public key ({error})") from None
    return tuple(keys)


@registry_group.group("project")
def project_group() -> None:
    """Projects: the first component of repository names (`team/app` is in `team`)."""


@project_group.command("add")
@click.argument("name")
@click.option("--public", is_flag=True, help="Anyone, even anonymous, may pull.")
@settings_options
@config_option
def project_add(name: str, public: bool, config_path: Path, **settings: Any) -> None:
    """Add a project."""
    from tenlayer.registry.store import ProjectSettings

    chosen = ProjectSettings(
        settings["severity_threshold"], settings["minimum_grade"],
        bool(settings["require_signatures"]), _read_keys(settings["trusted_keys"]),
        settings["cve_allowlist"], settings["immutable_tags"],
    )
    _store(config_path).add_project(name, public=public, settings=chosen)
    click.echo(f"added {'public' if public else 'private'} project {name}")


@project_group.command("set")
@click.argument("name")
@click.option("--public/--private", default=None, help="Who may pull without membership.")
@settings_options
@click.option("--clear", "cleared", multiple=True,
              type=click.Choice(["severity-threshold", "minimum-grade", "trusted-keys",
                                 "allow-cve", "immutable-tags"]),
              help="Remove a setting (repeatable): e.g. --clear allow-cve.")
@config_option
def project_set(
    name: str, public: bool | None, cleared: tuple[str, ...], config_path: Path,
    **settings: Any,
) -> None:
    """Change a project's visibility or gate settings (lists given replace the old ones;
    `--clear SETTING` removes one)."""
    from dataclasses import replace

    store = _store(config_path)
    current = store.get_project(name).settings
    changes: dict[str, Any] = {}
    for field in ("severity_threshold", "minimum_grade", "require_signatures"):
        if settings[field] is not None:
            changes[field] = settings[field]
    if settings["trusted_keys"]:
        changes["trusted_keys"] = _read_keys(settings["trusted_keys"])
    for field in ("cve_allowlist", "immutable_tags"):
        if settings[field]:
            changes[field] = tuple(settings[field])
    fields = {"severity-threshold": ("severity_threshold", None),
              "minimum-grade": ("minimum_grade", None), "trusted-keys": ("trusted_keys", ()),
              "allow-cve": ("cve_allowlist", ()), "immutable-tags": ("immutable_tags", ())}
    for setting in cleared:
        field, empty = fields[setting]
        if field in changes:
            raise click.UsageError(f"--clear {setting} and a new value at once")
        changes[field] = empty
    store.update_project(name, public=public, settings=replace(current, **changes))
    click.echo(f"updated project {name}")


@project_group.command("list")
@config_option
@json_option
def project_list(config_path: Path, as_json: bool) -> None:
    """List projects and their settings."""
    projects = _store(config_path).list_projects()
    if as_json:
        _print_json([project.to_json() for project in projects])
        return
    for project in projects:
        s = project.settings
        parts = ["public" if project.public else "private"]
        if s.severity_threshold:
            parts.append(f"threshold={s.severity_threshold}")
        if s.minimum_grade:
            parts.append(f"min-grade={s.minimum_grade}")
        if s.require_signatures:
            parts.append(f"signatures({len(s.trusted_keys)} keys)")
        if s.cve_allowlist:
            parts.append(f"allow={','.join(s.cve_allowlist)}")
        if s.immutable_tags:
            parts.append(f"immutable={','.join(s.immutable_tags)}")
        click.echo(f"{project.name} {' '.join(parts)}")


@project_group.command("remove")
@click.argument("name")
@config_option
def project_remove(name: str, config_path: Path) -> None:
    """Remove a project's members and permissions (the images stay in the registry)."""
    _store(config_path).remove_project(name)
    click.echo(f"removed project {name}")


# -- members -----------------------------------------------------------------------------


def _principal(user: str | None, group: str | None) -> tuple[str, str]:
    if (user is None) == (group is None):
        raise click.UsageError("give exactly one of --user and --group")
    return ("user", user) if user is not None else ("group", group or "")


@registry_group.group("member")
def member_group() -> None:
    """Members of projects and their roles (Harbor's)."""


@member_group.command("add")
@click.argument("project")
@click.option("--user")
@click.option("--group")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="projectAdmin/maintainer: pull, push, delete; developer: pull, push; "
                   "guest/limitedGuest: pull.")
@config_option
def member_add(
    project: str, user: str | None, group: str | None, role: str, config_path: Path
) -> None:
    """Make a user or a group a member of PROJECT with a role."""
    from tenlayer.registry.access import Role

    kind, name = _principal(user, group)
    _store(config_path).add_member(project, kind, name, Role(role))
    click.echo(f"{kind} {name} is {role} of {project}")


@member_group.command("list")
@click.argument("project")
@config_option
@json_option
def member_list(project: str, config_path: Path, as_json: bool) -> None:
    """List a project's members."""
    members = _store(config_path).list_members(project)
    if as_json:
        _print_json([member.to_json() for member in members])
        return
    for member in members:
        click.echo(f"{member.kind} {member.name} {member.role.value}")


@member_group.command("remove")
@click.argument("project")
@click.option("--user")
@click.option("--group")
@config_option
def member_remove(project: str, user: str | None, group: str | None, config_path: Path) -> None:
    """Remove a member from PROJECT."""
    kind, name = _principal(user, group)
    _store(config_path).remove_member(project, kind, name)
    click.echo(f"removed {kind} {name} from {project}")


# -- robots ------------------------------------------------------------------------------

DURATION = re.compile(r"^(\d+)([smhd])$")


def parse_duration(text: str) -> datetime.timedelta | None:
    """`30d`, `12h`, `15m`, `90s`, or `never` (None)."""
    if text == "never":
        return None
    match = DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter(f"{text!r} is not a duration (30d, 12h, 15m, 90s or never)")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return datetime.timedelta(seconds=int(match.group(1)) * unit)


@registry_group.group("robot")
def robot_group() -> None:
    """Robot accounts (`robot$NAME`): explicit permissions, expiring secrets."""


@robot_group.command("add")
@click.argument("name")
@click.option("--permission", "permissions", multiple=True, required=True,
              help="PROJECT:ACTIONS, actions from pull,push,delete (repeatable).")
@click.option("--expires-in", default="30d", show_default=True,
              help="How long the secret is valid: 30d, 12h, 15m, 90s or never.")
@click.option("--description", default="")
@config_option
def robot_add(
    name: str, permissions: tuple[str, ...], expires_in: str, description: str,
    config_path: Path,
) -> None:
    """Add a robot and print its secret, once (it is stored hashed)."""
    granted: dict[str, list[str]] = {}
    for permission in permissions:
        project, colon, actions = permission.partition(":")
        if not colon or not project or not actions:
            raise click.BadParameter(f"{permission!r} is not PROJECT:ACTIONS",
                                     param_hint="--permission")
        granted.setdefault(project, []).extend(a for a in actions.split(",") if a)
    lifetime = parse_duration(expires_in)
    expires = datetime.datetime.now(datetime.UTC) + lifetime if lifetime else None
    new = _store(config_path).add_robot(name, granted, expires_at=expires,
                                        description=description)
    when = expires.isoformat(timespec="seconds") if expires else "never"
    click.echo(f"added {new.robot.account} (expires {when})", err=True)
    click.echo("its secret, shown this once:", err=True)
    click.echo(new.secret)


@robot_group.command("list")
@config_option
@json_option
def robot_list(config_path: Path, as_json: bool) -> None:
    """List robots, their permissions and expiry (never their secrets)."""
    robots = _store(config_path).list_robots()
    if as_json:
        _print_json([robot.to_json() for robot in robots])
        return
    for robot in robots:
        when = robot.expires_at.isoformat(timespec="seconds") if robot.expires_at else "never"
        granted = " ".join(f"{p}:{','.join(a)}" for p, a in robot.permissions)
        click.echo(f"{robot.account} expires={when} {granted}")


@robot_group.command("remove")
@click.argument("name")
@config_option
def robot_remove(name: str, config_path: Path) -> None:
    """Remove a robot (its secret stops working at once)."""
    _store(config_path).remove_robot(name)
    click.echo(f"removed robot {name}")
