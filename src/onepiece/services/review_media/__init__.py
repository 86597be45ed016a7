"""Review media: thumbnails and H.264 review movies for Versions (docs/review_media.md).

``options`` (what to make, from settings), ``colour`` (OpenColorIO),
``stills`` (OpenImageIO reads), ``encode`` (PyAV writes), ``movies`` and
``sequences`` (one Version's derivatives), ``worker`` (a bounded pool that
stores and attaches them), ``rebuild`` (``onepiece review rebuild``).
OpenImageIO, OpenColorIO and PyAV are imported lazily, only where pixels are
touched, so the CLI starts fast.
"""
