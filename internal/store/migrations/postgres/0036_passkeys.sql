-- Passkeys (WebAuthn credentials) officials sign in with in place of a
-- TOTP code. credential is the webauthn package's record as JSON: the
-- public key, the signature counter and the authenticator's flags, never
-- a secret. handle is the official's user handle, random and the same for
-- each of their passkeys. An official whose second factor is a passkey
-- has an empty totp_secret in signin_credentials.
CREATE TABLE signin_passkeys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    state        TEXT NOT NULL,
    handle       TEXT NOT NULL,
    credential   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signin_passkeys_by_user ON signin_passkeys(user_id);
