"""The two forms content is stored in from chapter 7 on, told apart by the shards' names.

A plain object's shards are the book's ``<key>.<i>``; a packed one's (gzipped before it was
erasure-coded, ``common/packed.py``) are ``<key>.p.<i>``. Both forms of one content may exist at
once (a resumable upload and a PUT of the same bytes, racing): with the form in the name, a read
takes all its shards from one form and never decodes a mix (issue 18). Shared by the api and the
data servers.
"""
PACKED = ".p"                       # what a packed shard's name adds after the object key
FORM_PATTERN = r"(?:\.p)?"          # the form part of a shard's name: plain (empty) or packed


def packed_name(key: str) -> str:
    """The name under which the shards of ``key``'s packed form are kept (``<key>.p``)."""
    return key + PACKED
