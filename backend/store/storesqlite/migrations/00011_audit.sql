-- +goose Up
-- The access log (NEN 7513, issue 12): every record says who acted (a professional, with
-- organization, role and issuer, or a family link), on what (object kind and id), with which
-- outcome (allowed, denied with a reason, failed), and is chained by hash to the record before
-- it in its chain (the household's for records about a household, else the organization's), so
-- that an edit, delete, insert or reorder shows (veilig audit verify). Records written before
-- this migration keep chain_id '' and seq 0: verify reports them as unchained.
ALTER TABLE audit_events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'professional';
ALTER TABLE audit_events ADD COLUMN organization_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN object_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN object_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'allowed';
ALTER TABLE audit_events ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN chain_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
-- Not unique on purpose: a duplicated position is tampering that verify must be able to see
-- and report, not a statement that fails.
CREATE INDEX audit_events_chain ON audit_events (chain_id, seq, id);
CREATE INDEX audit_events_organization ON audit_events (organization_id, at);

-- The head of every chain: its last position and hash, moved by the transaction that appends
-- (one row per household or organization, so no global hot row).
CREATE TABLE audit_chain_heads (
    chain_id TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL,
    hash     TEXT NOT NULL
);

-- Signed checkpoints: every chain's head at one instant, signed with the server's Ed25519
-- audit key, so that rewriting a whole chain (heads included) shows too.
CREATE TABLE audit_checkpoints (
    id        TEXT PRIMARY KEY,
    at        INTEGER NOT NULL,
    key_id    TEXT NOT NULL,
    body      TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- A privacy officer, like an admin, holds no relation to any household's data (docs/access.md):
-- the care team leaves out both roles.
DROP VIEW household_viewers;
DROP VIEW household_care_team;
CREATE VIEW household_care_team AS
SELECT c.household_id, c.professional_id, c.lead FROM care_team_members c
JOIN professionals p ON p.id = c.professional_id
WHERE p.role NOT IN ('admin', 'privacy_officer');
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM household_care_team
UNION
SELECT household_id, professional_id FROM household_supervisors;

-- +goose Down
DROP VIEW household_viewers;
DROP VIEW household_care_team;
CREATE VIEW household_care_team AS
SELECT c.household_id, c.professional_id, c.lead FROM care_team_members c
JOIN professionals p ON p.id = c.professional_id
WHERE p.role <> 'admin';
CREATE VIEW household_viewers AS
SELECT household_id, professional_id FROM household_care_team
UNION
SELECT household_id, professional_id FROM household_supervisors;
DROP TABLE audit_checkpoints;
DROP TABLE audit_chain_heads;
DROP INDEX audit_events_organization;
DROP INDEX audit_events_chain;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
ALTER TABLE audit_events DROP COLUMN seq;
ALTER TABLE audit_events DROP COLUMN chain_id;
ALTER TABLE audit_events DROP COLUMN reason;
ALTER TABLE audit_events DROP COLUMN outcome;
ALTER TABLE audit_events DROP COLUMN object_id;
ALTER TABLE audit_events DROP COLUMN object_kind;
ALTER TABLE audit_events DROP COLUMN issuer;
ALTER TABLE audit_events DROP COLUMN role;
ALTER TABLE audit_events DROP COLUMN organization_id;
ALTER TABLE audit_events DROP COLUMN actor_kind;
