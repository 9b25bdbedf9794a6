"""The ObjectStore protocol and its S3 implementation on the minio SDK.

Works with MinIO, SeaweedFS and AWS S3. User metadata must be ASCII (S3 sends it as HTTP
headers); Chinese text belongs in the database or a JSON object, never in ``x-amz-meta-*``.
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

import certifi
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from urllib3 import PoolManager, Retry, Timeout
from urllib3.exceptions import HTTPError as Urllib3Error

from disclosure.errors import ObjectNotFound, ServiceUnavailable, first_line

logger = logging.getLogger(__name__)
_MISSING = frozenset({"NoSuchKey", "NoSuchObject"})
# The endpoint does not accept govpub's credentials: a misconfiguration, or keys rotated under it.
_REFUSED = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
                      "ExpiredToken", "AuthorizationHeaderMalformed", "InvalidSecurity"})  # fmt: skip
# The endpoint is there but cannot serve now.
_BUSY = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "XMinioServerNotInitialized"})


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store says about one object."""

    key: str
    size: int
    metadata: Mapping[str, str]
    etag: str | None = None  # as the server sends it, without quotes
    last_modified: datetime | None = None
    content_type: str | None = None


class ObjectStore(Protocol):
    """What govpub needs from object storage."""

    def ensure_bucket(self, bucket: str) -> None:
        """Create the bucket if it does not exist."""

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes | BinaryIO,
        *,
        length: int,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Store an object (replacing any under the same key)."""

    def get(self, bucket: str, key: str) -> bytes:
        """Read a whole object; raise ObjectNotFound if absent."""

    def stat(self, bucket: str, key: str) -> StoredObject | None:
        """Describe an object, or None if absent."""

    def presign_get(self, bucket: str, key: str, expires: timedelta, *, content_type: str | None = None) -> str:
        """A URL that reads one private object without credentials until it expires; answered with
        ``content_type`` as its Content-Type when one is given (else the stored one)."""

    def delete(self, bucket: str, key: str) -> None:
        """Remove an object if present."""

    def list_keys(self, bucket: str, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, recursively."""

    def allow_public_read(self, bucket: str, prefixes: Sequence[str]) -> None:
        """Let anyone GET objects under these prefixes (not list them)."""

    def list_modified(self, bucket: str, prefix: str = "") -> Iterator[tuple[str, datetime]]:
        """(key, last modified) under a prefix, recursively."""


def check_ascii_metadata(metadata: Mapping[str, object]) -> None:
    """Refuse metadata S3 cannot carry: every key and value must be printable ASCII."""
    for name, value in metadata.items():
        text = str(value)
        if not (name.isascii() and text.isascii() and name.isprintable() and text.isprintable()):
            raise ValueError(f"S3 metadata must be printable ASCII: {name!r}")


class S3ObjectStore:
    """ObjectStore on any S3 endpoint, through an injected minio client."""

    def __init__(self, client: Minio, *, endpoint_url: str = "") -> None:
        self._client = client
        self.endpoint_url = endpoint_url  # e.g. http://127.0.0.1:8333/ (for public URLs)

    @classmethod
    def connect(
        cls, endpoint: str, *, access_key: str, secret_key: str, secure: bool, region: str | None,
        timeout: float = 30.0,
    ) -> S3ObjectStore:  # fmt: skip
        """Build the minio client for an endpoint: each attempt waits at most ``timeout`` seconds to
        connect and for each answer (minio's own default is five minutes, so a server that hangs held
        every request for half an hour of retries); see ``http_client``."""
        client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region,
                       http_client=http_client(timeout))  # fmt: skip
        return cls(client, endpoint_url=f"{'https' if secure else 'http'}://{endpoint}/")

    def ensure_bucket(self, bucket: str) -> None:
        """Create the bucket if it does not exist."""
        with _translated(bucket):
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket)
                except S3Error as exc:
                    if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes | BinaryIO,
        *,
        length: int,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Store an object (replacing any under the same key)."""
        meta: dict[str, str | list[str] | tuple[str]] = dict(metadata or {})
        check_ascii_metadata(meta)
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        with _translated(bucket, key):
            self._client.put_object(bucket, key, stream, length, content_type=content_type, metadata=meta or None)

    def get(self, bucket: str, key: str) -> bytes:
        """Read a whole object; raise ObjectNotFound if absent."""
        with _translated(bucket, key):
            response = self._client.get_object(bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def stat(self, bucket: str, key: str) -> StoredObject | None:
        """Describe an object, or None if absent."""
        try:
            with _translated(bucket, key):
                found = self._client.stat_object(bucket, key)
        except ObjectNotFound:
            return None
        meta = {
            name.lower().removeprefix("x-amz-meta-"): value
            for name, value in (found.metadata or {}).items()
            if name.lower().startswith("x-amz-meta-")
        }
        return StoredObject(key=key, size=found.size or 0, metadata=meta, etag=found.etag,
                            last_modified=found.last_modified, content_type=found.content_type)  # fmt: skip

    def presign_get(self, bucket: str, key: str, expires: timedelta, *, content_type: str | None = None) -> str:
        """A URL that reads one private object without credentials until it expires; answered with
        ``content_type`` as its Content-Type when one is given (S3's signed ``response-content-type``)."""
        headers: dict[str, str | list[str] | tuple[str]] | None = (
            {"response-content-type": content_type} if content_type else None
        )
        with _translated(bucket, key):
            url: str = self._client.presigned_get_object(bucket, key, expires=expires, response_headers=headers)
            return url

    def delete(self, bucket: str, key: str) -> None:
        """Remove an object if present."""
        with _translated(bucket, key):
            self._client.remove_object(bucket, key)

    def allow_public_read(self, bucket: str, prefixes: Sequence[str]) -> None:
        """A bucket policy granting anonymous s3:GetObject under the prefixes (no listing)."""
        policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*" for prefix in prefixes],
            }],
        }  # fmt: skip
        with _translated(bucket):
            try:
                self._client.set_bucket_policy(bucket, json.dumps(policy))
            except S3Error as exc:  # e.g. AWS Block Public Access: the website/CDN serves the bucket then
                logger.warning("public-read policy on %s refused (%s); serve it through GOVPUB_FEEDS_BASE_URL",
                               bucket, exc.code)  # fmt: skip

    def list_keys(self, bucket: str, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, recursively."""
        with _translated(bucket, prefix):
            for item in self._client.list_objects(bucket, prefix=prefix, recursive=True):
                if item.object_name is not None:
                    yield item.object_name

    def list_modified(self, bucket: str, prefix: str = "") -> Iterator[tuple[str, datetime]]:
        """(key, last modified) under a prefix, recursively."""
        with _translated(bucket, prefix):
            for item in self._client.list_objects(bucket, prefix=prefix, recursive=True):
                if item.object_name is not None and item.last_modified is not None:
                    yield item.object_name, item.last_modified


def http_client(timeout: float) -> PoolManager:
    """minio's HTTP client with bounded waits: a refused connection or a 5xx is tried again 5 times
    with backoff (0.4, 0.8, 1.6, 3.2 s: about 6 s, then ServiceUnavailable); a server that accepts but
    does not answer within ``timeout`` is asked once more (every request is idempotent: keys are
    content-addressed or rewritten whole)."""
    return PoolManager(
        timeout=Timeout(connect=timeout, read=timeout), maxsize=10, cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=Retry(total=5, read=1, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )  # fmt: skip


class _translated:  # noqa: N801 - used as a context manager, reads like a phrase
    """Translate the store errors we expect; re-raise everything else untouched."""

    def __init__(self, bucket: str, key: str = "") -> None:
        self._where = f"{bucket}/{key}"

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, S3Error) and exc.code in _MISSING:
            raise ObjectNotFound(self._where) from None
        if isinstance(exc, S3Error) and exc.code in _REFUSED:
            raise ServiceUnavailable(
                f"object store refused govpub's credentials ({exc.code}, at {self._where}): "
                "check GOVPUB_STORE_ACCESS_KEY and GOVPUB_STORE_SECRET_KEY"
            ) from exc
        if isinstance(exc, S3Error) and exc.code in _BUSY:
            raise ServiceUnavailable(f"object store cannot serve now ({exc.code}, at {self._where})") from exc
        if isinstance(exc, ServerError | InvalidResponseError):
            raise ServiceUnavailable(f"object store answered an error ({first_line(exc)}, at {self._where})") from exc
        if isinstance(exc, Urllib3Error | ConnectionError):
            raise ServiceUnavailable(f"object store unreachable ({self._where}): {_reason(exc)}") from exc


_SHORT_REASONS = (("Connection refused", "connection refused"), ("reset by peer", "connection reset"),
                  ("Read timed out", "no answer in time"), ("without response", "connection closed"))  # fmt: skip


def _reason(exc: BaseException) -> str:
    """The innermost cause of a connection failure, in one short line (urllib3 nests them: in ``reason``,
    or in a ProtocolError's arguments)."""
    reason: BaseException = exc
    while True:
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in reason.args if isinstance(arg, BaseException)), None)
        if inner is None:
            break
        reason = inner
    text = first_line(reason)
    for known, short in _SHORT_REASONS:
        if known in text:
            return short
    return text.split(": ", 1)[-1] if text.startswith("<") else text
