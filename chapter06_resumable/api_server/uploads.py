"""Where api servers open and find resumable uploads: tokens signed with one shared secret.

The secret is ``UPLOAD_SECRET`` when set; otherwise the first api server creates a random one in
Elasticsearch (``<ES_INDEX>-config``, document ``upload-secret``, created only if absent) and every
api server reads that one, so any api server continues an upload another one started.
"""
import secrets
import time

from elasticsearch import ConflictError

from chapter01_single.errors import ServiceUnavailable
from chapter03_metadata.common import digest
from chapter03_metadata.common.es import Metadata, errors
from chapter06_resumable.common import token
from chapter06_resumable.common.resumable import ResumableUpload


class Uploads:
    """Opens uploads and turns tokens back into them."""

    def __init__(self, metadata: Metadata, servers, ttl: float, secret: str = ""):
        self.metadata, self.servers, self.ttl = metadata, servers, ttl
        self._secret = secret.encode() or None

    def open(self, name: str, size: int, hash: str, servers: list[str]) -> str:
        """Create the six temps and answer the token of the new upload."""
        uuids = ResumableUpload.create(servers, digest.key(hash), size)
        upload = token.Upload(name, size, hash, servers, uuids, time.time() + self.ttl)
        return token.issue(upload, self.secret())

    def resume(self, text: str) -> ResumableUpload:
        """The upload of a genuine, live token whose servers are all live cluster members."""
        upload = token.verify(text, self.secret())
        live = set(self.servers.live())
        if not set(upload.servers) <= live:
            raise ServiceUnavailable("a data server of this upload is not available; try again later")
        return ResumableUpload(upload)

    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = self._shared_secret()
        return self._secret

    def _shared_secret(self) -> bytes:
        index = f"{self.metadata.index}-config"
        with errors():
            try:
                self.metadata.es.create(index=index, id="upload-secret", document={"value": secrets.token_hex(32)})
            except ConflictError:
                pass                     # another api server made it first: use theirs
            return self.metadata.es.get(index=index, id="upload-secret")["_source"]["value"].encode()
