"""Who creates the pod: a user or a service account, with its groups."""

from __future__ import annotations

from dataclasses import dataclass

from tenlayer.errors import BadInput

AUTHENTICATED = "system:authenticated"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


def service_account_username(namespace: str, name: str) -> str:
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, str]:
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


@dataclass(frozen=True, slots=True)
class Requester:
    """The user (or token-authenticated service account) that creates the pod.

    The pod's own service account is checked besides it; OpenShift builds that identity
    without `system:authenticated` (only `system:serviceaccounts` and
    `system:serviceaccounts:NS`), and so does `SCCPolicy`.
    """

    user: str
    groups: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.user, str) or not self.user:
            raise BadInput(f"requester: expected a user name, got {self.user!r}")
        groups = tuple(self.groups)
        if not all(isinstance(g, str) for g in groups):
            raise BadInput(f"requester {self.user}: groups must be strings")
        object.__setattr__(self, "groups", groups)

    @classmethod
    def service_account(cls, namespace: str, name: str) -> Requester:
        """A service account authenticated with its token."""
        if not namespace or not name or ":" in namespace or ":" in name:
            raise BadInput(f"not a service account: namespace {namespace!r}, name {name!r}")
        return cls(
            service_account_username(namespace, name),
            (*service_account_groups(namespace), AUTHENTICATED),
        )

    @classmethod
    def parse_user(cls, text: str) -> Requester:
        """`alice` (an authenticated user) or `system:serviceaccount:NS:NAME`."""
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise BadInput("requester: expected a user name")
        if text.startswith(SERVICE_ACCOUNT_PREFIX):
            namespace, _, name = text[len(SERVICE_ACCOUNT_PREFIX) :].partition(":")
            return cls.service_account(namespace, name)
        return cls(text, (AUTHENTICATED,))
