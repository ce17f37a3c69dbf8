"""The one secret redactor: each shape of secret it promises to catch, and what it leaves alone."""
from __future__ import annotations

import io
import json
import logging

import pytest

from predguard.redact import MARK, RedactingFilter, redact, register

GCP_KEY = json.dumps({
    "type": "service_account",
    "project_id": "demo",
    "private_key_id": "0123456789abcdef0123456789abcdef01234567",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n",
    "client_email": "bot@demo.iam.gserviceaccount.com",
})


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("connect postgresql://app:s3cr3t-pw@db.internal:5432/x failed", "s3cr3t-pw", "postgresql://app:"),
        ("GET https://api.example/v1?token=abc123XYZ&page=2", "abc123XYZ", "page=2"),
        ("GET https://api.example/v1?page=2&api_key=k-998877", "k-998877", "page=2"),
        ("GET https://x.example/o?X-Goog-Signature=feedbeef00&alt=media", "feedbeef00", "alt=media"),
        ("headers: Authorization: Bearer ya29.a0AfH6SMB-long_token", "ya29.a0AfH6SMB-long_token", "Authorization"),
        ("header Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Authorization"),
        ("retrying with bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9.e30.sig", "retrying with"),
        ("slack said invalid_auth for xoxb-123-456-AbCdEf", "xoxb-123-456-AbCdEf", "invalid_auth"),
        ("app token xapp-1-A0-123-abc", "xapp-1-A0-123-abc", "app token"),
        ("posting to https://hooks.slack.com/services/T0/B0/XXXX now", "T0/B0/XXXX", "posting to"),
        (f"bad key file: {GCP_KEY}", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "bot@demo.iam.gserviceaccount.com"),
        (f"bad key file: {GCP_KEY}", "0123456789abcdef0123456789abcdef01234567", '"project_id": "demo"'),
    ],
)
def test_each_secret_shape_is_redacted_and_the_rest_kept(text: str, secret: str, kept: str) -> None:
    out = redact(text)
    assert secret not in out and MARK in out
    assert kept in out


def test_a_pem_key_with_real_newlines_is_removed_whole() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\nq1w2e3r4\n-----END RSA PRIVATE KEY-----\n"
    assert redact(f"loaded {pem}done") == f"loaded {MARK}done"


def test_ordinary_text_is_unchanged() -> None:
    for text in ("token expired; refresh it", "https://example.com/a?page=2&sort=asc", "authorization failed",
                 "the key column is id", "user@host:path", "C:\\temp\\x"):
        assert redact(text) == text


def test_secret_named_keys_are_redacted_whatever_their_value_and_nested() -> None:
    value = {"channel": "#alerts", "slack_token": "anything", "nested": [{"password": 1, "n": "ok"}], "api_key": None}
    assert redact(value) == {"channel": "#alerts", "slack_token": MARK, "nested": [{"password": MARK, "n": "ok"}], "api_key": MARK}
    assert redact(3) == 3 and redact(None) is None


def test_a_registered_secret_is_redacted_whatever_it_looks_like() -> None:
    odd = "plain-looking-secret-6c1f9e"
    assert redact(f"value {odd}") == f"value {odd}"
    register(odd)
    assert redact(f"value {odd} again") == f"value {MARK} again"
    register("")  # an unset secret must not turn every string into [redacted]
    assert redact("abc") == "abc"


def test_the_filter_redacts_a_third_party_logger_message_with_its_arguments() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("predguard.test_redact_filter")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.addFilter(RedactingFilter())
    logger.propagate = False
    try:
        logger.warning("POST %s -> %d", "https://hooks.slack.com/services/T1/B1/zzz", 200)
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == f"POST {MARK} -> 200\n"


def test_values_of_secret_named_environment_variables_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_DB_PASSWORD", "plain-words-42")  # no secret shape: only its name says so
    monkeypatch.setenv("BILLING_API_KEY", "k1234567890")
    monkeypatch.setenv("FEATURE_TOKEN_TTL", "3600")  # too short to be worth erasing everywhere
    monkeypatch.setenv("WAREHOUSE_HOST", "db.internal.example")  # not a secret name
    out = redact("login to db.internal.example with plain-words-42 failed (key k1234567890, ttl 3600)")
    assert out == f"login to db.internal.example with {MARK} failed (key {MARK}, ttl 3600)"
    monkeypatch.delenv("WAREHOUSE_DB_PASSWORD")
    assert "plain-words-42" in redact("plain-words-42")  # read each time, not frozen at start-up
