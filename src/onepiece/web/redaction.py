"""What an anonymous client may see: no server paths, no user or host names.

Read routes are open by default (no ``TRAFALGAR_READ_TOKEN``), so their
answers to a client without a valid token leave out where files live on the
server and who did what. A valid read or dashboard token gets everything.
``role`` is what ``ReadAuth`` returned: ``None`` for an anonymous client.
"""

from __future__ import annotations

import re
from typing import Any

from onepiece.web.deps import Role

HIDDEN = "<hidden>"

# Absolute POSIX or Windows paths, and ~/ paths, inside free text (error messages).
_PATH_IN_TEXT = re.compile(r"(?:(?<!\w)[A-Za-z]:[\\/]|~/|(?<![\w.:/])/(?=[\w.~-]))[^\s'\"(),;:]*")

# URLs that name a user or a database server (postgresql://op@db/state,
# sqlite:///..., https://op@host): web addresses without a user stay readable.
_URL_IN_TEXT = re.compile(
    r"\b(?:(?!https?://)[A-Za-z][A-Za-z0-9+.-]*://|https?://[^\s/'\"@]*@)[^\s'\"]*"
)

# Keys whose values name a place on the server or a person, wherever they appear.
_PRIVATE_KEYS = {"path", "user", "host", "pid", "scene", "output"}

# Run registry fields an anonymous client may see; the rest (folder,
# report_path, manifest, host, pid, user, summary...) stays with token holders.
RUN_PUBLIC_FIELDS = (
    "id",
    "status",
    "project",
    "show",
    "source",  # the vendor name (the folder is ``folder``); paths in it are hidden anyway
    "dry_run",
    "started_at",
    "updated_at",
    "completed_at",
    "counts",
)


def is_anonymous(role: Role | None) -> bool:
    return role is None


def scrub_text(text: str) -> str:
    """Free text with every path, and every URL naming a user or a database, replaced."""
    return _PATH_IN_TEXT.sub(HIDDEN, _URL_IN_TEXT.sub(HIDDEN, text))


def scrub(value: Any) -> Any:
    """A JSON value without private keys, and with paths in its strings hidden."""
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items() if not _is_private_key(str(key))}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def _is_private_key(key: str) -> bool:
    return key in _PRIVATE_KEYS or key.endswith(("_path", "_dir", "_file"))


PRIVATE_JOB_FIELDS: dict[str, None] = {"scene": None, "output": None, "user": None}


def public_job(job: dict[str, Any]) -> dict[str, Any]:
    """A job as an anonymous client sees it: scene, output and user are ``null``,
    in the job and in the ``request`` that stream events carry (docs/api.md)."""
    message = job.get("message")
    shown = {
        **job,
        **PRIVATE_JOB_FIELDS,
        "message": scrub_text(message) if isinstance(message, str) else message,
    }
    asked = job.get("cancel_requested")
    if isinstance(asked, str):  # a reason typed by an admin, like a message
        shown["cancel_requested"] = scrub_text(asked)
    request = job.get("request")
    if isinstance(request, dict):
        shown["request"] = {**request, **PRIVATE_JOB_FIELDS}
    return shown


def public_run(run: dict[str, Any]) -> dict[str, Any]:
    return {key: scrub(run[key]) for key in RUN_PUBLIC_FIELDS if key in run}
