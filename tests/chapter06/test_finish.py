"""How the pipeline ends an upload whose commit met another request (fakes: pure logic)."""
import hashlib
from types import SimpleNamespace

import pytest

from chapter03_metadata.common import digest
from chapter06_resumable.api_server.store import Objects
from chapter06_resumable.common.resumable import UploadChanged

DATA = b"the bytes both requests checked"


class Upload:
    def __init__(self, commit):
        self.upload = SimpleNamespace(name="race", hash=digest.of(DATA), size=len(DATA))
        self._commit, self.dropped = commit, False

    def commit(self):
        return self._commit()

    def drop(self):
        self.dropped = True


def pipeline(located: list) -> Objects:
    """Chapter 6's pipeline whose locate answers the successive lists of ``located``."""
    answers = iter(located)
    metadata = SimpleNamespace(versions=[])
    metadata.add_version = lambda *args, **fields: metadata.versions.append(args)
    return Objects(None, SimpleNamespace(locate=lambda key: next(answers)), metadata)


def changed():
    raise UploadChanged("another request committed part of it")


def test_a_commit_split_with_another_request_that_checked_the_same_bytes_adds_the_version():
    objects = pipeline([[], list(range(6))])     # none before the commit; all six after both committed
    objects.finish_upload(Upload(changed), hashlib.sha256(DATA))
    assert objects.metadata.versions == [("race", digest.of(DATA), len(DATA))]


def test_a_commit_left_with_fewer_than_four_shards_is_409_and_adds_nothing():
    objects = pipeline([[], [0, 1, 2]])
    with pytest.raises(UploadChanged):
        objects.finish_upload(Upload(changed), hashlib.sha256(DATA))
    assert objects.metadata.versions == []


def test_a_commit_of_four_or_five_checked_shards_adds_the_version():
    objects = pipeline([[]])
    objects.finish_upload(Upload(lambda: False), hashlib.sha256(DATA))
    assert len(objects.metadata.versions) == 1


def test_a_wrong_hash_drops_the_upload_and_commits_nothing():
    objects = pipeline([])
    upload = Upload(lambda: pytest.fail("committed"))
    with pytest.raises(digest.DigestMismatch):
        objects.finish_upload(upload, hashlib.sha256(b"other bytes"))
    assert upload.dropped and objects.metadata.versions == []
