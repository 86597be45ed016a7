"""Deliver Versions out of the studio: a verified ZIP with manifests (``deliver.deliver``), a
MediaShuttle-ready folder for a playlist (``playlist_package.package_playlist``) and the
delivery manifests Trafalgar serves (``manifests.DeliveryManifests``).
"""
