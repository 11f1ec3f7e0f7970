package funds

import (
	"context"
	"time"
)

// AccountID and TransferID are a Ledger's ids of accounts and transfers.
type (
	AccountID  int64
	TransferID int64
)

// Movement is one transfer as a Ledger gives it to a trace.
type Movement struct {
	ID       TransferID
	At       time.Time
	From, To AccountID
	Amount   int64 // millionths of a unit of Currency
	Currency string
}

// Cursor is a position in an account's movements, ordered by (At, ID).
type Cursor struct {
	At time.Time
	ID TransferID
}

// Opening is the balance a statement gives for an account at a time:
// funds of unknown origin, so never traced ones.
type Opening struct {
	At       time.Time
	Amount   int64 // millionths of a unit of Currency
	Currency string
}

// Ledger is where a trace reads transfers, one account at a time, so that
// what it holds in memory is bounded by what it follows, not by the
// whole graph.
type Ledger interface {
	// Transfer returns one transfer: a victim payment a trace starts
	// from. It returns an error wrapping ErrUnknownTransfer for an id it
	// does not hold.
	Transfer(ctx context.Context, id TransferID) (Movement, error)
	// Movements returns up to limit of the transfers into or out of
	// account, ordered by (At, ID), strictly after after; a transfer
	// from the account to itself once. It returns fewer than limit
	// only when there are no more.
	Movements(ctx context.Context, account AccountID, after Cursor, limit int) ([]Movement, error)
	// Opening returns the latest balance a statement gives for account,
	// and false when none does.
	Opening(ctx context.Context, account AccountID) (Opening, bool, error)
}

// Rates converts amounts into the currency of a trace at a transfer's
// date, from rates an official loaded (a node makes no network call to
// price a transfer).
type Rates interface {
	// Convert returns micros of currency as millionths of the trace's
	// currency on day. It returns an error wrapping ErrNoRate naming the
	// currency and the day when it has no rate for them.
	Convert(micros int64, currency string, day time.Time) (int64, error)
}

// Rule is how a trace decides which funds leave an account when it pays
// out of a balance that mixes traced and other funds.
type Rule string

// The tracing rules.
const (
	// FIFO: first in, first out; a payment takes the oldest funds first.
	FIFO Rule = "fifo"
	// ProRata: each payment carries traced funds in the proportion the
	// balance holds them ("haircut").
	ProRata Rule = "pro_rata"
	// LIBR: lowest intermediate balance; the holder is presumed to spend
	// their own funds first, so traced funds leave only when the other
	// funds are gone, and what remains traced never exceeds the lowest
	// balance since (the rule of common-law courts).
	LIBR Rule = "libr"
)

// Options are the choices an official makes for a trace.
type Options struct {
	Rule Rule `json:"rule"`
	// Currency is the currency the result is given in; every transfer is
	// converted at its date.
	Currency string `json:"currency"`
	// Until, when set, ends the trace: later transfers are not followed.
	Until time.Time `json:"until,omitzero"`
	// MaxHops bounds how many transfers away from a victim payment funds
	// are followed: funds that reach an account MaxHops transfers away
	// stay there. 0 means DefaultMaxHops; at most MaxMaxHops.
	MaxHops int `json:"max_hops,omitempty"`
	// Dust is the traced amount, in millionths of Currency, below which
	// a share is no longer followed and is counted as dust; 0 means
	// DefaultDust.
	Dust int64 `json:"dust,omitempty"`
}

// Defaults of Options.
const (
	DefaultMaxHops = 64
	DefaultDust    = 10_000 // 0.01 of the trace's currency
)

// Hop is one transfer that carried traced funds.
type Hop struct {
	Transfer TransferID `json:"transfer"`
	From     AccountID  `json:"from"`
	To       AccountID  `json:"to"`
	At       time.Time  `json:"at"`
	// Depth is 1 for a victim payment and one more for each transfer
	// after it: the greatest depth of the traced funds it carries
	// (Trace says how depth is counted when funds meet).
	Depth int `json:"depth"`
	// Amount is the whole transfer and Traced the traced funds in it,
	// both in millionths of the trace's currency.
	Amount int64 `json:"amount"`
	Traced int64 `json:"traced"`
}

// Share is how much of one victim payment's funds a holding holds.
type Share struct {
	Origin TransferID `json:"origin"`
	Amount int64      `json:"amount"`
}

// Holding is the traced funds an account holds at the end of the trace.
type Holding struct {
	Account  AccountID `json:"account"`
	Traced   int64     `json:"traced"`
	ByOrigin []Share   `json:"by_origin"`
}

// Shortfall is a payment out of an account larger than the records show
// the account held: the difference is presumed to be untraced funds, and
// the official is told which records are missing.
type Shortfall struct {
	Account  AccountID  `json:"account"`
	Transfer TransferID `json:"transfer"`
	At       time.Time  `json:"at"`
	Amount   int64      `json:"amount"`
}

// Result is a trace: where the funds of the victim payments went and
// where they are now. Holdings and Dust add up to Traced, exactly.
type Result struct {
	Options Options      `json:"options"`
	Sources []TransferID `json:"sources"`
	// Traced is the victim payments' total in millionths of the trace's
	// currency.
	Traced int64 `json:"traced"`
	// Hops are the transfers that carried traced funds, in the order of
	// time.
	Hops []Hop `json:"hops"`
	// Holdings are the accounts that hold traced funds at the end, the
	// largest first, then by account; each one's shares by origin.
	Holdings []Holding `json:"holdings"`
	// Dust is traced funds in shares too small to follow.
	Dust       int64       `json:"dust"`
	Shortfalls []Shortfall `json:"shortfalls,omitempty"`
	// Read is how many movements the trace read from the ledger.
	Read int `json:"read"`
}
