"""SQLAlchemy 2 models: reference data, users, the pilots' read model, audit trail, outbox."""

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC; SQLite gives it back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Theme(Base):
    __tablename__ = "themes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Town(Base):
    __tablename__ = "towns"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # Town ids served; empty means the whole region.
    areas: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    # Signed-link unsubscribe: no more invitations by email.
    unsubscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    town_id: Mapped[str | None] = mapped_column(ForeignKey("towns.id"))
    company_id: Mapped[str | None] = mapped_column(ForeignKey("companies.id"))
    locale: Mapped[str] = mapped_column(String(8), default="fr")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Town officers may turn off the offers of generalized pilots.
    receives_offers: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthSession(Base):
    """A signed-in token's server side: deleting the row ends that token at once."""

    __tablename__ = "auth_sessions"

    # A random id, carried signed in the token (service/auth.py).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Pilot(Base):
    """The read model of one pilot, written by the workflow's activities."""

    __tablename__ = "pilots"
    __table_args__ = (
        Index("ix_pilots_created_at_id", "created_at", "id"),
        # A town officer's list, one branch per index, each walked newest first.
        Index("ix_pilots_town_id_created_at_id", "town_id", "created_at", "id"),
        Index("ix_pilots_stage_outcome_created_at_id", "stage", "outcome", "created_at", "id"),
        UniqueConstraint("created_by", "idempotency_key", name="uq_pilots_idempotency"),
        # `q=` is ILIKE '%words%': trigrams let PostgreSQL find rare words without a scan.
        *(
            Index(
                f"ix_pilots_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("title", "summary")
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(64), unique=True)
    town_id: Mapped[str] = mapped_column(ForeignKey("towns.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(64), index=True)
    needs: Mapped[list[Any]] = mapped_column(default=list)
    budget_eur: Mapped[float] = mapped_column(Float)
    desired_start: Mapped[date] = mapped_column(Date)
    duration_days: Mapped[int] = mapped_column(Integer)
    kpis: Mapped[list[Any]] = mapped_column(default=list)
    stage: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=0)
    partner_company_id: Mapped[str | None] = mapped_column(String(32))
    trial_start: Mapped[datetime | None] = mapped_column()
    trial_end: Mapped[datetime | None] = mapped_column()
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    # Who the next deadline waits on: admin, town, companies.
    waiting_on: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The workflow's audit sequence number this row reflects; older writes never win.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The workflow's whole state as last recorded, for rules computed from it.
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Candidate(Base):
    __tablename__ = "candidates"
    # A company's list of pilots looks its invitations up by company.
    __table_args__ = (Index("ix_candidates_company_id_pilot_id", "company_id", "pilot_id"),)

    pilot_id: Mapped[str] = mapped_column(ForeignKey("pilots.id"), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("pilot_id", "seq", name="uq_audit_events_pilot_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pilot_id: Mapped[str] = mapped_column(String(32), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    actor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class NotificationStatus(StrEnum):
    """Where an outbox row stands; `sending` means an attempt holds a live lease on it."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """The email outbox: one row per (pilot, transition, template, recipient).

    An attempt claims a row (`sending`, `lease_owner`, `lease_expires_at`) before it talks
    to SMTP, so two attempts never send the same message at once; see activities.outbox_lease.
    """

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(400), unique=True)
    pilot_id: Mapped[str | None] = mapped_column(String(32), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(400))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # The attempt that claimed the row last, and until when its claim holds.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
