"""The embedded render farm: real processes on this host (``farm.LocalFarm``, built by
``farm.create``); ``runner`` is the process that renders one job's chunks.
"""
