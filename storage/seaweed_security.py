"""Lock the managed SeaweedFS down to signed S3 requests, and keep its files private.

``weed mini`` reads ``security.toml`` from ``-config_dir`` (then ``./``, ``~/.seaweedfs/``,
``/etc/seaweedfs/``). We write one per start into the data directory, mode 0600, with fresh keys:

- ``[jwt.signing]`` / ``[jwt.signing.read]``: volume servers take writes and reads only with a
  token signed by the master's key (the S3 gateway signs its own chunk reads with it);
- ``[jwt.filer_signing]`` / ``[jwt.filer_signing.read]``: the filer's HTTP API wants tokens too
  (and it is switched off altogether by ``-disableHttp``, as is the master's ``/dir/*``);
- ``[grpc]`` mutual TLS with a CA generated here: every gRPC port (master, volume, filer, s3,
  admin, also on their ``/tmp/seaweedfs-*-grpc-<port>.sock`` sockets) refuses clients without a
  certificate from it. SeaweedFS silently falls back to plaintext if it cannot load a certificate,
  so :func:`grpc_requires_tls` is checked after every start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import socket
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")
_GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "client", "msg_broker", "msg_agent", "mq")
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # + SETTINGS


def write_private(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` atomically, readable by this user only (never 0644 first)."""
    data = content.encode() if isinstance(content, str) else content
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def make_private(root: Path) -> None:
    """``chmod -R go-rwx`` on the tree under ``root`` that this user owns (symlinks untouched)."""
    uid = os.geteuid()
    for path in (root, *root.rglob("*")):
        with contextlib.suppress(OSError):  # vanished while we walked, or not ours
            info = path.lstat()
            if info.st_uid != uid or stat.S_ISLNK(info.st_mode):
                continue
            wanted = 0o700 if stat.S_ISDIR(info.st_mode) else stat.S_IMODE(info.st_mode) & 0o700
            if stat.S_IMODE(info.st_mode) != wanted:
                path.chmod(wanted)


def write_security_config(root: Path) -> Path:
    """Fresh JWT keys and gRPC certificates for one run of the server under ``root``."""
    tls = root / "tls"
    tls.mkdir(mode=0o700, exist_ok=True)
    ca_key, ca_cert = _certificate("govpub SeaweedFS CA", issuer=None)
    key, cert = _certificate("govpub SeaweedFS", issuer=(ca_key, ca_cert))
    pem = serialization.Encoding.PEM
    write_private(tls / "ca.crt", ca_cert.public_bytes(pem))
    write_private(tls / "weed.crt", cert.public_bytes(pem))
    write_private(
        tls / "weed.key",
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    lines = []
    for section in _JWT_SECTIONS:
        lines += [f"[{section}]", f"key = {json.dumps(secrets.token_urlsafe(32))}", ""]
    lines += ["[access]", "ui = false", "", "[filer.expose_directory_metadata]", "enabled = false", ""]
    lines += ["[grpc]", f"ca = {json.dumps(str(tls / 'ca.crt'))}", ""]
    for component in _GRPC_COMPONENTS:
        lines += [f"[grpc.{component}]", f"cert = {json.dumps(str(tls / 'weed.crt'))}",
                  f"key = {json.dumps(str(tls / 'weed.key'))}", ""]  # fmt: skip
    path = root / "security.toml"
    write_private(path, "\n".join(lines))
    return path


def grpc_requires_tls(port: int) -> bool:
    """Whether 127.0.0.1:``port`` refuses plaintext HTTP/2 (a plaintext gRPC server answers SETTINGS)."""
    with socket.socket() as sock:
        sock.settimeout(2.0)
        try:
            sock.connect(("127.0.0.1", port))
            sock.sendall(_H2_PREFACE)
            answer = sock.recv(9)
        except OSError:
            return True
    return not (len(answer) == 9 and answer[3] == 0x04)  # noqa: PLR2004 - frame header, type SETTINGS


def _certificate(
    name: str, *, issuer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[1].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return key, builder.sign(issuer[0] if issuer else key, hashes.SHA256())
