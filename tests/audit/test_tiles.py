"""The log as C2SP tlog-tiles, read by a tiles client written here from the spec alone.

The client (``TileClient``) shares no code with ``registry/audit/tiles.py`` or ``merkle.py``:
it encodes tile paths, verifies the checkpoint's Ed25519 signature, rebuilds the root of the
checkpoint from the fewest tiles (RFC 6962/9162 hashing, its own), then audits every tile —
each entry in a bundle hashes to its leaf in the level-0 tile, each hash of a higher tile is
the tree hash of the full tile below — and checks the root again from all leaves. Tree sizes
0, 1, 255, 256, 257 and 70,000 are built straight into the log view through the code that
stores every log's nodes (``AuditLogView.append``), then signed with the log's key; one case
serves the real envelopes of a registry's own events. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.testclient import TestClient
from support import OnPostgres, OnSQLite, certified, token

from registry.audit.note import Checkpoint
from registry.audit.view import StoredCheckpoint
from registry.bootstrap import Container
from registry.clock import FixedClock
from registry.config import Settings
from registry.web.app import create_app

# -- the client: from c2sp.org/tlog-tiles, tlog-checkpoint, signed-note and RFC 6962 only -------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def tree_hash(hashes: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH over already-hashed leaves (a list of subtree hashes)."""
    if not hashes:
        return sha256(b"")
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return sha256(b"\x01" + tree_hash(hashes[:k]) + tree_hash(hashes[k:]))


def index_path(n: int) -> str:
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if not n:
            break
    groups.reverse()
    return "/".join([*(f"x{g:03d}" for g in groups[:-1]), f"{groups[-1]:03d}"])


class Tampered(AssertionError):
    pass


@dataclass
class TileClient:
    get: Callable[[str], Any]  # path → response (status_code, content, headers)
    vkey: str
    fetched: int = 0

    def checkpoint(self) -> tuple[str, int, bytes]:
        text = self.get("/log/checkpoint").text
        body, _, signatures = text.rpartition("\n\n")
        name, key_hash, key = self.vkey.strip().split("+", 2)
        raw = base64.b64decode(key)
        assert raw[0] == 1
        for line in signatures.splitlines():
            dash, signer, signature = line.split(" ")
            assert dash == "\u2014"
            blob = base64.b64decode(signature)
            if signer == name and blob[:4].hex() == key_hash:
                Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], (body + "\n").encode())
                origin, size, root = body.split("\n")
                assert origin == name
                return origin, int(size), base64.b64decode(root)
        raise AssertionError("the checkpoint carries no signature by the log's key")

    @staticmethod
    def widths(size: int, level: int) -> list[int]:
        """The width of each tile of ``level`` a tree of ``size`` has, in order."""
        count = size >> (8 * level)
        return [256] * (count // 256) + ([count % 256] if count % 256 else [])

    def tile(self, level: int | str, n: int, width: int) -> bytes:
        path = f"/log/tile/{level}/{index_path(n)}" + ("" if width == 256 else f".p/{width}")
        response = self.get(path)
        self.fetched += 1
        assert response.status_code == 200, (path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/octet-stream"
        cache = response.headers["cache-control"]
        assert ("immutable" in cache) == (width == 256), cache
        content: bytes = response.content
        return content

    def hash_at(self, size: int, level: int, k: int, cache: dict[Any, bytes]) -> bytes:
        n = k // 256
        width = self.widths(size, level)[n]
        if (level, n) not in cache:
            cache[(level, n)] = self.tile(level, n, width)
            assert len(cache[(level, n)]) == 32 * width
        return cache[(level, n)][32 * (k % 256):32 * (k % 256 + 1)]

    def root_from_tiles(self, size: int) -> bytes:
        """The root from the fewest tiles: each perfect subtree of the tree's decomposition,
        of height 8·L + r, is the tree hash of 2^r consecutive hashes of one level-L tile."""
        cache: dict[Any, bytes] = {}
        subtrees, start = [], 0
        for height in reversed(range(64)):
            if size >> height & 1:
                level, rest = divmod(height, 8)
                first = (start >> height) << rest
                subtrees.append(tree_hash([self.hash_at(size, level, first + j, cache)
                                           for j in range(1 << rest)]))
                start += 1 << height
        if not subtrees:
            return sha256(b"")
        root = subtrees[-1]
        for left in reversed(subtrees[:-1]):
            root = sha256(b"\x01" + left + root)
        return root

    def audit(self, size: int) -> list[bytes]:
        """Every tile and entry bundle of the tree, checked; returns the entries."""
        leaves: list[bytes] = []
        entries: list[bytes] = []
        below: list[bytes] = []  # the tiles of the level below, in order
        level = 0
        while size >> (8 * level):
            tiles = [self.tile(level, n, w) for n, w in enumerate(self.widths(size, level))]
            if level == 0:
                for n, (tile, width) in enumerate(zip(tiles, self.widths(size, 0), strict=True)):
                    bundle = self.bundle(n, width)
                    if len(bundle) != width:
                        raise Tampered(f"bundle {n} has {len(bundle)} entries, not {width}")
                    for i, entry in enumerate(bundle):
                        if sha256(b"\x00" + entry) != tile[32 * i:32 * (i + 1)]:
                            raise Tampered(f"entry {256 * n + i} does not hash to its leaf")
                    entries += bundle
                    leaves += [tile[i:i + 32] for i in range(0, len(tile), 32)]
            else:
                hashes = b"".join(tiles)
                for j in range(len(hashes) // 32):
                    if hashes[32 * j:32 * (j + 1)] != tree_hash(
                            [below[j][i:i + 32] for i in range(0, 8192, 32)]):
                        raise Tampered(f"hash {j} of level {level} is not its tile's root")
            below = tiles
            level += 1
        assert tree_hash(leaves) == self.checkpoint()[2]
        return entries

    def bundle(self, n: int, width: int) -> list[bytes]:
        raw = self.tile("entries", n, width)
        out, at = [], 0
        while at < len(raw):
            (length,) = struct.unpack(">H", raw[at:at + 2])
            out.append(raw[at + 2:at + 2 + length])
            at += 2 + length
        assert at == len(raw)
        return out


def test_the_clients_tile_counts_are_the_specs_example() -> None:
    # c2sp.org/tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0
    # tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial level 1
    # tile of width 17, and one partial level 2 tile of width 1"; 256: a full level 0 tile and
    # a partial level 1 tile of width 1.
    widths = TileClient.widths
    assert widths(70_000, 0) == [256] * 273 + [112]
    assert widths(70_000, 1) == [256, 17] and widths(70_000, 2) == [1]
    assert widths(70_000, 3) == []
    assert widths(256, 0) == [256] and widths(256, 1) == [1]
    assert index_path(1234067) == "x001/x234/067" and index_path(7) == "007"


# -- the log, built to a given size ---------------------------------------------------------

BASE = 10_000_000  # notification ids far past any the registry's own start wrote


def envelope_of(notification: Any, index: int, previous: bytes | None) -> bytes:
    padding = "ә" * (index % 37)  # entries of different lengths, some not ASCII
    return json.dumps({"index": index, "id": notification.id, "pad": padding},
                      ensure_ascii=False, separators=(",", ":")).encode()


def grow(container: Container, size: int) -> None:
    """Replace the log by ``size`` synthetic leaves (through the view's ``append``, which
    stores every complete node as it does for real events) and sign a checkpoint of them."""
    container.checkpointer.stop()
    container.audit_runner.stop()
    view: Any = container.audit.view
    with view.datastore.transaction(commit=True) as c:
        for table in (view.leaves_table(), view.nodes_table(), view.checkpoints_table()):
            c.execute(f"DELETE FROM {table}")
        c.execute(f"UPDATE {view.position_table()} SET position = 0")
    after = 0
    for start in range(0, size, 10_000):
        batch = [SimpleNamespace(id=BASE + i, originator_id=uuid.UUID(int=i + 1),
                                 originator_version=1)
                 for i in range(start, min(start + 10_000, size))]
        assert view.append(batch, after, envelope_of) == start + len(batch)
        after = batch[-1].id
    sign(container, size)


def sign(container: Container, size: int) -> None:
    log = container.audit
    body = Checkpoint(log.origin, size, log.root(size)).body()
    assert log.view.add_checkpoint(StoredCheckpoint(size, log.root(size), log.signer.sign(body),
                                                    "2026-12-02T00:00:00+00:00"))


class TilesCase:
    @pytest.fixture
    def client(self, settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
        with TestClient(create_app(settings, clock=clock, poll_interval=0.05)) as client:
            yield client

    @staticmethod
    def container(client: TestClient) -> Container:
        container: Container = client.app.state.container  # type: ignore[attr-defined]
        return container

    @staticmethod
    def tiles_client(client: TestClient, container: Container) -> TileClient:
        auditor = token(container.service, "auditor", "Ms Auditor")
        headers = {"Authorization": f"Bearer {auditor}"}
        return TileClient(lambda path: client.get(path, headers=headers),
                          client.get("/log/vkey").text)

    @pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 70_000])
    def test_a_tiles_client_recomputes_the_checkpoints_root(
        self, client: TestClient, size: int
    ) -> None:
        container = self.container(client)
        reader = self.tiles_client(client, container)
        grow(container, size)
        origin, signed, root = reader.checkpoint()
        assert (origin, signed) == ("registry.example.kz/log", size)
        assert reader.root_from_tiles(size) == root
        assert reader.fetched <= 3  # one tile per level at most, here
        entries = reader.audit(size)
        assert [json.loads(e)["index"] for e in entries] == list(range(size))
        stored = [leaf.envelope for page in container.audit.iter_entries() for leaf in page]
        assert entries == stored

    def test_a_changed_entry_is_caught(self, client: TestClient) -> None:
        container = self.container(client)
        reader = self.tiles_client(client, container)
        grow(container, 600)
        reader.audit(600)
        view: Any = container.audit.view
        with view.datastore.transaction(commit=True) as c:
            c.execute(view.sql(f"UPDATE {view.leaves_table()} SET envelope = ? "
                               "WHERE leaf_index = ?"), [b'{"index":300,"forged":true}', 300])
        with pytest.raises(Tampered, match="entry 300 does not hash to its leaf"):
            reader.audit(600)

    def test_the_registrys_own_events_as_tiles(self, client: TestClient) -> None:
        container = self.container(client)
        certified(container.service)
        container.audit_runner.wait(container.app.last_notification_id())
        container.audit.sign()
        reader = self.tiles_client(client, container)
        _, size, root = reader.checkpoint()
        assert size >= 16 and reader.root_from_tiles(size) == root
        entries = reader.audit(size)
        assert entries == [leaf.envelope for leaf in container.audit.entries(0, size)]
        assert any(json.loads(e)["type"] == "Certificate.Issued" for e in entries)

    def test_only_what_the_signed_checkpoint_covers_is_served(self, client: TestClient) -> None:
        container = self.container(client)
        reader = self.tiles_client(client, container)
        grow(container, 257)
        get = reader.get
        for path in ("/log/tile/0/000", "/log/tile/0/001.p/1", "/log/tile/1/000.p/1",
                     "/log/tile/entries/001.p/1", "/log/tile/0/000.p/200"):
            assert get(path).status_code == 200, path
        # beyond the checkpoint: not yet in the tree (even though more may be stored)
        for path in ("/log/tile/0/001", "/log/tile/0/001.p/2", "/log/tile/1/000.p/2",
                     "/log/tile/1/000", "/log/tile/2/000.p/1", "/log/tile/entries/001.p/2",
                     "/log/tile/0/x001/000", "/log/tile/63/000",
                     "/log/tile/0/" + "x999/" * 300 + "999"):
            response = get(path)
            assert response.status_code == 404, path
            assert "latest signed checkpoint" in response.text
        # paths that name no tile
        for path in ("/log/tile/0/1", "/log/tile/00/000", "/log/tile/0/x000/000",
                     "/log/tile/0/000.p/256", "/log/tile/0/000.p/0", "/log/tile/0/000.p/01",
                     "/log/tile/64/000", "/log/tile/0/0001", "/log/tile/0", "/log/tile/x/000",
                     "/log/tile/0/000.p", "/log/tile/entries/y001/000"):
            response = get(path)
            assert response.status_code == 404, path
            assert response.text.startswith("no such tile")
        full = get("/log/tile/0/000")
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "immutable" not in get("/log/tile/0/001.p/1").headers["cache-control"]

    def test_entry_bundles_are_for_auditors_and_gzipped(self, client: TestClient) -> None:
        container = self.container(client)
        reader = self.tiles_client(client, container)
        grow(container, 300)
        assert client.get("/log/tile/0/000").status_code == 200  # hashes: public
        refused = client.get("/log/tile/entries/000")
        assert refused.status_code == 401 and refused.json()["code"]
        inet = token(container.service, "inet", "Mr Inet")
        assert client.get("/log/tile/entries/000",
                          headers={"Authorization": f"Bearer {inet}"}).status_code == 403
        auditor = token(container.service, "auditor", "Ms Auditor")
        raw = client.get("/log/tile/entries/000", headers={
            "Authorization": f"Bearer {auditor}", "Accept-Encoding": "gzip"})
        assert raw.status_code == 200 and raw.headers["content-encoding"] == "gzip"
        assert raw.headers["cache-control"].startswith("private")
        assert raw.content == reader.tile("entries", 0, 256)  # httpx undid the gzip
        assert len(gzip.compress(raw.content)) < len(raw.content)


class TestTilesOnSQLite(OnSQLite, TilesCase):
    pass


class TestTilesOnPostgres(OnPostgres, TilesCase):
    pass


def test_a_tile_is_one_range_read_of_the_stored_nodes(sqlite_settings: Settings,
                                                      clock: FixedClock) -> None:
    with TestClient(create_app(sqlite_settings, clock=clock, poll_interval=0.05)) as client:
        container: Container = client.app.state.container  # type: ignore[attr-defined]
        grow(container, 70_000)
        view: Any = container.audit.view
        calls: list[str] = []
        for name in ("level_range", "nodes", "leaves"):
            method = getattr(view, name)
            setattr(view, name, lambda *a, _m=method, _n=name: calls.append(_n) or _m(*a))
        for path in ("/log/tile/0/100", "/log/tile/1/000", "/log/tile/2/000.p/1"):
            calls.clear()
            assert client.get(path).status_code == 200
            assert calls == ["level_range"], path  # no per-node reads, no hashing
