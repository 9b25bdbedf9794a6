"""The S3 adapter against a real SeaweedFS through the minio SDK."""

from datetime import timedelta

import httpx
import pytest

from disclosure.errors import ObjectNotFound, ServiceUnavailable
from storage.objectstore import S3ObjectStore


def test_put_get_stat_list_delete(store, bucket_prefix):
    bucket = bucket_prefix + "b"
    store.ensure_bucket(bucket)
    store.ensure_bucket(bucket)  # idempotent
    body = "政務(wù)公开".encode()
    store.put(bucket, "drafts/d/1/body.txt", body, length=len(body),
              content_type="text/plain; charset=utf-8", metadata={"sha256": "abc"})  # fmt: skip
    assert store.get(bucket, "drafts/d/1/body.txt") == body
    found = store.stat(bucket, "drafts/d/1/body.txt")
    assert found is not None
    assert found.size == len(body)
    assert found.metadata == {"sha256": "abc"}
    assert list(store.list_keys(bucket, "drafts/")) == ["drafts/d/1/body.txt"]
    store.delete(bucket, "drafts/d/1/body.txt")
    assert store.stat(bucket, "drafts/d/1/body.txt") is None
    with pytest.raises(ObjectNotFound):
        store.get(bucket, "drafts/d/1/body.txt")


def test_a_presigned_link_answers_with_the_content_type_it_names(store, bucket_prefix):
    bucket = bucket_prefix + "b"
    store.ensure_bucket(bucket)
    text = "政务公开工作要点".encode()
    store.put(bucket, "attachments/sha256/a", text, length=len(text), content_type="text/plain")  # as intake does
    stored = httpx.get(store.presign_get(bucket, "attachments/sha256/a", timedelta(minutes=1)))
    assert (stored.content, stored.headers["content-type"]) == (text, "text/plain")
    url = store.presign_get(bucket, "attachments/sha256/a", timedelta(minutes=1),
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    named = httpx.get(url)
    assert (named.status_code, named.headers["content-type"]) == (200, "text/plain; charset=utf-8")
    assert named.text == "政务公开工作要点"
    signed = httpx.URL(url)  # the type is part of what is signed: another one is refused
    other = signed.copy_set_param("response-content-type", "text/html; charset=utf-8")
    assert httpx.get(other).status_code == 403


def test_chinese_metadata_is_refused_before_any_request(store, bucket_prefix):
    bucket = bucket_prefix + "b"
    store.ensure_bucket(bucket)
    with pytest.raises(ValueError, match="ASCII"):
        store.put(bucket, "k", b"x", length=1, content_type="text/plain", metadata={"title": "标题"})
    assert list(store.list_keys(bucket)) == []


def test_unreachable_endpoint_is_service_unavailable():
    from minio import Minio
    from urllib3 import PoolManager, Timeout

    client = Minio("127.0.0.1:9", access_key="a", secret_key="b", secure=False,
                   http_client=PoolManager(timeout=Timeout(1), retries=False))  # fmt: skip
    with pytest.raises(ServiceUnavailable):
        S3ObjectStore(client).ensure_bucket("govpub-private")


def test_wrong_credentials_are_a_readable_service_error(seaweed):
    for access, secret in (("nobody", "nothing12"), (seaweed.access_key, "not-the-secret")):
        wrong = S3ObjectStore.connect(seaweed.address, access_key=access, secret_key=secret,
                                      secure=False, region=None)  # fmt: skip
        with pytest.raises(ServiceUnavailable, match="refused govpub's credentials") as caught:
            wrong.ensure_bucket("anything")
        assert "\n" not in str(caught.value)
        with pytest.raises(ServiceUnavailable, match="refused govpub's credentials"):
            wrong.get("anything", "drafts/x")
