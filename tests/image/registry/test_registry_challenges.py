"""`WWW-Authenticate` parsing: several challenges, quoting, bare tokens."""

from __future__ import annotations

from tenlayer.image.registry.auth import Challenge, basic_header, parse_challenges


def test_bearer_challenge_as_docker_hub_sends_it() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull"'
    )
    assert parse_challenges([header]) == [
        Challenge("bearer", {
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:library/alpine:pull",
        })
    ]


def test_several_challenges_quoting_and_case() -> None:
    values = [
        'Basic realm="a \\"quoted\\" realm", charset=UTF-8, Bearer realm=https://t/x ,'
        'error="insufficient_scope"',
        "Negotiate",
    ]
    assert parse_challenges(values) == [
        Challenge("basic", {"realm": 'a "quoted" realm', "charset": "UTF-8"}),
        Challenge("bearer", {"realm": "https://t/x", "error": "insufficient_scope"}),
        Challenge("negotiate", {}),
    ]
    assert parse_challenges([""]) == []


def test_basic_header() -> None:
    assert basic_header("alice", "pa:ss") == "Basic YWxpY2U6cGE6c3M="
