"""Merkle tree hashes, inclusion and consistency proofs as RFC 9162 §2.1 defines them (pure).

Leaf hash ``SHA-256(0x00 || entry)``, interior node ``SHA-256(0x01 || left || right)``, the empty
tree ``SHA-256()``. A tree of ``n`` leaves splits at ``k``, the largest power of two below ``n``.
Proof generation follows the recursive definitions of §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF);
verification follows the iterative algorithms of §2.1.3.2 and §2.1.4.2, so a proof made here
verifies with any RFC 6962 / 9162 implementation and the other way round.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
_CACHED_SUBTREE = 8  # perfect subtrees at least this large are memoised (they never change)


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one log entry."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """A list of leaf hashes with memoised subtree hashes; answers roots and proofs for any size."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._leaves: list[bytes] = list(leaves)
        self._cache: dict[tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return len(self._leaves)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash."""
        self._leaves.append(leaf)

    def _hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end])."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self._leaves[start]
        perfect = n >= _CACHED_SUBTREE and n & (n - 1) == 0
        if perfect and (start, end) in self._cache:
            return self._cache[start, end]
        k = _split(n)
        digest = node_hash(self._hash(start, start + k), self._hash(start + k, end))
        if perfect:
            self._cache[start, end] = digest
        return digest

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} outside 0..{self.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the first ``size`` leaves (all of them by default)."""
        return self._hash(0, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]): the audit path of one leaf (RFC 9162 §2.1.3.1)."""
        n = self._size(size)
        if not 0 <= index < n:
            raise ValueError(f"leaf {index} is outside a tree of {n}")
        return self._path(index, 0, n)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._hash(start + k, end)]
        return [*self._path(m - k, start + k, end), self._hash(start, start + k)]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[0:size]) (RFC 9162 §2.1.4.1); empty when the sizes are equal."""
        n = self._size(size)
        if not 0 <= old_size <= n:
            raise ValueError(f"old size {old_size} is outside 0..{n}")
        if old_size in {0, n}:
            return []
        return self._subproof(old_size, 0, n, complete=True)

    def _subproof(self, m: int, start: int, end: int, *, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [self._hash(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, complete=complete), self._hash(start + k, end)]
        return [*self._subproof(m - k, start + k, end, complete=False), self._hash(start, start + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree of ``size`` with ``root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree (``size``, ``root``) extends (``old_size``, ``old_root``)."""
    if not 0 <= old_size <= size:
        return False
    if old_size == size:
        return not proof and old_root == root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    return _walk_consistency(old_size - 1, size - 1, path, old_root, root)


def _walk_consistency(fn: int, sn: int, path: list[bytes], old_root: bytes, root: bytes) -> bool:
    """Steps 4-7 of RFC 9162 §2.1.4.2."""
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == root and sn == 0


class Frontier:
    """The roots of the perfect subtrees covering a tree's leaves, left to right (a compact range).

    Enough to compute the root after appending more leaves without reading the earlier ones: the
    checkpoint writer keeps it, so a checkpoint costs the new events plus log2(n) hashes.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a frontier of {size} leaves has {size.bit_count()} hashes, not {len(hashes)}")
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        """How many leaves it covers."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """The subtree roots, largest (leftmost) first."""
        return list(self._hashes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, merging equal-sized subtrees."""
        self._hashes.append(leaf)
        self._size += 1
        merges = (self._size & -self._size).bit_length() - 1  # trailing zeros: completed subtrees
        for _ in range(merges):
            right = self._hashes.pop()
            self._hashes[-1] = node_hash(self._hashes[-1], right)

    def root(self) -> bytes:
        """The root hash of the leaves covered."""
        if not self._hashes:
            return EMPTY_ROOT
        digest = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            digest = node_hash(left, digest)
        return digest
