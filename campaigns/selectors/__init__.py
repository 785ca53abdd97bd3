"""Reads of the campaigns app: audiences, personal content and reports.

Everything here works on sets: a segment is one query, the personal content of a batch
of messages a fixed number of queries, and the report a few aggregate queries whatever
the number of campaigns and messages.
"""
