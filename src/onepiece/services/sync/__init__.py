"""Folder sync with S3: the use case (``s3.run_sync``: request checks, exact summary)
over the s5cmd driver in ``adapters/storage/s5cmd.py``, with the checks made
before s5cmd runs (``checks``).
"""
