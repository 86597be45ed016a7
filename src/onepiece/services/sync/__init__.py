"""Folder sync with S3 through the s5cmd binary (``s3.run_sync``), with the checks made before it
runs (``checks``).
"""
