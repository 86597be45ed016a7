"""The dashboard's figures: per-project metrics with a bounded cache
(``service.DashboardService``), the project registry (``project_registry.ProjectRegistry``), the
workload summary of the pages (``workload.workload_summary``) and media durations
(``media_durations.MediaDurations``).
"""
