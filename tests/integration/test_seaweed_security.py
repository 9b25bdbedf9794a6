"""Only signed S3 requests reach the managed SeaweedFS's data, and its files are private.

Each test attacks the real server as any local user could: every TCP port and Unix socket the
weed process listens on gets unauthenticated HTTP reads, listings, writes and deletes (the filer's
and the master's API), plaintext and certificate-less TLS gRPC calls, and the master's
``/dir/assign`` chain; then signed S3 shows that nothing changed.
"""

import http.client
import io
import json
import os
import socket
import ssl
import stat
import uuid
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import pytest
from minio import Minio
from minio.error import S3Error

from services.bootstrap import open_app
from services.settings import Settings

SECRET = b"SECRET-DRAFT-" + uuid.uuid4().hex.encode()
DRAFT = "drafts/d1/1/submission.json"
BOUNDARY = "govpubtest"


def _multipart(name: str, body: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/html\r\n\r\n{body}\r\n--{BOUNDARY}--\r\n"
    ).encode()


def listening_sockets(pid: int) -> tuple[list[int], list[str]]:
    """The TCP ports and Unix socket paths ``pid`` listens on."""
    inodes = set()
    for fd in os.scandir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(fd.path)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.append(int(fields[1].rsplit(":", 1)[1], 16))
    paths = []
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes and fields[5] == "01":  # LISTEN
            paths.append(fields[7])
    return sorted(ports), sorted(paths)


def _connect(target: int | str, *, tls: bool = False) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX) if isinstance(target, str) else socket.socket()
    sock.settimeout(3)
    sock.connect(target if isinstance(target, str) else ("127.0.0.1", target))
    if not tls:
        return sock
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context.wrap_socket(sock)


class _Connection(http.client.HTTPConnection):
    def __init__(self, target: int | str) -> None:
        super().__init__("127.0.0.1", target if isinstance(target, int) else None, timeout=3)
        self._target = target

    def connect(self) -> None:
        self.sock = _connect(self._target)


def http_request(target, method, path, body=None, headers=None):
    """(status, body, headers) of an unauthenticated request; status None if refused."""
    conn = _Connection(target)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    except (OSError, http.client.HTTPException):
        return None, b"", {}
    finally:
        conn.close()


def grpc_call(target, path: str, message: bytes, *, tls: bool = False) -> dict[str, str]:
    """Response headers and trailers of one unauthenticated gRPC call ({} if never answered)."""
    try:
        sock = _connect(target, tls=tls)
    except OSError:
        return {}
    answer: dict[str, str] = {}
    try:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":path", path),
                                   (":authority", "localhost"), ("content-type", "application/grpc"),
                                   ("te", "trailers")])  # fmt: skip
        conn.send_data(stream, b"\0" + len(message).to_bytes(4, "big") + message, end_stream=True)
        sock.sendall(conn.data_to_send())
        while chunk := sock.recv(65536):
            for event in conn.receive_data(chunk):
                if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                    answer.update(dict(event.headers))
                if isinstance(event, h2.events.StreamEnded | h2.events.StreamReset | h2.events.ConnectionTerminated):
                    return answer
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        pass
    finally:
        sock.close()
    return answer


def _pb_string(field: int, value: str) -> bytes:
    raw = value.encode()
    return bytes([field << 3 | 2, len(raw)]) + raw


@pytest.fixture
def buckets(seaweed, bucket_prefix):
    """A private bucket with a draft and a public one with a published page, as govpub sets them up."""
    client = Minio(seaweed.address, access_key=seaweed.access_key, secret_key=seaweed.secret_key, secure=False)
    private, public = f"{bucket_prefix}govpub-private", f"{bucket_prefix}govpub-public"
    client.make_bucket(private)
    client.make_bucket(public)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]},
              "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{public}/documents/*"]}]}  # fmt: skip
    client.set_bucket_policy(public, json.dumps(policy))
    client.put_object(private, DRAFT, io.BytesIO(SECRET), len(SECRET))
    client.put_object(public, "documents/good/body.html", io.BytesIO(b"GOOD"), 4)
    return client, private, public


def test_no_port_or_socket_serves_the_buckets_without_a_signature(seaweed, buckets):
    client, private, public = buckets
    ports, sockets = listening_sockets(seaweed.pid)
    assert seaweed.s3_port in ports
    assert len(ports) >= 8, ports  # master, volume, filer, s3 — each with HTTP and gRPC — and admin
    answered = {}
    for target in [*ports, *sockets]:
        attempts = {
            "read": http_request(target, "GET", f"/buckets/{private}/{DRAFT}"),
            "list": http_request(target, "GET", f"/buckets/{private}/drafts/d1/1/", headers={"Accept": "application/json"}),
            "write": http_request(target, "POST", f"/buckets/{public}/documents/evil/evil.html",
                                  body=_multipart("evil.html", "<script>evil()</script>"),
                                  headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}),
            "overwrite": http_request(target, "PUT", f"/buckets/{public}/documents/good/body.html", body=b"EVIL"),
            "delete": http_request(target, "DELETE", f"/buckets/{private}/{DRAFT}"),
            "assign": http_request(target, "GET", "/dir/assign"),
            "lookup": http_request(target, "GET", "/dir/lookup?volumeId=1"),
        }  # fmt: skip
        answered.update({
            f"{target} {name}": status for name, (status, _, _) in attempts.items()
            if status is not None and status < 400
        })  # fmt: skip
    assert answered == {}
    assert client.get_object(private, DRAFT).read() == SECRET  # not deleted
    with pytest.raises(S3Error, match="NoSuchKey"):
        client.stat_object(public, "documents/evil/evil.html")  # not written


def test_no_port_or_socket_answers_grpc_without_a_client_certificate(seaweed, buckets):
    _, private, _ = buckets
    ports, sockets = listening_sockets(seaweed.pid)
    calls = {
        "filer ListEntries": ("/filer_pb.SeaweedFiler/ListEntries", _pb_string(1, f"/buckets/{private}/drafts/d1/1")),
        "master Assign": ("/master_pb.Seaweed/Assign", b"\x08\x01"),  # count = 1
        "volume status": ("/volume_server_pb.VolumeServer/VolumeServerStatus", b""),
    }
    answered = {}
    for target in [*ports, *sockets]:
        for name, (path, message) in calls.items():
            for tls in (False, True):
                headers = grpc_call(target, path, message, tls=tls)
                if "grpc-status" in headers:  # any gRPC answer, even "unimplemented", means it talks
                    answered[f"{target} {name} tls={tls}"] = headers["grpc-status"]
    assert answered == {}


def test_the_master_hands_out_no_volume_write(seaweed):
    ports, _ = listening_sockets(seaweed.pid)
    writes = {}
    for port in ports:
        status, body, headers = http_request(port, "GET", "/dir/assign")
        if status != 200:
            continue
        assignment = json.loads(body)  # a volume location and, with JWT, a write token for it
        _host, volume_port = assignment["url"].split(":")
        auth = {"Authorization": headers["Authorization"]} if "Authorization" in headers else {}
        written, _, _ = http_request(int(volume_port), "POST", "/" + assignment["fid"], body=_multipart("x.txt", "x"),
                                     headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **auth})  # fmt: skip
        writes[port] = written
    assert all(status is None or status >= 400 for status in writes.values()), writes
    assert writes == {}  # no port assigns at all


def test_the_public_bucket_serves_only_what_the_writer_put_there(seaweed, buckets):
    _, private, public = buckets
    ports, sockets = listening_sockets(seaweed.pid)
    for target in [*ports, *sockets]:  # every way in but the S3 API
        http_request(target, "POST", f"/buckets/{public}/documents/evil/evil.html",
                     body=_multipart("evil.html", "<script>evil()</script>"),
                     headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})  # fmt: skip
        http_request(target, "PUT", f"/buckets/{public}/documents/good/body.html", body=b"EVIL")

    def anonymous(method, path, body=None):
        status, content, _ = http_request(seaweed.s3_port, method, path, body=body)
        return status, content

    assert anonymous("GET", f"/{public}/documents/good/body.html") == (200, b"GOOD")
    assert anonymous("GET", f"/{public}/documents/evil/evil.html")[0] in {403, 404}
    assert anonymous("PUT", f"/{public}/documents/evil/evil.html", b"EVIL")[0] == 403
    assert anonymous("DELETE", f"/{public}/documents/good/body.html")[0] == 403
    assert anonymous("GET", f"/{public}?list-type=2")[0] == 403
    assert anonymous("GET", f"/{private}/{DRAFT}")[0] == 403
    assert anonymous("GET", f"/{private}?list-type=2")[0] == 403
    assert anonymous("GET", f"/{public}/documents/good/body.html") == (200, b"GOOD")


def _loose(root: Path, *, allowed: str = "") -> list[str]:
    found = []
    for path in (root, *root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or (allowed and path.name.endswith(allowed)):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if (stat.S_ISDIR(info.st_mode) and mode != 0o700) or mode & 0o077:
            found.append(f"{oct(mode)} {path.relative_to(root)}")
    return found


def test_the_data_directory_is_private_to_the_service_user(tmp_path):
    data = tmp_path / "var"
    (data / "s3").mkdir(parents=True, mode=0o755)  # as an older version left it
    (data / "old.txt").write_text("left by an older version")
    (data / "old.txt").chmod(0o644)
    data.chmod(0o755)
    settings = Settings(data_dir=data)
    with open_app(settings) as app:
        app.store.put(settings.store.private_bucket, DRAFT, SECRET, length=len(SECRET), content_type="application/json")
        assert app.store.get(settings.store.private_bucket, DRAFT) == SECRET
        assert list((data / "s3" / "data").rglob("*.dat"))  # the volumes exist while we look
        assert (data / "govpub.db").exists()
        # weed itself makes a new volume's .vif (size and version, no content) 0644: the 0700
        # directories keep it from others, and the next start tightens it
        assert _loose(data, allowed=".vif") == []
    with open_app(settings) as app:
        assert app.store.get(settings.store.private_bucket, DRAFT) == SECRET
        assert _loose(data) == []
    assert _loose(data) == []
