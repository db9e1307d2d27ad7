"""Token extraction from a connection and development token issuing."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from werkzeug.datastructures import Headers

from app.auth.dev_tokens import issue_dev_token
from app.auth.tokens import extract_token
from app.config import Settings

SECRET = "dev-secret-for-tests-0123456789abcdef"


def test_token_from_socketio_auth_payload():
    assert extract_token({"token": " abc.def.ghi "}, None) == "abc.def.ghi"


def test_auth_payload_wins_over_header():
    headers = {"Authorization": "Bearer from-header"}
    assert extract_token({"token": "from-auth"}, headers) == "from-auth"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer tok"},
        {"authorization": "bearer tok"},
        {"AUTHORIZATION": "BEARER   tok  "},
        Headers([("Authorization", "Bearer tok")]),
    ],
)
def test_token_from_bearer_header(headers):
    assert extract_token(None, headers) == "tok"


@pytest.mark.parametrize(
    ("auth", "headers"),
    [
        (None, None),
        ({}, {}),
        ({"token": ""}, None),
        ({"token": "   "}, None),
        ({"token": 123}, None),
        ({"token": ["a"]}, None),
        ("token-as-string", None),
        (None, {"Authorization": "Basic dXNlcjpwdw=="}),
        (None, {"Authorization": "Bearer"}),
        (None, {"Authorization": "Bearer "}),
        (None, {"Authorization": "Bearer two words"}),
        (None, {"Authorization": "Token tok"}),
        (None, {"Authorization": "Bearer " + "x" * 20_000}),
        (None, {"QUERY_STRING": "token=abc"}),
    ],
)
def test_no_token(auth, headers):
    assert extract_token(auth, headers) is None


def test_query_string_is_never_a_source():
    environ_like = {"QUERY_STRING": "token=abc.def.ghi", "HTTP_X": "y"}
    assert extract_token({"session_id": "s"}, environ_like) is None


def _settings(env: str) -> Settings:
    extra = {}
    if env == "production":
        extra = {
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "ANSWER_ENGINE": "offline",
            "SUPABASE_URL": "https://example.supabase.co",
        }
    return Settings(_env_file=None, APP_ENV=env, DEV_JWT_SECRET=SECRET, **extra)  # type: ignore[arg-type]


def test_dev_token_claims():
    sub = str(uuid.uuid4())
    before = int(time.time())
    token = issue_dev_token(_settings("development"), sub, email="e@example.com", ttl_s=120)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="authenticated")
    assert claims["sub"] == sub and claims["iss"] == "guia-dev"
    assert claims["email"] == "e@example.com"
    assert before + 120 <= claims["exp"] <= int(time.time()) + 120


def test_dev_token_refused_in_production():
    with pytest.raises(RuntimeError):
        issue_dev_token(_settings("production"), str(uuid.uuid4()))


@pytest.mark.parametrize(("user_id", "ttl"), [("admin", 60), ("", 60), (str(uuid.uuid4()), 0)])
def test_dev_token_bad_arguments(user_id, ttl):
    with pytest.raises(ValueError):
        issue_dev_token(_settings("test"), user_id, ttl_s=ttl)
