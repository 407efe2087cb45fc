-- Spent family-link form tokens: a hash of each token's nonce, while the token is alive.

-- name: FormTokenSpendInsert :exec
INSERT INTO form_token_spends (nonce_hash, spent_at) VALUES (@nonce_hash, @spent_at);

-- name: FormTokenSpendDeleteBefore :execrows
DELETE FROM form_token_spends WHERE nonce_hash IN (
    SELECT s.nonce_hash FROM form_token_spends s WHERE s.spent_at < CAST(@before AS INTEGER)
    ORDER BY s.spent_at LIMIT @max_rows);
