"""Buckets in Elasticsearch: one document per bucket, read by id (real time), in ``<ES_INDEX>-buckets``.

A bucket has a name (S3's rules, below), an owner (the user who created it), an ACL, a
location, and the configurations of its lifecycle rules and event notifications (issue 23; JSON,
not indexed). Creating one is ``_create`` (409 if the name is taken: ``BucketAlreadyExists``, or
``BucketAlreadyOwnedByYou``); deleting one is allowed only when no key is listed in it.
"""
import re
import time
from dataclasses import asdict, dataclass, field

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from chapter03_metadata.common.es import MAX_ATTEMPTS, TIMEOUT, MetadataUnavailable, errors
from final.containers.metadata import LeanDocuments
from final.catalog.acl import Acl

NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
RESERVED = {"objects", "locate", "versions", "temp", "healthz", "metrics", "ui", "containers"}
SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}
MAPPING = {"properties": {"name": {"type": "keyword"}, "owner": {"type": "keyword"},
                          "created": {"type": "double"}, "location": {"type": "keyword"},
                          "acl": {"type": "object", "enabled": False},
                          "lifecycle": {"type": "object", "enabled": False},
                          "notification": {"type": "object", "enabled": False}}}
CONFIGURATIONS = ("lifecycle", "notification")


@dataclass
class Bucket:
    name: str
    owner: str
    created: float
    location: str = ""
    acl: dict = field(default_factory=dict)
    lifecycle: dict = field(default_factory=dict)        # catalog.lifecycle's rules: {"rules": [...]}
    notification: dict = field(default_factory=dict)     # events.targets' configuration: {"targets": [...]}

    @property
    def access(self) -> Acl:
        return Acl.from_json(self.acl, self.owner)


def valid_name(name: str) -> bool:
    """S3's current rules in every region: 3-63 of a-z 0-9 . -, starting and ending with a letter or
    digit, no ``..``, not an IP address, not ``xn--``/``-s3alias``; and not a name the book API uses."""
    return bool(NAME.match(name)) and ".." not in name and name not in RESERVED \
        and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name) and not name.startswith(("xn--", "sthree-")) \
        and not name.endswith(("-s3alias", "--ol-s3"))


class Buckets:
    """The buckets of the store."""

    def __init__(self, server: str, index: str, timeout: float = TIMEOUT):
        url = server if server.startswith("http") else f"http://{server}"
        self.es = Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)
        self.index = index
        self._ready = False

    def create(self, name: str, owner: str, acl: Acl, location: str = "") -> Bucket | None:
        """The new bucket, or None when the name is taken (``get`` says by whom)."""
        bucket = Bucket(name, owner, time.time(), location, acl.to_json())
        with errors():
            self._ensure()
            try:
                self.es.create(index=self.index, id=name, document=asdict(bucket))
            except ConflictError:
                return None
        return bucket

    def get(self, name: str) -> Bucket | None:
        with errors():
            self._ensure()
            found = self._get_doc(self.index, name)
        return Bucket(**found["_source"]) if found else None

    def _get_doc(self, index: str, doc_id: str) -> dict | None:
        found = self.es.options(ignore_status=404).get(index=index, id=doc_id)
        return found.body if found.get("found") else None

    def all(self) -> list[Bucket]:
        """Every bucket, by name."""
        with errors():
            self._ensure()
            self.es.indices.refresh(index=self.index)
            hits = self.es.search(index=self.index, size=10000, sort=[{"name": "asc"}])["hits"]["hits"]
        return [Bucket(**hit["_source"]) for hit in hits]

    def set_acl(self, bucket: Bucket, acl: Acl) -> None:
        with errors():
            self.es.update(index=self.index, id=bucket.name, doc={"acl": acl.to_json()})

    def set_configuration(self, bucket: Bucket, which: str, value: dict) -> bool:
        """Replace the bucket's ``lifecycle`` or ``notification`` configuration ({}: none). The whole
        document is written again, if unchanged since it was read (a partial update would merge {}
        into the old value, and this Elasticsearch has no scripts); False when the bucket is gone."""
        if which not in CONFIGURATIONS:
            raise ValueError(which)
        with errors():
            self._ensure()
            for _ in range(MAX_ATTEMPTS):
                found = self.es.options(ignore_status=404).get(index=self.index, id=bucket.name)
                if not found.get("found"):
                    return False
                try:
                    self.es.index(index=self.index, id=bucket.name, document={**found["_source"], which: value},
                                  if_seq_no=found["_seq_no"], if_primary_term=found["_primary_term"])
                    return True
                except ConflictError:
                    continue
        raise MetadataUnavailable("too many concurrent changes of one bucket; try again")

    def delete(self, name: str) -> None:
        with errors():
            try:
                self.es.delete(index=self.index, id=name)
            except NotFoundError:
                pass

    def _ensure(self) -> None:
        if self._ready:
            return
        if not self.es.indices.exists(index=self.index):
            try:
                self.es.indices.create(index=self.index, mappings=MAPPING, settings=SETTINGS)
            except Exception:           # created meanwhile by another api server
                pass
        self.es.cluster.health(index=self.index, wait_for_status="green", timeout="30s")
        # an index made before issue 23 learns the configurations' fields (not indexed either)
        self.es.indices.put_mapping(index=self.index, properties={name: MAPPING["properties"][name]
                                                                  for name in CONFIGURATIONS})
        self._ready = True


class LeanBuckets(LeanDocuments, Buckets):
    """Buckets read on final/'s lean Elasticsearch connection: every S3 request reads its bucket."""
