"""Render jobs across farms: submit, follow, cancel and remember them (``jobs.RenderJobService``);
the OpenCue queue summary (``opencue_status.OpenCueStatusService``).
"""
