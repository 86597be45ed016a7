"""Compare the tracker, storage and manifests (``service.reconcile``); ``storage`` walks what
storage really holds, with an optional re-hash.
"""
