"""S3 storage through boto3: ``storage.S3Storage`` (built by ``storage.create``); ``client`` builds
the boto3 client, ``multipart`` streams uploads with checksums, ``errors`` maps botocore
failures to ours.
"""
