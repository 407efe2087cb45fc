-- +goose Up
-- Spent family-link form tokens (issue 13, point 6): a form token answers once across every
-- replica sharing this database. The row is inserted in the transaction that records the
-- answer (or counts the wrong PIN), so an answer and its spend commit together, and the
-- primary key refuses a second spend. Only a hash of the token's random nonce is kept: never
-- the link token, nothing that names a household. A row is needed only while the form token
-- could still verify (2 hours and a minute of clock skew after it was issued); the scheduler
-- deletes older rows in batches (spent_at's index).
CREATE TABLE form_token_spends (
    nonce_hash TEXT PRIMARY KEY,
    spent_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX form_token_spends_spent_at ON form_token_spends (spent_at);

-- +goose Down
DROP TABLE form_token_spends;
