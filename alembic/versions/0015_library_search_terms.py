"""library search: PostgreSQL's prefix term index, which finds a word's visible matches in order and stops early

PostgreSQL: `step_library_terms` (term, kind, scope, seq, synced), one row for every prefix (1 to
TERM_PREFIX_MAX characters) of every word of an active step's search vector, with the step's
visibility scope: kind 'p' (public, scope the nil UUID), 't' (team, scope the account) or 'u'
(private, scope the creator). Its primary key (term, kind, scope, seq) holds a prefix's matches
for one scope in `search_seq` order, so a search reads just the first matches a viewer may see
(an index-only scan per scope, merged), however common the word: the GIN index (0002) must
collect every match and visit each one's row. `synced` (the step is flow-synced) rides in the
index, so the library page's fold of fork copies looks at a step's row only when it is synced.
A trigger keeps the table equal to what step_library's rows give (`step_library_terms_of`):
it deletes a changed step's old rows by their whole key and inserts the new ones; the rows of an
inactive step, or of a private step whose creator was deleted, are removed; a TRUNCATE of the
steps empties it too.
About 100 rows per step: the price of a prefix (edge n-gram) index, as search engines pay it for
search-as-you-type. Vacuumed eagerly so that its pages stay all-visible (index-only scans).
SQLite: nothing to change (FTS5's index does this, migration 0013).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Must match services/library_search.py: a longer query word is looked up by its first
# TERM_PREFIX_MAX characters and then checked against the step's search vector.
TERM_PREFIX_MAX = 16
PUBLIC_SCOPE = "00000000-0000-0000-0000-000000000000"

# A step's visibility scope, or no row when nobody may see it (inactive; a private step without its creator).
TERM_SCOPE = f"""
CREATE FUNCTION step_library_term_scope(vis text, acct uuid, creator uuid, active boolean)
RETURNS TABLE (kind "char", scope uuid)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE vis WHEN 'public' THEN 'p' WHEN 'team' THEN 't' ELSE 'u' END)::"char",
           CASE vis WHEN 'public' THEN '{PUBLIC_SCOPE}'::uuid WHEN 'team' THEN acct ELSE creator END
    WHERE active
      AND (vis = 'public' OR (vis = 'team' AND acct IS NOT NULL) OR (vis = 'private' AND creator IS NOT NULL))
$$
"""

# Every distinct prefix (1 to TERM_PREFIX_MAX characters) of every word of a search vector.
TERM_PREFIXES = f"""
CREATE FUNCTION step_library_term_prefixes(tsv tsvector) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT left(w.lexeme, n) COLLATE "C"
    FROM unnest(tsv) AS w, generate_series(1, least(length(w.lexeme), {TERM_PREFIX_MAX})) AS n
$$
"""

# The rows a step gives (the backfill, and the tests' consistency check).
TERMS_OF = """
CREATE FUNCTION step_library_terms_of(tsv tsvector, vis text, acct uuid, creator uuid, active boolean)
RETURNS TABLE (term text, kind "char", scope uuid)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p, s.kind, s.scope
    FROM step_library_term_scope(vis, acct, creator, active) AS s, step_library_term_prefixes(tsv) AS p
$$
"""

# The old rows go by their whole key (term = ANY(...) on the primary key): a join with the prefixes
# would let the planner scan the whole table for each changed step.
SYNC = """
CREATE FUNCTION step_library_terms_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_kind "char";
    old_scope uuid;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT o.kind, o.scope INTO old_kind, old_scope
        FROM step_library_term_scope(OLD.visibility, OLD.account_id, OLD.created_by, OLD.is_active) AS o;
        IF FOUND THEN
            DELETE FROM step_library_terms
            WHERE term = ANY (ARRAY(SELECT step_library_term_prefixes(OLD.search_tsv)))
              AND kind = old_kind AND scope = old_scope AND seq = OLD.search_seq;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO step_library_terms (term, kind, scope, seq, synced)
        SELECT o.term, o.kind, o.scope, NEW.search_seq, NEW.is_flow_synced
        FROM step_library_terms_of(NEW.search_tsv, NEW.visibility, NEW.account_id, NEW.created_by, NEW.is_active) AS o;
    END IF;
    RETURN NULL;
END
$$
"""

TRUNCATE_SYNC = """
CREATE FUNCTION step_library_terms_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE step_library_terms;
    RETURN NULL;
END
$$
"""

# What the rows depend on; an update that changes none of it (a usage count, a rating) costs nothing.
WATCHED = ("search_tsv", "visibility", "account_id", "created_by", "is_active", "is_flow_synced")


def upgrade() -> None:
    """Create the table, fill it from the active steps, then index it and keep it in sync."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TERM_SCOPE)
    op.execute(TERM_PREFIXES)
    op.execute(TERMS_OF)
    op.execute(
        'CREATE TABLE step_library_terms (term text COLLATE "C" NOT NULL, kind "char" NOT NULL, scope uuid NOT NULL, '
        "seq bigint NOT NULL, synced boolean NOT NULL) "
        "WITH (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.01)"
    )
    # Filled before the key exists (one sorted index build instead of a row-by-row one).
    op.execute(
        "INSERT INTO step_library_terms (term, kind, scope, seq, synced) "
        "SELECT o.term, o.kind, o.scope, s.search_seq, s.is_flow_synced FROM step_library AS s, "
        "step_library_terms_of(s.search_tsv, s.visibility, s.account_id, s.created_by, s.is_active) AS o"
    )
    op.execute(
        "ALTER TABLE step_library_terms ADD CONSTRAINT pk_step_library_terms "
        "PRIMARY KEY (term, kind, scope, seq) INCLUDE (synced)"
    )
    op.execute(SYNC)
    op.execute(
        "CREATE TRIGGER step_library_terms_insert_delete AFTER INSERT OR DELETE ON step_library "
        "FOR EACH ROW EXECUTE FUNCTION step_library_terms_sync()"
    )
    # TRUNCATE fires no row triggers: empty the terms with the steps.
    op.execute(TRUNCATE_SYNC)
    op.execute(
        "CREATE TRIGGER step_library_terms_truncate AFTER TRUNCATE ON step_library "
        "FOR EACH STATEMENT EXECUTE FUNCTION step_library_terms_truncate()"
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in WATCHED)
    op.execute(
        "CREATE TRIGGER step_library_terms_update AFTER UPDATE ON step_library "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION step_library_terms_sync()"
    )
    op.execute("ANALYZE step_library_terms")


def downgrade() -> None:
    """Drop the triggers, the table and the functions."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS step_library_terms_update ON step_library")
    op.execute("DROP TRIGGER IF EXISTS step_library_terms_insert_delete ON step_library")
    op.execute("DROP TRIGGER IF EXISTS step_library_terms_truncate ON step_library")
    op.execute("DROP TABLE IF EXISTS step_library_terms")
    op.execute("DROP FUNCTION IF EXISTS step_library_terms_sync()")
    op.execute("DROP FUNCTION IF EXISTS step_library_terms_truncate()")
    op.execute("DROP FUNCTION IF EXISTS step_library_terms_of(tsvector, text, uuid, uuid, boolean)")
    op.execute("DROP FUNCTION IF EXISTS step_library_term_prefixes(tsvector)")
    op.execute("DROP FUNCTION IF EXISTS step_library_term_scope(text, uuid, uuid, boolean)")
