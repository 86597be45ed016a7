"""ASC MHL histories on disk and in storage: read, verify and extend a chain of
generations (``history``), and verify a folder against its lists (``verify``).
"""
