"""Review on any tracker: list Versions, set review statuses, build playlists (``versions``) and
list a playlist's Versions (``playlists``).
"""
