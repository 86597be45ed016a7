"""Local filesystem storage: ``storage.LocalStorage`` (built by ``storage.create``); ``commit``
stages and commits batches durably, ``layout`` is the documented key and sidecar layout,
``owner`` the temp-file ownership and sweep, ``sync`` the filesystem barriers.
"""
