"""Ingest a delivery folder: scan names and manifests, copy with checksums in one read, commit
durably, register Versions, write the report.

Entry points: ``service.run_ingest`` (with ``service.plan_ingest`` and
``options.IngestOptions``).
"""
