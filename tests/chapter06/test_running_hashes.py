"""The running SHA-256 of uploads whose every piece one api process took (pure logic)."""
import hashlib

from chapter06_resumable.common.resumable import RunningHashes


def test_an_upload_starts_from_an_empty_hash():
    assert RunningHashes().resume("token", 0).digest() == hashlib.sha256().digest()


def test_a_kept_hash_goes_on_from_where_it_covered():
    hashes = RunningHashes()
    sha = hashes.resume("token", 0)
    sha.update(b"x" * 64000)
    hashes.keep("token", 64000, sha)
    again = hashes.resume("token", 64000)
    again.update(b"y" * 10)
    assert again.digest() == hashlib.sha256(b"x" * 64000 + b"y" * 10).digest()


def test_a_piece_at_another_offset_finds_nothing():
    hashes = RunningHashes()
    hashes.keep("token", 64000, hashlib.sha256(b"x" * 64000))
    assert hashes.resume("token", 32000) is None
    assert hashes.resume("token", 64000) is None        # a mismatch drops it: the read-back decides


def test_a_hash_is_taken_by_one_writer_only():
    hashes = RunningHashes()
    hashes.keep("token", 96000, hashlib.sha256())
    assert hashes.resume("token", 96000) is not None
    assert hashes.resume("token", 96000) is None


def test_an_upload_seen_elsewhere_or_not_hashed_has_no_entry():
    hashes = RunningHashes()
    assert hashes.resume("other", 32000) is None
    hashes.keep("token", 32000, None)
    assert hashes.resume("token", 32000) is None


def test_the_oldest_hashes_go_first_beyond_the_bound():
    hashes = RunningHashes(most=2)
    for name in ("a", "b", "c"):
        hashes.keep(name, 32000, hashlib.sha256())
    assert hashes.resume("a", 32000) is None
    assert hashes.resume("b", 32000) is not None and hashes.resume("c", 32000) is not None
