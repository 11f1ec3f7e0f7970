-- Identities at a government's OpenID Connect provider that sign in
-- officials of this node: the provider's issuer and subject, mapped to the
-- official the configured claim named at the first sign-in. Later
-- sign-ins follow the mapping, by subject, whatever the claim says then.
CREATE TABLE signin_oidc_identities (
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    state        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (issuer, subject)
);
CREATE UNIQUE INDEX signin_oidc_identities_by_user ON signin_oidc_identities(issuer, user_id);
