"""`pilotflow backup` and `pilotflow restore`: the embedded default's state as one archive.

The embedded default keeps two SQLite files in the data directory: the read model
(`pilotflow.db`) and the Temporal dev server's own (`temporal.db`). Both are copied while
the stack runs with SQLite's online backup API, one step each, so each copy is one
consistent snapshot of its file; copying the files themselves could catch a write half
done.

The two snapshots cannot be taken at one instant, so the order matters. The read model is
derived from Temporal (the `record_transition` activity writes it, then reports to
Temporal), so it is copied FIRST and Temporal SECOND, and the read model's writers are held
(its write lock, for the milliseconds of both copies) until Temporal's copy is taken. So
every activity that Temporal's copy has seen complete had committed its write before the
read model's copy: after a restore Temporal is never behind the read model and the read
model misses nothing Temporal thinks done. Temporal may be a little ahead: an activity in
flight at its copy (its write maybe already in the read model) runs again once its timeout
passes, and `record_transition` is idempotent (one audit row per seq, the row takes only a
newer version). Without the held writers, a transition recorded between the two copies
would be lost from the audit trail for good (Temporal does not run a completed activity
again); in the other order, the read model could show transitions that the restored
Temporal never made.

Neither command opens a Temporal client.
"""

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sqlalchemy.engine import make_url

from cli.seed import is_seeded, mark_seeded
from core.settings import Settings

ARCHIVE_FORMAT = "pilotflow-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
READ_MODEL_NAME = "pilotflow.db"
TEMPORAL_NAME = "temporal.db"


class Refused(Exception):
    """A backup or restore that must not go ahead; the message is the one line shown."""


@dataclass(frozen=True)
class ArchivedFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What an archive holds, in the order the files were copied."""

    format: str
    version: int
    pilotflow_version: str
    created_at: str
    alembic_revision: str | None
    files: list[ArchivedFile]
    # The demo region was seeded there: `pilotflow dev` must not seed it again once restored.
    demo_seeded: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: bytes) -> "Manifest":
        try:
            raw = json.loads(text)
            files = [
                ArchivedFile(str(f["name"]), int(f["size"]), str(f["sha256"])) for f in raw["files"]
            ]
            manifest = cls(
                format=raw["format"],
                version=raw["version"],
                pilotflow_version=raw["pilotflow_version"],
                created_at=raw["created_at"],
                alembic_revision=raw["alembic_revision"],
                files=files,
                demo_seeded=bool(raw.get("demo_seeded", False)),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise Refused(f"the manifest is unreadable: {error}") from None
        if manifest.format != ARCHIVE_FORMAT or manifest.version != FORMAT_VERSION:
            raise Refused(f"not a pilotflow backup of format {FORMAT_VERSION}")
        if sorted(f.name for f in files) != sorted([READ_MODEL_NAME, TEMPORAL_NAME]):
            raise Refused(f"the manifest lists {[f.name for f in files]}, not the two databases")
        return manifest


# ---- where the embedded default keeps its state -----------------------------------------


def read_model_path(settings: Settings) -> Path:
    """The read model's SQLite file; refused when the read model is not SQLite."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite":
        raise Refused(
            f"the database is {url.get_backend_name()}, not the embedded SQLite: use pg_dump and "
            "pg_restore, and for the Temporal server's database Temporal's docs (README, Backups)"
        )
    if not url.database or url.database == ":memory:":
        raise Refused("the SQLite database is in memory: there is no file to back up")
    return Path(url.database)


def database_files(settings: Settings) -> list[tuple[str, Path]]:
    """The two databases, by name in the archive, in the order they are copied."""
    return [
        (READ_MODEL_NAME, read_model_path(settings)),
        (TEMPORAL_NAME, settings.data_dir / TEMPORAL_NAME),
    ]


# ---- SQLite -------------------------------------------------------------------------------


def copy_online(source: Path, target: Path) -> None:
    """Copy a live SQLite database in one step of the backup API: one consistent snapshot.

    One step reads one snapshot for the whole copy (milliseconds for our files). Both files
    run with a write-ahead log (`core.db`, `cli.temporal_server`), so their writers go on
    meanwhile; a copy that meets a lock is retried by `backup` itself.
    """
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy, pages=-1)
    finally:
        copy.close()
        origin.close()


def check_integrity(path: Path, name: str) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise Refused(f"{name} is not a sound SQLite database: {error}") from None
    if rows != [("ok",)]:
        raise Refused(f"{name} fails its integrity check: {rows[0][0]}")


def alembic_revision(path: Path) -> str | None:
    """The schema revision the read model is at, or None before any migration."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return str(row[0]) if row else None


def known_revisions() -> set[str]:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up is no news here
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {script.revision for script in scripts.walk_revisions()}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- backup -------------------------------------------------------------------------------


def snapshot(settings: Settings, workdir: Path) -> list[ArchivedFile]:
    """Copy both databases into `workdir`, read model first, and check each copy."""
    files = database_files(settings)
    missing = [str(path) for _, path in files if not path.is_file()]
    if missing:
        raise Refused(f"no database to back up at {', '.join(missing)}: is this the data dir?")
    read_model = files[0][1]  # copied first, held until the last copy is taken
    with read_model_writes_held(read_model):
        for name, path in files:
            copy_online(path, workdir / name)
    return [checked(workdir, name) for name, _ in files]


@contextmanager
def read_model_writes_held(path: Path) -> Iterator[None]:
    """Hold the read model's write lock: no transition is recorded until Temporal's copy.

    Readers go on (WAL); writers wait, within their busy timeout (10 s in `core.db`).
    """
    lock = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        yield
    finally:
        lock.close()  # rolls back: it wrote nothing


def checked(workdir: Path, name: str) -> ArchivedFile:
    """A copy in `workdir` that passes its integrity check, with its size and checksum."""
    copy = workdir / name
    check_integrity(copy, name)
    return ArchivedFile(name, copy.stat().st_size, sha256_of(copy))


def write_archive(
    workdir: Path, archive: Path, files: list[ArchivedFile], *, demo_seeded: bool
) -> Manifest:
    """A .tar.gz of the manifest and the copies in `workdir`; never overwrites `archive`."""
    manifest = Manifest(
        format=ARCHIVE_FORMAT,
        version=FORMAT_VERSION,
        pilotflow_version=version("pilotflow"),
        created_at=datetime.now(UTC).isoformat(),
        alembic_revision=alembic_revision(workdir / READ_MODEL_NAME),
        files=files,
        demo_seeded=demo_seeded,
    )
    (workdir / MANIFEST_NAME).write_text(manifest.to_json())
    partial = workdir / "archive.tar.gz"  # `workdir` is beside `archive`: one file system
    with tarfile.open(partial, "x:gz") as tar:
        for name in [MANIFEST_NAME, *(f.name for f in files)]:
            tar.add(workdir / name, arcname=name)
    try:
        os.link(partial, archive)  # fails if `archive` appeared meanwhile: nothing overwritten
    except FileExistsError:
        raise Refused(f"{archive} exists: choose a new path") from None
    return manifest


def backup(settings: Settings, archive: Path) -> Manifest:
    """Write one archive of both databases, copied while the stack runs."""
    if archive.exists():
        raise Refused(f"{archive} exists: choose a new path")
    if not archive.parent.is_dir():
        raise Refused(f"no directory {archive.parent} to write the archive in")
    with tempfile.TemporaryDirectory(prefix=".pilotflow-backup-", dir=archive.parent) as work:
        files = snapshot(settings, Path(work))
        return write_archive(Path(work), archive, files, demo_seeded=is_seeded(settings))


# ---- restore ------------------------------------------------------------------------------


def check_target_empty(settings: Settings) -> None:
    data_dir = settings.data_dir
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise Refused(f"{data_dir} is not empty: restore only into an empty or absent data dir")
    for name, path in database_files(settings):
        if path.exists():
            raise Refused(f"{path} exists: restore only where no {name} is")


def extract(archive: Path, staging: Path) -> Manifest:
    """The archive's manifest, with its listed files extracted and checked into `staging`."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = Manifest.from_json(_member(tar, MANIFEST_NAME))
            for entry in manifest.files:
                (staging / entry.name).write_bytes(_member(tar, entry.name))
    except (tarfile.TarError, EOFError, OSError) as error:
        raise Refused(f"{archive} is not a readable archive: {error}") from None
    for entry in manifest.files:
        path = staging / entry.name
        if path.stat().st_size != entry.size or sha256_of(path) != entry.sha256:
            raise Refused(f"{entry.name} does not match its checksum in the manifest")
        check_integrity(path, entry.name)
    if manifest.alembic_revision not in known_revisions():
        raise Refused(
            f"the read model is at schema revision {manifest.alembic_revision}, "
            "unknown to this pilotflow: restore with the version that made the backup"
        )
    return manifest


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        member = tar.getmember(name)
    except KeyError:
        raise Refused(f"the archive has no {name}") from None
    extracted = tar.extractfile(member) if member.isfile() else None
    if extracted is None:
        raise Refused(f"{name} in the archive is not a file")
    return extracted.read()


def restore(settings: Settings, archive: Path) -> Manifest:
    """Bring an archive back into an empty data dir; changes nothing unless all checks pass."""
    check_target_empty(settings)
    if not archive.is_file():
        raise Refused(f"no archive at {archive}")
    # Staged beside the data dir when it can be (a rename, then), checked before it moves in.
    parent = settings.data_dir.parent
    beside = parent if parent.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=".pilotflow-restore-", dir=beside) as work:
        staging = Path(work)
        manifest = extract(archive, staging)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for name, path in database_files(settings):
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / name, path)
    if manifest.demo_seeded:
        mark_seeded(settings)
    return manifest


# ---- the commands -------------------------------------------------------------------------


def run_backup(settings: Settings, archive: Path) -> int:
    """`pilotflow backup PATH`: 0 with a summary, 2 with one line when refused."""
    try:
        manifest = backup(settings, archive)
    except Refused as refusal:
        print(f"pilotflow backup: {refusal}", file=sys.stderr)
        return 2
    sizes = ", ".join(f"{f.name} {f.size} bytes" for f in manifest.files)
    print(f"backed up {sizes} (schema {manifest.alembic_revision}) to {archive}")
    return 0


def run_restore(settings: Settings, archive: Path) -> int:
    """`pilotflow restore PATH`: 0 with a summary, 2 with one line when refused."""
    try:
        manifest = restore(settings, archive)
    except Refused as refusal:
        print(f"pilotflow restore: {refusal}", file=sys.stderr)
        return 2
    print(
        f"restored the backup of {manifest.created_at} into {settings.data_dir}; "
        "start the stack (`pilotflow dev`): `migrate` brings the schema up to date"
    )
    return 0
