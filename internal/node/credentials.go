package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/identity"
	"entraide/internal/store"
)

// Credentials. An administrator never receives another official's token:
// they issue a one-time enrolment code, which the official redeems for a
// token of their own. Tokens expire, can be listed with their last use
// and revoked, and stop working when their official is disabled.

// ErrUnauthenticated is returned for a missing, malformed or unknown token;
// every *AuthError is one too.
var ErrUnauthenticated = errors.New("unauthenticated")

// AuthError is a known token or enrolment code that is refused, with the
// reason and what to do next. errors.Is(err, ErrUnauthenticated) holds.
type AuthError struct {
	Reason string // a stable code: token_expired, token_revoked, ...
	Msg    string // for the official: what happened and what to do
}

func (e *AuthError) Error() string { return e.Msg }

// Is makes every AuthError an ErrUnauthenticated.
func (e *AuthError) Is(target error) bool { return target == ErrUnauthenticated }

// The reasons a token or code is refused.
var (
	ErrTokenExpired = &AuthError{"token_expired", "the token expired: ask an administrator of your State for an enrolment code and redeem it with entraide login --code"}
	ErrTokenRevoked = &AuthError{"token_revoked", "the token was revoked: ask an administrator of your State for an enrolment code and redeem it with entraide login --code"}
	ErrUserDisabled = &AuthError{"official_disabled", "the official is disabled: ask an administrator of your State to enable you again"}
	// A well-formed token this node has no record of is, most often, one
	// another node issued: each node issues and knows only its own.
	ErrTokenUnknown = &AuthError{"unknown_token", "this node does not know this token: a token works only on the node that issued it, so check that ENTRAIDE_URL (or --url) is your own State's node, or ask an administrator of your State on this node for an enrolment code"}
	ErrCodeUnknown  = &AuthError{"code_unknown", "no such enrolment code: check it, or ask an administrator of your State for a new one"}
	ErrCodeUsed     = &AuthError{"code_used", "the enrolment code was used already (a code works once): ask an administrator of your State for a new one"}
	ErrCodeExpired  = &AuthError{"code_expired", "the enrolment code expired (a code works for 24 hours): ask an administrator of your State for a new one"}
)

// session is an authenticated token, kept for cacheTTL so that a busy
// official's calls do not each read the token table. Only successes are
// kept, so a new token works at once; a revocation or a disabling on this
// node drops its sessions at once, and so does one made on another
// replica on PostgreSQL, as soon as its announcement is heard; one made
// by another process on SQLite takes effect here within cacheTTL.
type session struct {
	user    identity.User
	at      time.Time // when the token was read from the database
	expires time.Time // the token's expiry
}

// Authenticate returns the official a token belongs to. A token that is
// unknown, malformed, expired or revoked, or whose official is disabled,
// is an ErrUnauthenticated; all but a malformed one are *AuthError that say
// so (ErrTokenUnknown, ErrTokenExpired, ErrTokenRevoked, ErrUserDisabled).
func (n *Node) Authenticate(ctx context.Context, token string) (identity.User, error) {
	if identity.CheckTokenForm(token) != nil {
		return identity.User{}, ErrUnauthenticated
	}
	digest := identity.Digest(token)
	now := n.now()
	forgotten := n.forgotten.Load()
	if v, ok := n.sessions.Load(digest); ok {
		if s := v.(session); now.Sub(s.at) < cacheTTL && now.Before(s.expires) {
			return s.user, nil
		}
		n.sessions.Delete(digest)
	}
	u, t, err := n.db.Credential(ctx, digest)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return identity.User{}, ErrTokenUnknown
	case err != nil:
		return identity.User{}, err
	case t.RevokedAt != nil:
		return identity.User{}, ErrTokenRevoked
	case !now.Before(t.ExpiresAt):
		return identity.User{}, ErrTokenExpired
	case u.DisabledAt != nil:
		return identity.User{}, ErrUserDisabled
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= store.TokenUseInterval {
		// The last use is a note for the official, not a change they
		// made: it is not audited, and failing to write it refuses no
		// one.
		_ = n.db.NoteTokenUse(ctx, digest, now)
	}
	// A revocation heard while the token was read may have come too late
	// for the read: the session is not kept for later calls.
	if n.forgotten.Load() == forgotten {
		n.sessions.Store(digest, session{user: u, at: now, expires: t.ExpiresAt})
	}
	return u, nil
}

// forget drops the cached sessions that match, so that a revocation or a
// disabling takes effect at once on this node.
func (n *Node) forget(match func(digest string, u identity.User) bool) {
	n.forgotten.Add(1)
	n.sessions.Range(func(k, v any) bool {
		if match(k.(string), v.(session).user) {
			n.sessions.Delete(k)
		}
		return true
	})
}

// TokenTTL is how long the tokens this node makes work.
func (n *Node) TokenTTL() time.Duration { return n.tokenTTL }

// SetTokenTTL sets how long the tokens this node makes from now on work;
// tokens made before keep their expiry. It refuses a lifetime outside
// identity.MinTokenTTL to identity.MaxTokenTTL. Call it before the node
// serves: it is configuration, not guarded for concurrent use.
func (n *Node) SetTokenTTL(d time.Duration) error {
	if err := identity.CheckTokenTTL(d); err != nil {
		return err
	}
	n.tokenTTL = d
	return nil
}

var credRef = convention.Art(40).Para(13)

// IssueEnrolment issues a one-time enrolment code for userID, an official
// of by's State, and returns it with its code: the code is shown once,
// works once, and for identity.EnrolmentTTL. A code issued earlier and not
// used stops working. An official of another State is not found.
func (n *Node) IssueEnrolment(ctx context.Context, by casework.Actor, userID string) (identity.Enrolment, error) {
	if !by.Role.Can(identity.ManageUsers) {
		return identity.Enrolment{}, forbidden("role", "the %s role may not enrol officials", by.Role)
	}
	now := n.now()
	code, digest := identity.NewEnrolmentCode()
	e := identity.Enrolment{ID: identity.ShortID(digest), User: userID, State: by.State, IssuedBy: by.ID, CreatedAt: now, ExpiresAt: now.Add(identity.EnrolmentTTL)}
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.User(ctx, by.State, userID)
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			return convention.Problems{{Field: "id", Ref: credRef, Message: fmt.Sprintf("official %q is disabled: enable them first", userID)}}
		}
		replaced, err := tx.InsertEnrolment(ctx, by.State, digest, e)
		if err != nil {
			return err
		}
		// The code's short id, never the code: an auditor can match the
		// record to the redemption without being able to redeem it.
		return audit(ctx, tx, n.home, by.State, by, now, "enrolment.issue", "user/"+userID,
			map[string]any{"enrolment": e.ID, "expires_at": e.ExpiresAt, "replaced": replaced})
	})
	if err != nil {
		return identity.Enrolment{}, err
	}
	e.Code = code
	return e, nil
}

// Enrolled is what redeeming an enrolment code gives: the official, their
// new token (shown once) and what the node shows of it.
type Enrolled struct {
	User  identity.User  `json:"user"`
	Token string         `json:"token"`
	Info  identity.Token `json:"token_info"`
}

// Enrol redeems an enrolment code for a new token of the official it was
// issued for, labelled label, valid for the node's token lifetime. A code
// works once and for identity.EnrolmentTTL; an unknown, used or expired
// code, or one for a disabled official, is an *AuthError that says which
// (ErrCodeUnknown, ErrCodeUsed, ErrCodeExpired, ErrUserDisabled).
func (n *Node) Enrol(ctx context.Context, code, label string) (Enrolled, error) {
	if identity.CheckCodeForm(code) != nil {
		return Enrolled{}, ErrCodeUnknown
	}
	if p, bad := convention.CheckText("label", credRef, label, 200); bad {
		return Enrolled{}, convention.Problems{p}
	}
	now := n.now()
	token, digest := identity.NewToken()
	var out Enrolled
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		e, u, err := tx.RedeemEnrolment(ctx, identity.Digest(code), now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return ErrCodeUnknown
		case err != nil:
			return err
		case e.UsedAt != nil:
			return ErrCodeUsed
		case !now.Before(e.ExpiresAt):
			return ErrCodeExpired
		case u.DisabledAt != nil:
			return ErrUserDisabled
		}
		t := identity.Token{ID: identity.ShortID(digest), User: u.ID, Label: label, CreatedAt: now, ExpiresAt: now.Add(n.tokenTTL), IssuedBy: e.IssuedBy}
		if err := tx.InsertToken(ctx, u.State, digest, t); err != nil {
			return err
		}
		out = Enrolled{User: u, Token: token, Info: t}
		return audit(ctx, tx, n.home, u.State, ActorOf(u), now, "token.create", "user/"+u.ID,
			map[string]any{"token": t.ID, "label": label, "expires_at": t.ExpiresAt, "enrolment": e.ID, "issued_by": e.IssuedBy})
	})
	if err != nil {
		return Enrolled{}, err
	}
	return out, nil
}

// Tokens lists the tokens of userID, by's own when userID is "" or by's
// id, or, for an administrator, those of an official of their State.
// Another State's official is not found.
func (n *Node) Tokens(ctx context.Context, by casework.Actor, userID string) ([]identity.Token, error) {
	userID, err := n.tokenOwner(ctx, by, userID, "list the tokens of")
	if err != nil {
		return nil, err
	}
	tokens, err := n.db.Tokens(ctx, by.State, userID)
	return tokens, n.readable(ctx, err)
}

// tokenOwner returns whose tokens by may handle when naming userID: their
// own, or, for an administrator, those of an official of their State.
func (n *Node) tokenOwner(ctx context.Context, by casework.Actor, userID, verb string) (string, error) {
	if userID == "" || userID == by.ID {
		return by.ID, nil
	}
	if !by.Role.Can(identity.ManageUsers) {
		return "", forbidden("role", "the %s role may not %s other officials", by.Role, verb)
	}
	// An official who cannot be read is still one of by's State's: their
	// tokens can be listed and revoked.
	if _, err := n.db.User(ctx, by.State, userID); err != nil && !errors.As(err, new(*store.RowError)) {
		return "", err
	}
	return userID, nil
}

// RevokeToken revokes token id of userID (by's own when userID is "" or
// by's id; for an administrator, an official of their State). It stops
// working at once on this node and on its replicas on PostgreSQL.
// Revoking a revoked token changes nothing and is not audited again.
func (n *Node) RevokeToken(ctx context.Context, by casework.Actor, userID, id string) (identity.Token, error) {
	userID, err := n.tokenOwner(ctx, by, userID, "revoke the tokens of")
	if err != nil {
		return identity.Token{}, err
	}
	now := n.now()
	var t identity.Token
	err = n.db.Tx(ctx, func(tx *store.Tx) error {
		var digest string
		var revoked bool
		t, digest, revoked, err = tx.RevokeToken(ctx, by.State, userID, id, now)
		if err != nil || !revoked {
			return err
		}
		tx.AfterCommit(func() { n.forget(func(d string, _ identity.User) bool { return d == digest }) })
		return audit(ctx, tx, n.home, by.State, by, now, "token.revoke", "user/"+userID, map[string]any{"token": t.ID, "label": t.Label})
	})
	return t, err
}

// SetDisabled disables the official userID of by's State, or enables them
// again. A disabled official's tokens stop working, at once on this node
// and on its replicas on PostgreSQL, and their enrolment codes cannot be
// redeemed; enabled again, their tokens that have not expired or been
// revoked work again. An administrator cannot disable themselves, so that
// a State is never left without one by mistake.
func (n *Node) SetDisabled(ctx context.Context, by casework.Actor, userID string, disabled bool) (identity.User, error) {
	if !by.Role.Can(identity.ManageUsers) {
		return identity.User{}, forbidden("role", "the %s role may not disable or enable officials", by.Role)
	}
	if disabled && userID == by.ID {
		return identity.User{}, convention.Problems{{Field: "id", Ref: credRef, Message: "you cannot disable yourself: another administrator of your State can"}}
	}
	now := n.now()
	var at *time.Time
	action := "user.enable"
	if disabled {
		at, action = &now, "user.disable"
	}
	var u identity.User
	err := n.db.Tx(ctx, func(tx *store.Tx) error {
		var changed bool
		var err error
		u, changed, err = tx.SetUserDisabled(ctx, by.State, userID, at)
		if err != nil || !changed {
			return err
		}
		tx.AfterCommit(func() { n.forget(func(_ string, s identity.User) bool { return s.ID == userID }) })
		return audit(ctx, tx, n.home, by.State, by, now, action, "user/"+userID, map[string]any{"id": userID})
	})
	return u, err
}
