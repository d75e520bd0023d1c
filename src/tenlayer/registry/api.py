"""The administration API, `/api/v1/...`: the same operations as `tenlayer registry ...`.

Authentication: Basic (a user's password, throttled like the token endpoint) or a bearer
token this service issued (its subject must still be a user). Robots administer nothing.
System administrators may do everything; a project's projectAdmin may read and change that
project's settings and members. Bodies are JSON objects validated strictly (unknown fields,
wrong types and bad values are 400); errors are JSON `{"errors": [{code, message}]}` with
400, 401, 403, 404, 409, 413 or 429.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tenlayer.registry.access import Principal, Role
from tenlayer.registry.service import LoginRefused, Throttled, TokenService
from tenlayer.registry.store import Conflict, Invalid, NotFound, ProjectSettings
from tenlayer.registry.web import (
    HttpError,
    basic_credentials,
    bearer_token,
    client_address,
    read_body,
)

Handler = Callable[["Call"], Any]
SETTING_FIELDS: dict[str, type | tuple[type, ...]] = {
    "severity_threshold": (str, type(None)),
    "minimum_grade": (str, type(None)),
    "require_signatures": bool,
    "trusted_keys": list,
    "cve_allowlist": list,
    "immutable_tags": list,
}
LIST_FIELDS = {"trusted_keys", "cve_allowlist", "immutable_tags"}


class Call:
    """One authenticated API request: who, path parameters and the parsed JSON body."""

    def __init__(
        self, service: TokenService, principal: Principal, params: dict[str, str], body: Any
    ) -> None:
        self.service = service
        self.store = service.store
        self.principal = principal
        self.params = params
        self.body = body

    def require_admin(self) -> None:
        if not self.principal.is_admin:
            raise HttpError(403, "DENIED", "only a system administrator may do this")

    def require_project_admin(self, project: str) -> None:
        if self.principal.is_admin:
            return
        self.store.get_project(project)  # an unknown project is 404
        if self.store.role(self.principal.name, project) is not Role.PROJECT_ADMIN:
            raise HttpError(403, "DENIED", f"only an administrator of project {project!r} "
                            "or a system administrator may do this")


def _object(
    body: Any,
    required: dict[str, type | tuple[type, ...]],
    optional: dict[str, type | tuple[type, ...]] | None = None,
) -> dict[str, Any]:
    optional = optional or {}
    if not isinstance(body, dict):
        raise HttpError(400, "invalid_request", "the body must be a JSON object")
    unknown = sorted(set(body) - set(required) - set(optional))
    if unknown:
        raise HttpError(400, "invalid_request", f"unknown field {unknown[0]!r}")
    for name in required:
        if name not in body:
            raise HttpError(400, "invalid_request", f"missing field {name!r}")
    for name, value in body.items():
        expected = required.get(name) or optional[name]
        types = expected if isinstance(expected, tuple) else (expected,)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise HttpError(400, "invalid_request", f"field {name!r} must be {names}")
        if (name in LIST_FIELDS or name == "users") and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise HttpError(400, "invalid_request", f"field {name!r} must list strings")
    return body


# -- users and groups ------------------------------------------------------------------


def list_users(call: Call) -> Any:
    call.require_admin()
    return [user.to_json() for user in call.store.list_users()]


def add_user(call: Call) -> Any:
    call.require_admin()
    body = _object(call.body, {"name": str, "password": str}, {"admin": bool})
    user = call.store.add_user(body["name"], body["password"], admin=body.get("admin", False))
    return 201, user.to_json()


def update_user(call: Call) -> Any:
    """System administrators change anyone; a user may change their own password only."""
    name = call.params["name"]
    body = _object(call.body, {}, {"password": str, "admin": bool})
    if not call.principal.is_admin and (name != call.principal.name or "admin" in body):
        raise HttpError(403, "DENIED", "only a system administrator may do this")
    user = call.store.update_user(name, password=body.get("password"), admin=body.get("admin"))
    return user.to_json()


def remove_user(call: Call) -> Any:
    call.require_admin()
    name = call.params["name"]
    user = call.store.get_user(name)
    if user.is_admin and call.store.count_admins() == 1:
        raise HttpError(409, "conflict", "the last system administrator cannot be removed")
    call.store.remove_user(name)
    return 204, None


def list_groups(call: Call) -> Any:
    call.require_admin()
    return [group.to_json() for group in call.store.list_groups()]


def add_group(call: Call) -> Any:
    call.require_admin()
    body = _object(call.body, {"name": str}, {"users": list})
    return 201, call.store.add_group(body["name"], body.get("users", [])).to_json()


def remove_group(call: Call) -> Any:
    call.require_admin()
    call.store.remove_group(call.params["name"])
    return 204, None


def add_group_user(call: Call) -> Any:
    call.require_admin()
    body = _object(call.body, {"name": str})
    call.store.add_group_user(call.params["name"], body["name"])
    return 204, None


def remove_group_user(call: Call) -> Any:
    call.require_admin()
    call.store.remove_group_user(call.params["name"], call.params["user"])
    return 204, None


# -- projects and members --------------------------------------------------------------


def _settings(base: ProjectSettings, body: dict[str, Any]) -> ProjectSettings:
    changes: dict[str, Any] = {
        name: tuple(value) if name in LIST_FIELDS else value
        for name, value in body.items() if name in SETTING_FIELDS
    }
    return replace(base, **changes)


def list_projects(call: Call) -> Any:
    projects = call.store.list_projects()
    if not call.principal.is_admin:
        projects = [
            p for p in projects
            if p.public or call.store.role(call.principal.name, p.name) is not None
        ]
    return [project.to_json() for project in projects]


def add_project(call: Call) -> Any:
    call.require_admin()
    body = _object(call.body, {"name": str}, {"public": bool, **SETTING_FIELDS})
    project = call.store.add_project(
        body["name"], public=body.get("public", False),
        settings=_settings(ProjectSettings(), body),
    )
    return 201, project.to_json()


def get_project(call: Call) -> Any:
    name = call.params["name"]
    project = call.store.get_project(name)
    if not (call.principal.is_admin or project.public
            or call.store.role(call.principal.name, name) is not None):
        raise HttpError(403, "DENIED", f"not a member of project {name!r}")
    return project.to_json()


def update_project(call: Call) -> Any:
    name = call.params["name"]
    call.require_project_admin(name)
    body = _object(call.body, {}, {"public": bool, **SETTING_FIELDS})
    current = call.store.get_project(name)
    settings = _settings(current.settings, body)
    return call.store.update_project(name, public=body.get("public"), settings=settings).to_json()


def remove_project(call: Call) -> Any:
    call.require_admin()
    call.store.remove_project(call.params["name"])
    return 204, None


def list_members(call: Call) -> Any:
    project = call.params["name"]
    call.require_project_admin(project)
    return [member.to_json() for member in call.store.list_members(project)]


def add_member(call: Call) -> Any:
    project = call.params["name"]
    call.require_project_admin(project)
    body = _object(call.body, {"role": str}, {"user": str, "group": str})
    if ("user" in body) == ("group" in body):
        raise HttpError(400, "invalid_request", "give exactly one of 'user' and 'group'")
    try:
        role = Role(body["role"])
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise HttpError(400, "invalid_request", f"role must be one of {names}") from None
    kind = "user" if "user" in body else "group"
    return 201, call.store.add_member(project, kind, body[kind], role).to_json()


def remove_member(call: Call) -> Any:
    project = call.params["name"]
    call.require_project_admin(project)
    kind = call.params["kind"]
    if kind not in ("user", "group"):
        raise HttpError(404, "not_found", "members are under /members/user/ or /members/group/")
    call.store.remove_member(project, kind, call.params["member"])
    return 204, None


# -- robots ----------------------------------------------------------------------------


def list_robots(call: Call) -> Any:
    call.require_admin()
    return [robot.to_json() for robot in call.store.list_robots()]


def add_robot(call: Call) -> Any:
    call.require_admin()
    body = _object(call.body, {"name": str, "permissions": list},
                   {"expires_in": int, "expires_at": str, "description": str})
    permissions: dict[str, list[str]] = {}
    for entry in body["permissions"]:
        entry = _object(entry, {"project": str, "actions": list})
        if not all(isinstance(action, str) for action in entry["actions"]):
            raise HttpError(400, "invalid_request", "actions must list strings")
        if entry["project"] in permissions:
            raise HttpError(400, "invalid_request", f"project {entry['project']!r} twice")
        permissions[entry["project"]] = entry["actions"]
    expires_at = None
    now = call.service.now()
    if "expires_in" in body and "expires_at" in body:
        raise HttpError(400, "invalid_request", "give expires_in or expires_at, not both")
    if "expires_in" in body:
        if not 0 < body["expires_in"] <= 10 * 365 * 86400:
            raise HttpError(400, "invalid_request", "expires_in is seconds, 1 to ten years")
        expires_at = now + datetime.timedelta(seconds=body["expires_in"])
    elif "expires_at" in body:
        try:
            expires_at = datetime.datetime.fromisoformat(body["expires_at"])
        except ValueError:
            raise HttpError(400, "invalid_request", "expires_at is an ISO 8601 time") from None
        if expires_at.tzinfo is None:
            raise HttpError(400, "invalid_request", "expires_at needs a time zone (Z)")
    new = call.store.add_robot(body["name"], permissions, expires_at=expires_at,
                               description=body.get("description", ""))
    return 201, {**new.robot.to_json(), "secret": new.secret}


def remove_robot(call: Call) -> Any:
    call.require_admin()
    call.store.remove_robot(call.params["name"])
    return 204, None


# -- plumbing --------------------------------------------------------------------------


def _authenticate(service: TokenService, request: Request) -> Principal:
    try:
        credentials = basic_credentials(request)
        if credentials is not None:
            principal = service.login(*credentials, client_address(request))
        else:
            token = bearer_token(request)
            if token is None:
                raise HttpError(401, "UNAUTHORIZED", "authentication required",
                                {"WWW-Authenticate": 'Basic realm="tenlayer"'})
            principal = service.bearer_principal(token)
    except Throttled as error:
        raise HttpError(429, "TOOMANYREQUESTS", str(error),
                        {"Retry-After": str(error.retry_after)}) from None
    except LoginRefused as error:
        raise HttpError(401, "UNAUTHORIZED", str(error),
                        {"WWW-Authenticate": 'Basic realm="tenlayer"'}) from None
    if principal.kind != "user":
        raise HttpError(403, "DENIED", "robot accounts cannot use the administration API")
    return principal


class _NotJsonConstant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_constant(name: str) -> Any:
    """Python's reader takes NaN, Infinity and -Infinity; JSON has none of them."""
    raise _NotJsonConstant(name)


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: `{"role": "guest", "role": "admin"}`
    means whatever the reader keeps, so it is refused rather than guessed at."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _RepeatedKey(key)
        document[key] = value
    return document


def _run(service: TokenService, handler: Handler, request: Request, body: bytes) -> Response:
    principal = _authenticate(service, request)
    document: Any = None
    if body:
        try:
            document = json.loads(body, object_pairs_hook=_unique_keys,
                                  parse_constant=_no_constant)
        except _RepeatedKey as repeated:
            raise HttpError(400, "invalid_request",
                            f"the body repeats the key {repeated.key!r}") from None
        except _NotJsonConstant as constant:
            raise HttpError(400, "invalid_request",
                            f"the body has {constant.name}, which is not JSON") from None
        except (ValueError, UnicodeDecodeError) as error:
            if "integer string conversion" in str(error) or "Exceeds the limit" in str(error):
                raise HttpError(400, "invalid_request",
                                "the body has a number too long to read") from None
            raise HttpError(400, "invalid_request", "the body is not JSON") from None
        except RecursionError:  # `[[[[…]]]]` thirty thousand deep: not a request, an attack
            raise HttpError(400, "invalid_request", "the body is nested too deeply") from None
    elif request.method in ("POST", "PATCH"):
        raise HttpError(400, "invalid_request", "a JSON body is required")
    params = {key: str(value) for key, value in request.path_params.items()}
    try:
        result = handler(Call(service, principal, params, document))
    except NotFound as error:
        raise HttpError(404, "not_found", str(error)) from None
    except Conflict as error:
        raise HttpError(409, "conflict", str(error)) from None
    except Invalid as error:
        raise HttpError(400, "invalid_request", str(error)) from None
    status, payload = result if isinstance(result, tuple) else (200, result)
    if status == 204:
        return Response(status_code=204)
    return JSONResponse(payload, status_code=status)


def _endpoint(
    service: TokenService, handler: Handler
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request)
            if body and "json" not in request.headers.get("content-type", ""):
                raise HttpError(415, "unsupported_media_type", "send application/json")
            return await run_in_threadpool(_run, service, handler, request, body)
        except HttpError as error:
            return error.response()

    return endpoint


def api_routes(service: TokenService) -> list[BaseRoute]:
    table: list[tuple[str, str, Handler]] = [
        ("/api/v1/users", "GET", list_users),
        ("/api/v1/users", "POST", add_user),
        ("/api/v1/users/{name}", "PATCH", update_user),
        ("/api/v1/users/{name}", "DELETE", remove_user),
        ("/api/v1/groups", "GET", list_groups),
        ("/api/v1/groups", "POST", add_group),
        ("/api/v1/groups/{name}", "DELETE", remove_group),
        ("/api/v1/groups/{name}/users", "POST", add_group_user),
        ("/api/v1/groups/{name}/users/{user}", "DELETE", remove_group_user),
        ("/api/v1/projects", "GET", list_projects),
        ("/api/v1/projects", "POST", add_project),
        ("/api/v1/projects/{name}", "GET", get_project),
        ("/api/v1/projects/{name}", "PATCH", update_project),
        ("/api/v1/projects/{name}", "DELETE", remove_project),
        ("/api/v1/projects/{name}/members", "GET", list_members),
        ("/api/v1/projects/{name}/members", "POST", add_member),
        ("/api/v1/projects/{name}/members/{kind}/{member}", "DELETE", remove_member),
        ("/api/v1/robots", "GET", list_robots),
        ("/api/v1/robots", "POST", add_robot),
        ("/api/v1/robots/{name}", "DELETE", remove_robot),
    ]
    return [
        Route(path, _endpoint(service, handler), methods=[method])
        for path, method, handler in table
    ]
