"""Tokens passed as query parameters never reach uvicorn's log lines."""

from __future__ import annotations

import logging

from onepiece.web.server import RedactTokens, redact


def test_redact_masks_token_query_values_only() -> None:
    assert redact("/ws/jobs?token=s3cr3t&x=1") == "/ws/jobs?token=***&x=1"
    assert redact("/a?x=1&token=s3cr3t") == "/a?x=1&token=***"
    assert redact("/a?mytoken=keep") == "/a?mytoken=keep"


def test_filter_rewrites_access_log_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/health?token=abc123", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert "abc123" not in record.getMessage()
    assert "token=***" in record.getMessage()
