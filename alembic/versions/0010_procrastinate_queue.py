"""procrastinate job queue schema (PostgreSQL only)

On PostgreSQL automation runs and periodic jobs go through procrastinate (RF_QUEUE=auto|procrastinate):
its tables, types, functions and triggers are created here from the installed package's schema.sql
(procrastinate is pinned to one minor version in pyproject.toml; a later upgrade of it brings its
own migration files, applied by a new revision). SQLite has no such queue: nothing happens there.
Autogenerate ignores these tables (db/migration_filters.py): they have no SQLModel models.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Dropped in this order by the downgrade (CASCADE takes their indexes, triggers and constraints).
TABLES = ("procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs", "procrastinate_workers")
TYPES = ("procrastinate_job_to_defer_v1", "procrastinate_job_event_type", "procrastinate_job_status")


def upgrade() -> None:
    """Create procrastinate's schema on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager  # noqa: PLC0415 - only PostgreSQL needs it

    # exec_driver_sql: the schema text holds '%' characters that must not be read as parameters.
    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    """Drop every procrastinate table, function and type."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    # Functions by name, whatever their signatures (they change between procrastinate versions).
    op.execute("""
        DO $$ DECLARE f record; BEGIN
          FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' LOOP
            EXECUTE 'DROP FUNCTION IF EXISTS ' || f.sig || ' CASCADE';
          END LOOP;
        END $$
    """)
    for type_name in TYPES:
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
