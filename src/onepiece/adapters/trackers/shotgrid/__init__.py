"""ShotGrid (Flow Production Tracking) through ``shotgun_api3``: ``tracker.ShotGridTracker`` (built
by ``tracker.create``) over one ``session.ShotGridSession`` with retries (``retry``); ``fields``
and ``media_fields`` map entities, ``hierarchy``, ``versions`` and ``playlists`` hold the calls
per concern.
"""
