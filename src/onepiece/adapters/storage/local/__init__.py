"""Local filesystem storage: ``storage.LocalStorage`` (built by ``storage.create``); ``commit``
stages and commits batches durably, ``publish`` puts committed objects in place under their
folder's lock, ``records`` says where an object's record lives (an attribute of its file, else
a sidecar), ``layout`` is the documented key and sidecar layout, ``failures`` the errors it
answers with, ``owner`` the temp-file ownership and sweep, ``sync`` the filesystem barriers.
"""
