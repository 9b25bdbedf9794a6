"""The audit log's Merkle tree against the RFC 6962 / 9162 test vectors, and proofs under hypothesis."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disclosure.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# The test data of the Certificate Transparency reference implementations (google/certificate-transparency
# merkle_test, certificate-transparency-go merkle tests, transparency-dev/merkle): eight leaf inputs, the
# root MTH(D[n]) of every prefix, and published inclusion and consistency proofs.
LEAVES = [bytes.fromhex(h) for h in
          ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]  # fmt: skip
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
HASHES = [leaf_hash(entry) for entry in LEAVES]


def test_hashing_is_domain_separated_as_rfc_9162_says():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(HASHES[0], HASHES[1]) == hashlib.sha256(b"\x01" + HASHES[0] + HASHES[1]).digest()
    assert leaf_hash(HASHES[0] + HASHES[1]) != node_hash(HASHES[0], HASHES[1])


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_published_vectors(size):
    tree = MerkleTree(HASHES)
    assert tree.root(size).hex() == ROOTS[size - 1]
    frontier = Frontier()
    for leaf in HASHES[:size]:
        frontier.append(leaf)
    assert frontier.root().hex() == ROOTS[size - 1]
    assert MerkleTree().root() == Frontier().root() == EMPTY_ROOT


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index, size, expected):
    tree = MerkleTree(HASHES)
    proof = tree.inclusion_proof(index, size)
    assert [p.hex() for p in proof] == expected
    assert verify_inclusion(index, size, HASHES[index], proof, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "size", "expected"), CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(old, size, expected):
    tree = MerkleTree(HASHES)
    proof = tree.consistency_proof(old, size)
    assert [p.hex() for p in proof] == expected
    assert verify_consistency(old, size, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[size - 1]), proof)


def _leaves(n):
    return [leaf_hash(f"event {i}".encode()) for i in range(n)]


def _flip(digest, bit):
    changed = bytearray(digest)
    changed[bit // 8 % 32] ^= 1 << (bit % 8)
    return bytes(changed)


@st.composite
def sizes(draw, *, minimum=1):
    n = draw(st.integers(minimum, 300))
    m = draw(st.integers(1, n))
    return m, n


@given(sizes(), st.data())
def test_consistency_proofs_verify_and_fail_when_any_leaf_changes(m_n, data):
    m, n = m_n
    leaves = _leaves(n)
    tree = MerkleTree(leaves)
    old_root, root = tree.root(m), tree.root()
    proof = tree.consistency_proof(m)
    assert verify_consistency(m, n, old_root, root, proof)
    # a leaf of the old tree changed (and the whole tree rebuilt from it): no proof links it to the old root
    changed = list(leaves)
    index = data.draw(st.integers(0, m - 1), label="changed leaf")
    changed[index] = leaf_hash(b"rewritten")
    forged = MerkleTree(changed)
    assert not verify_consistency(m, n, old_root, forged.root(), forged.consistency_proof(m))
    assert not verify_consistency(m, n, old_root, forged.root(), proof)
    # a leaf appended after m changed: the old root still holds, the new root does not
    if m < n:
        later = list(leaves)
        later[data.draw(st.integers(m, n - 1), label="later leaf")] = leaf_hash(b"other")
        assert not verify_consistency(m, n, old_root, MerkleTree(later).root(), proof)
    # a tampered proof, a wrong size or a shrunk log never verifies
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        bad = [*proof[:position], _flip(proof[position], data.draw(st.integers(0, 255))), *proof[position + 1 :]]
        assert not verify_consistency(m, n, old_root, root, bad)
        assert not verify_consistency(m, n, old_root, root, proof[:-1])
    if m < n:
        assert not verify_consistency(n, m, root, old_root, proof)
        assert not verify_consistency(m, n, root, root, proof)


@given(sizes(), st.data())
def test_inclusion_proofs_verify_and_fail_when_any_leaf_changes(m_n, data):
    _, n = m_n
    leaves = _leaves(n)
    tree = MerkleTree(leaves)
    root = tree.root()
    index = data.draw(st.integers(0, n - 1), label="leaf")
    proof = tree.inclusion_proof(index)
    assert verify_inclusion(index, n, leaves[index], proof, root)
    assert not verify_inclusion(index, n, leaf_hash(b"forged"), proof, root)
    other = data.draw(st.integers(0, n - 1), label="another leaf")
    changed = list(leaves)
    changed[other] = leaf_hash(b"rewritten")
    assert not verify_inclusion(index, n, leaves[index], proof, MerkleTree(changed).root())
    assert not verify_inclusion(n, n, leaves[index], proof, root)
    if n > 1:
        assert not verify_inclusion((index + 1) % n, n, leaves[index], proof, root)
        bad = [_flip(proof[0], data.draw(st.integers(0, 255))), *proof[1:]]
        assert not verify_inclusion(index, n, leaves[index], bad, root)


@given(st.integers(0, 200), st.integers(0, 200))
def test_a_frontier_continues_where_it_stopped(first, more):
    leaves = _leaves(first + more)
    frontier = Frontier()
    for leaf in leaves[:first]:
        frontier.append(leaf)
    resumed = Frontier(frontier.size, frontier.hashes)
    for leaf in leaves[first:]:
        resumed.append(leaf)
    assert resumed.root() == MerkleTree(leaves).root()
    assert len(resumed.hashes) == (first + more).bit_count()


def test_a_frontier_refuses_the_wrong_number_of_hashes():
    with pytest.raises(ValueError, match="3 hashes"):
        Frontier(7, [EMPTY_ROOT])
