"""The running SHA-256 of uploads whose every piece one api process took (pure logic)."""
import hashlib
from types import SimpleNamespace

from chapter06_resumable.common.resumable import RunningHashes

V = ["v1"] * 6                   # the versions the six temps were left at


def test_an_upload_starts_from_an_empty_hash_and_needs_no_versions():
    sha, versions = RunningHashes().resume("token", 0)
    assert sha.digest() == hashlib.sha256().digest() and versions is None


def test_a_kept_hash_goes_on_from_where_it_covered_with_its_versions():
    hashes = RunningHashes()
    sha, _ = hashes.resume("token", 0)
    sha.update(b"x" * 64000)
    hashes.keep("token", 64000, sha, V)
    again, versions = hashes.resume("token", 64000)
    again.update(b"y" * 10)
    assert again.digest() == hashlib.sha256(b"x" * 64000 + b"y" * 10).digest()
    assert versions == V


def test_a_piece_at_another_offset_finds_nothing():
    hashes = RunningHashes()
    hashes.keep("token", 64000, hashlib.sha256(b"x" * 64000), V)
    assert hashes.resume("token", 32000) == (None, None)
    assert hashes.resume("token", 64000) == (None, None)     # a mismatch drops it: the read-back decides


def test_a_hash_is_taken_by_one_writer_only():
    hashes = RunningHashes()
    hashes.keep("token", 96000, hashlib.sha256(), V)
    assert hashes.resume("token", 96000)[0] is not None
    assert hashes.resume("token", 96000) == (None, None)


def test_an_upload_seen_elsewhere_or_not_hashed_has_no_entry():
    hashes = RunningHashes()
    assert hashes.resume("other", 32000) == (None, None)
    hashes.keep("token", 32000, None, V)
    assert hashes.resume("token", 32000) == (None, None)


def test_a_hash_without_every_version_is_not_kept():
    hashes = RunningHashes()
    hashes.keep("token", 32000, hashlib.sha256(), ["v1"] * 5 + [None])
    assert hashes.resume("token", 32000) == (None, None)


def test_the_hash_holds_only_if_the_piece_found_the_temps_as_it_left_them():
    found = SimpleNamespace(before=list(V))
    assert RunningHashes.holds(V, found)
    assert RunningHashes.holds(None, found)                  # a piece from byte 0 rewrites them all
    assert not RunningHashes.holds(V, SimpleNamespace(before=V[:5] + ["v3"]))
    assert not RunningHashes.holds(V, SimpleNamespace(before=V[:5] + [None]))


def test_the_oldest_hashes_go_first_beyond_the_bound():
    hashes = RunningHashes(most=2)
    for name in ("a", "b", "c"):
        hashes.keep(name, 32000, hashlib.sha256(), V)
    assert hashes.resume("a", 32000) == (None, None)
    assert hashes.resume("b", 32000)[0] is not None and hashes.resume("c", 32000)[0] is not None


def test_a_piece_from_byte_0_drops_what_was_kept():
    hashes = RunningHashes()
    hashes.keep("token", 64000, hashlib.sha256(b"x" * 64000), V)
    assert hashes.resume("token", 0)[0].digest() == hashlib.sha256().digest()
    assert hashes.resume("token", 64000) == (None, None)
