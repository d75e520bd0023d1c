"""`tenlayer registry serve --config FILE`: the service's YAML configuration, read strictly.

```yaml
listen: 127.0.0.1:5002            # host:port
issuer: tenlayer                  # the token's iss; distribution's auth.token.issuer
service: my-registry              # the token's aud; distribution's auth.token.service
realm: http://127.0.0.1:5002/token  # optional, derived from listen
token_lifetime: 300               # seconds
refresh_token_lifetime: 604800    # seconds (OAuth2 refresh tokens, docker's identity token)
keys:                             # oldest first; the last one not retired or pending signs
  - {certificate: keys-2025/token.crt, retired: true}
  - {certificate: keys-2026/token.crt, key: keys-2026/token.key}
  - {certificate: keys-2027/token.crt, key: keys-2027/token.key, pending: true}
database: sqlite:///registry.db   # optional; default sqlite in the config's directory
upstream: http://127.0.0.1:5000   # the registry itself (for scan on push)
throttle: {free: 5, base: 1, cap: 300}
# scan on push and the pull gate (all optional)
events: {secret_file: events.secret}   # distribution's notifications send
                                       # `Authorization: Bearer <that secret>` to POST /events
scanner: {account: robot$scanner, secret_file: scanner.secret}  # pulls what it scans
vulndb: vulndb.sqlite                  # default: tenlayer's database in the user's cache
front: {listen: 127.0.0.1:5080}        # `tenlayer registry front`: nginx before `upstream`
```
Relative paths are relative to the configuration file. Every problem is one `BadInput`
line naming the file and the field.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from tenlayer.errors import BadInput
from tenlayer.registry.keys import KeyRing, load_key
from tenlayer.registry.throttle import ThrottlePolicy

DEFAULT_DATABASE = "tenlayer-registry.db"
FIELDS = {
    "listen", "issuer", "service", "realm", "token_lifetime", "refresh_token_lifetime",
    "keys", "database", "upstream", "throttle", "events", "scanner", "vulndb", "front",
}


@dataclass(frozen=True)
class KeyConfig:
    certificate: Path
    key: Path | None
    retired: bool
    pending: bool = False


@dataclass(frozen=True)
class ScannerConfig:
    account: str = "robot$scanner"
    secret_file: Path | None = None

    def secret(self) -> str:
        return self._secret

    @cached_property
    def _secret(self) -> str:
        """Read once per loaded configuration, not at each of the scanner's logins."""
        return _read_secret(self.secret_file) if self.secret_file else ""


@dataclass(frozen=True)
class RegistryConfig:
    path: Path
    host: str
    port: int
    issuer: str
    service: str
    realm: str
    token_lifetime: datetime.timedelta
    refresh_token_lifetime: datetime.timedelta
    keys: tuple[KeyConfig, ...]
    database: str
    upstream: str | None
    throttle: ThrottlePolicy
    events_secret_file: Path | None = None
    scanner: ScannerConfig = ScannerConfig()
    vulndb: Path | None = None
    front_listen: str = "127.0.0.1:5080"

    def events_secret(self) -> str | None:
        return _read_secret(self.events_secret_file) if self.events_secret_file else None

    def key_ring(self) -> KeyRing:
        return KeyRing(tuple(
            load_key(k.certificate, k.key, retired=k.retired, pending=k.pending)
            for k in self.keys
        ))


def _load_yaml(path: Path, text: str) -> Any:
    """The configuration's data; a key set twice in one mapping is refused (which of the
    two counts would be a guess, and an edit that adds a second `listen:` would be
    silently lost)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        pending = [node]
        while pending:
            current = pending.pop()
            if isinstance(current, yaml.MappingNode):
                seen: dict[object, int] = {}
                for key, value in current.value:
                    if isinstance(key, yaml.ScalarNode):
                        if key.value in seen:
                            raise _fail(path, f"{key.value!r} is set twice, at lines "
                                        f"{seen[key.value]} and {key.start_mark.line + 1}")
                        seen[key.value] = key.start_mark.line + 1
                    pending.append(value)
            elif isinstance(current, yaml.SequenceNode):
                pending.extend(current.value)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the secret ({error})") from None
    if not secret:
        raise BadInput(f"{path}: the secret file is empty")
    return secret


def _section(path: Path, data: dict[str, Any], name: str, fields: set[str]) -> dict[str, Any]:
    value = data.get(name, {})
    known = ", ".join(sorted(fields))
    if not isinstance(value, dict):
        raise _fail(path, f"{name} must be a mapping ({known})")
    unknown = sorted(str(key) for key in set(value) - fields)
    if unknown:
        raise _fail(path, f"{name}: unknown field {unknown[0]!r} (known: {known})")
    return value


def _fail(path: Path, message: str) -> BadInput:
    return BadInput(f"{path}: {message}")


def _string(path: Path, data: dict[str, Any], name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{name} must be a non-empty string")
    return value


def _seconds(path: Path, data: dict[str, Any], name: str, default: int, top: int) -> int:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
        raise _fail(path, f"{name} must be a whole number of seconds between 1 and {top}")
    return value


def _keys(path: Path, value: Any) -> tuple[KeyConfig, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(path, "keys must be a list of {certificate, key, retired, pending} entries")
    keys = []
    for number, entry in enumerate(value):
        where = f"keys[{number}]"
        if not isinstance(entry, dict) or set(entry) - {"certificate", "key", "retired",
                                                         "pending"}:
            raise _fail(path, f"{where} has certificate, key, and optionally retired or pending")
        certificate, key = entry.get("certificate"), entry.get("key")
        retired, pending = entry.get("retired", False), entry.get("pending", False)
        if (
            not isinstance(certificate, str)
            or not isinstance(retired, bool)
            or not isinstance(pending, bool)
        ):
            raise _fail(path, f"{where}: certificate is a path, retired and pending true or false")
        if key is not None and not isinstance(key, str):
            raise _fail(path, f"{where}: key is a path")
        if retired and pending:
            raise _fail(path, f"{where}: a key is retired or pending, not both")
        keys.append(KeyConfig(
            path.parent / certificate, path.parent / key if key else None, retired, pending
        ))
    signers = [k for k in keys if not k.retired and not k.pending]
    if not signers:
        raise _fail(path, "no key can sign: every key is retired or pending")
    if signers[-1].key is None:
        raise _fail(path, "the newest key that is not retired or pending signs, "
                    "so it needs its key file")
    return tuple(keys)


def _throttle(path: Path, value: Any) -> ThrottlePolicy:
    if value is None:
        return ThrottlePolicy()
    if not isinstance(value, dict) or set(value) - {"free", "base", "cap", "free_per_client"}:
        raise _fail(path, "throttle has free, free_per_client, base and cap")
    free, base, cap = value.get("free", 5), value.get("base", 1.0), value.get("cap", 300.0)
    per_client = value.get("free_per_client", 4 * free if isinstance(free, int) else 20)
    numbers = (free, base, cap, per_client)
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in numbers) or not (
        isinstance(free, int) and free >= 0 and isinstance(per_client, int)
        and per_client >= 0 and 0 < base <= cap
    ):
        raise _fail(path, "throttle: free and free_per_client are counts >= 0, "
                    "0 < base <= cap (seconds)")
    return ThrottlePolicy(free, float(base), float(cap), per_client)


def load_config(path: Path) -> RegistryConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the configuration ({error})") from None
    try:
        data = _load_yaml(path, text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        # a problem found at the end of the text is marked on the line after the last one
        line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark is not None else 0
        where = f" at line {line}" if line else ""
        problem = getattr(error, "problem", None)
        raise _fail(path, f"not valid YAML{where}" + (f" ({problem})" if problem else "")) from None
    if not isinstance(data, dict):
        raise _fail(path, "the configuration must be a mapping")
    unknown = sorted(str(k) for k in set(data) - FIELDS)
    if unknown:
        raise _fail(path, f"unknown field {unknown[0]!r} (known: {', '.join(sorted(FIELDS))})")
    path = path.resolve()
    listen = _string(path, data, "listen", "127.0.0.1:5002")
    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _fail(path, f"listen {listen!r} is not host:port")
    realm = _string(path, data, "realm", f"http://{listen}/token")
    if urlparse(realm).scheme not in ("http", "https"):
        raise _fail(path, f"realm {realm!r} is not an http(s) URL")
    upstream = data.get("upstream")
    if upstream is not None and (
        not isinstance(upstream, str) or urlparse(upstream).scheme not in ("http", "https")
    ):
        raise _fail(path, "upstream must be the registry's http(s) URL")
    database = data.get("database", f"sqlite:///{path.parent / DEFAULT_DATABASE}")
    if not isinstance(database, str) or "://" not in database:
        raise _fail(path, "database must be an SQLAlchemy URL (sqlite:///file.db, postgresql://…)")
    if database.startswith("sqlite:///") and not database.startswith("sqlite:////"):
        relative = database[len("sqlite:///"):]
        if relative and relative != ":memory:":
            database = f"sqlite:///{path.parent / relative}"
    base = path.parent
    events = _section(path, data, "events", {"secret_file"})
    scanner = _section(path, data, "scanner", {"account", "secret_file"})
    front = _section(path, data, "front", {"listen"})
    for section in (events, scanner):
        if "secret_file" in section:
            _string(path, section, "secret_file")
    account = _string(path, scanner, "account", "robot$scanner") if scanner else "robot$scanner"
    if not account.startswith("robot$"):
        raise _fail(path, f"scanner.account {account!r} must be a robot account (robot$NAME): "
                    "it pulls from every project and is exempt from the pull rules")
    front_listen = _string(path, front, "listen", "127.0.0.1:5080")
    front_host, _, front_port = front_listen.rpartition(":")
    if not front_host or not front_port.isdigit() or not 0 < int(front_port) < 65536:
        raise _fail(path, f"front.listen {front_listen!r} is not host:port")
    vulndb = data.get("vulndb")
    if vulndb is not None and (not isinstance(vulndb, str) or not vulndb.strip()):
        raise _fail(path, "vulndb must be the path of tenlayer's vulnerability database")
    return RegistryConfig(
        path=path,
        host=host.strip("[]"),
        port=int(port_text),
        issuer=_string(path, data, "issuer"),
        service=_string(path, data, "service"),
        realm=realm,
        token_lifetime=datetime.timedelta(
            seconds=_seconds(path, data, "token_lifetime", 300, 86400)),
        refresh_token_lifetime=datetime.timedelta(
            seconds=_seconds(path, data, "refresh_token_lifetime", 7 * 86400, 365 * 86400)),
        keys=_keys(path, data.get("keys")),
        database=database,
        upstream=upstream,
        throttle=_throttle(path, data.get("throttle")),
        events_secret_file=base / events["secret_file"] if "secret_file" in events else None,
        scanner=ScannerConfig(
            account, base / scanner["secret_file"] if "secret_file" in scanner else None),
        vulndb=base / vulndb if vulndb else None,
        front_listen=front_listen,
    )


def auth_block(*, realm: str, service: str, issuer: str, bundle: Path) -> str:
    """The `auth:` section of distribution's configuration that trusts this service."""
    block = {"auth": {"token": {
        "realm": realm, "service": service, "issuer": issuer, "rootcertbundle": str(bundle),
    }}}
    return yaml.safe_dump(block, sort_keys=False)
