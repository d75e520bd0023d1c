"""The token service's logic, without HTTP: logins (throttled), grants, tokens.

`TokenService.login` checks a password or robot secret behind the throttle; `grant_scopes`
intersects what is asked with what the principal may do; `issue` signs the token. The
Starlette app in `server.py` is a thin shell over this.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenlayer.registry.access import Principal, ProjectFacts, Scope, grant, project_of
from tenlayer.registry.audit import AuditWriter
from tenlayer.registry.config import RegistryConfig
from tenlayer.registry.keys import KeyRing
from tenlayer.registry.store import Expired, Store
from tenlayer.registry.throttle import Throttle
from tenlayer.registry.tokens import (
    AccessEntry,
    Claims,
    IssuedToken,
    TokenError,
    issue_token,
    verify_token,
)

log = logging.getLogger("tenlayer.registry")


class LoginRefused(Exception):
    """Wrong credentials (401)."""


LOGIN_PATIENCE = 10.0
"""Seconds a login waits for its turn behind others of the same account or address."""


class Throttled(Exception):
    """Too many failures (429); `retry_after` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Grant:
    principal: Principal
    token: IssuedToken
    access: tuple[AccessEntry, ...]
    refresh_token: str | None = None


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class TokenService:
    def __init__(
        self,
        config: RegistryConfig,
        store: Store,
        keys: KeyRing,
        *,
        now: Callable[[], datetime.datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.store = store
        self.keys = keys
        self.now = now
        self.monotonic = monotonic
        self.throttle = Throttle(config.throttle)
        self.audit = AuditWriter(store)
        """Tokens issued and logins refused, written in batches off the request path."""

    def reload_keys(self) -> bool:
        """Read the configuration's keys again (SIGHUP); keep the old ring when that fails."""
        from tenlayer.errors import TenlayerError
        from tenlayer.registry.config import load_config

        try:
            keys = load_config(self.config.path).key_ring()
            signer = keys.signer()
        except TenlayerError as error:
            log.error("keys not reloaded: %s", error)
            return False
        self.keys = keys
        log.info("keys reloaded: %d keys, %s signs", len(keys.keys), signer.kid)
        return True

    def login(self, account: str, password: str, client: str) -> Principal:
        if account == self.config.scanner.account and self.config.scanner.secret_file:
            return self._scanner_login(account, password, client)
        keys = [f"account:{account}", f"client:{client}"]
        wait = self.throttle.begin(keys, self.monotonic(), patience=LOGIN_PATIENCE)
        if wait is not None:
            log.info("login throttled account=%s client=%s", account, client)
            self._audit(account, "login", "", False,
                        f"throttled: retry after {wait} s", client)
            raise Throttled(wait)
        principal, expired = None, None
        try:
            principal = self.store.authenticate(account, password, now=self.now())
        except Expired as error:
            expired = error  # the right secret: not a guess
        finally:
            self.throttle.end(keys, self.monotonic(),
                              succeeded=principal is not None or expired is not None)
        if expired is not None:
            self._audit(account, "login", "", False, str(expired), client)
            raise LoginRefused(str(expired))
        if principal is None:
            log.info("login refused account=%s client=%s", account, client)
            self._audit(account, "login", "", False, "invalid username or password", client)
            raise LoginRefused("invalid username or password")
        return principal

    def _scanner_login(self, account: str, password: str, client: str) -> Principal:
        """The scanner robot is not throttled: a lock — by anyone failing logins from its
        address, or guessing its name — would stop every scan, and with it every pull of a
        gated project. Its secret is random and the service holds it (`scanner.secret_file`),
        so a wrong one is refused by a constant-time compare, before any costly hash: hammering
        the name costs the service nothing."""
        import hmac

        expected = self.config.scanner.secret()
        principal = None
        if expected and hmac.compare_digest(password.encode(), expected.encode()):
            principal = self.store.authenticate(account, password, now=self.now())
        if principal is None:
            log.info("login refused account=%s client=%s", account, client)
            self._audit(account, "login", "", False, "invalid username or password", client)
            raise LoginRefused("invalid username or password")
        return principal

    def grant_scopes(self, principal: Principal, scopes: list[Scope]) -> tuple[AccessEntry, ...]:
        scopes = _merged_scopes(scopes)
        granted: list[AccessEntry] = []
        known: dict[str, ProjectFacts] = {}  # one query per project, not per scope
        for scope in scopes:
            facts = None
            if scope.type == "repository":
                project = project_of(scope.name)
                if project and project not in known:
                    known[project] = self.store.facts(principal, project)
                facts = known[project] if project else None
            entry = grant(scope, principal, facts)
            if (entry is None and facts is not None and facts.exists
                    and self._is_scanner(principal) and "pull" in scope.actions):
                entry = AccessEntry("repository", scope.name, ("pull",))
            if (entry is None and scope.type == "registry" and scope.name == "catalog"
                    and "*" in scope.actions and self._is_scanner(principal)):
                entry = AccessEntry("registry", "catalog", ("*",))  # registry rescan --discover
            if entry is not None:
                granted.append(entry)
        return tuple(granted)

    def _is_scanner(self, principal: Principal) -> bool:
        """The configured scanner robot pulls from every project, and lists the catalog:
        scan on push and the pull gate cover them all, and a project it could not read
        would refuse every pull."""
        return principal.kind == "robot" and principal.name == self.config.scanner.account

    def issue(
        self, principal: Principal, scopes: list[Scope], *, offline: bool = False,
        client: str = "",
    ) -> Grant:
        access = self.grant_scopes(principal, scopes)
        now = self.now()
        merged = _merged_scopes(scopes)
        given = {(a.type, a.name): set(a.actions) for a in access}
        short = [AccessEntry(s.type, s.name, s.actions) for s in merged
                 if not set(s.actions) <= given.get((s.type, s.name), set())]
        token = issue_token(
            self.keys, issuer=self.config.issuer, audience=self.config.service,
            subject=principal.name, access=access, now=now,
            lifetime=self.config.token_lifetime, asked=short,
        )
        refresh = None
        if offline and not principal.anonymous:
            refresh = self.store.new_refresh_token(
                principal, now=now, lifetime=self.config.refresh_token_lifetime
            )
        granted = ";".join(f"{a.type}:{a.name}:{','.join(a.actions)}" for a in access)
        log.info("token issued sub=%s jti=%s access=%s", principal.name or "(anonymous)",
                 token.jti, granted)
        names = " ".join(sorted({
            scope.name if scope.type == "repository" else f"{scope.type}:{scope.name}"
            for scope in scopes}))
        asked = ";".join(f"{s.type}:{s.name}:{','.join(s.actions)}" for s in merged)
        self._audit(principal.name, "token", names, True,
                    f"token {token.jti} asked {asked or 'nothing'}, granted "
                    f"{granted or 'nothing'}", client)
        return Grant(principal, token, access, refresh)

    def _audit(
        self, who: str, action: str, what: str, allowed: bool, reason: str, client: str
    ) -> None:
        from tenlayer.registry.store import AuditEntry

        self.audit.write(AuditEntry(self.now(), who, action, what, "", allowed, reason, client))

    def refresh(self, refresh_token: str, client: str = "") -> Principal:
        principal = self.store.redeem_refresh_token(refresh_token, now=self.now())
        if principal is None:
            self._audit("", "login", "", False, "invalid or expired refresh token", client)
            raise LoginRefused("invalid or expired refresh token")
        return principal

    def verify(self, token: str) -> Claims:
        return verify_token(
            token, self.keys, audience=self.config.service, issuer=self.config.issuer,
            now=self.now(),
        )

    def bearer_principal(self, token: str) -> Principal:
        """The principal a bearer token of ours names (still existing, unexpired)."""
        try:
            claims = self.verify(token)
        except TokenError as error:
            raise LoginRefused(f"token refused: {error}") from None
        principal = self.store.principal(claims.subject, now=self.now()) if claims.subject else None
        if principal is None:
            raise LoginRefused("the token's subject is not an account")
        return principal


def _merged_scopes(scopes: list[Scope]) -> list[Scope]:
    """One scope per resource, with the actions of every scope that names it (clients ask
    for the same repository twice): the token then names each resource once."""
    merged: dict[tuple[str, str], list[str]] = {}
    for scope in scopes:
        actions = merged.setdefault((scope.type, scope.name), [])
        actions.extend(a for a in scope.actions if a not in actions)
    return [Scope(kind, name, tuple(actions)) for (kind, name), actions in merged.items()]
