"""The embedded tracker: one SQLite file (``tracker.LocalTracker``, built by ``tracker.create``);
``migrations`` versions its schema, ``rows`` maps rows to domain entities, ``hierarchy`` and
``playlists`` hold the queries per concern.
"""
