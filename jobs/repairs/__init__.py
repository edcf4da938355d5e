"""Stale key repairs: find and fix what older writers left between the Jobs table and S3.

One scanner (`scanner`) and one repairer (`repairer`), shared by the admin page, the API
(`GET /api/repairs/`) and `manage.py repair_stale_keys` through `services`.
"""
