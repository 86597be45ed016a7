"""Render jobs across farms: submit, follow, cancel and remember them (``jobs.RenderJobService``),
kept fresh from the farms by its poller (``poller.RenderPoller``); the OpenCue queue summary
(``opencue_status.OpenCueStatusService``).
"""
