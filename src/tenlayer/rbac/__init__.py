"""RBAC (layer 6): roles and bindings from manifests, and an authorizer over them."""

from tenlayer.rbac.authorizer import SUPERUSER_GROUP, Authorizer, Grant, Identity, UserInfo
from tenlayer.rbac.model import Binding, BindingSubject, PolicyRule, Role, parse_binding, parse_role

__all__ = [
    "SUPERUSER_GROUP",
    "Authorizer",
    "Binding",
    "BindingSubject",
    "Grant",
    "Identity",
    "PolicyRule",
    "Role",
    "UserInfo",
    "parse_binding",
    "parse_role",
]
