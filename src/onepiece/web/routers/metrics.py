"""Placeholder router: routes land in the next commits on the web branch."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
