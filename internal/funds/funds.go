// Package funds holds the financial records a State's investigators load
// from the evidence other States return (bank statements, payment
// messages, blockchain transfers), the accounts and transfers they
// describe, and the rules that trace stolen funds through them (arts. 31,
// 40(3), 41, 49-52). It performs no I/O: parsers read an io.Reader, and a
// trace reads its transfers through a Ledger the caller supplies.
package funds

import (
	"strings"
	"time"
)

// AccountKind is how an account is identified in the records.
type AccountKind string

// The kinds of account.
const (
	IBAN        AccountKind = "iban"    // an IBAN; its country gives the jurisdiction
	BankAccount AccountKind = "account" // an account number at a bank (a BIC or the bank's name)
	Wallet      AccountKind = "wallet"  // an address on a blockchain
)

// Account is an account as a record names it: by IBAN, by number at a
// bank, or by wallet address on a chain, with the person or company a
// record gives as its holder and the State whose jurisdiction it is in.
type Account struct {
	Kind AccountKind `json:"kind"`
	// ID is the IBAN (upper case, no spaces), the account number, or
	// the wallet address, in the canonical form Key compares.
	ID string `json:"id"`
	// Bank is the BIC or the bank's name for an account number, the BIC
	// (if the record gives it) for an IBAN, and the chain ("bitcoin",
	// "ethereum", ...) for a wallet.
	Bank string `json:"bank,omitempty"`
	// Holder is the person or company the record names as holding the
	// account; empty when it names none.
	Holder string `json:"holder,omitempty"`
	// Jurisdiction is the State (ISO 3166-1 alpha-3) the account is in:
	// from the IBAN's country, else the BIC's, else what an official set.
	// Empty when unknown.
	Jurisdiction string `json:"jurisdiction,omitempty"`
}

// Transfer is one movement of funds as one record gives it.
type Transfer struct {
	From Account `json:"from"`
	To   Account `json:"to"`
	// Amount is the amount exactly as recorded, as a canonical decimal
	// ("1234.5", never "1,234.50" or "1.2345e3"); always positive.
	Amount string `json:"amount"`
	// Micros is Amount in millionths of a unit of Currency, rounded half
	// to even: what a trace computes with.
	Micros int64 `json:"micros"`
	// Currency is the ISO 4217 code, or the asset's symbol ("BTC",
	// "ETH", "USDT") for a blockchain transfer.
	Currency string    `json:"currency"`
	At       time.Time `json:"at"`
	// Reference is the record's own id for the transfer: the end-to-end
	// id, the bank's entry reference, or the transaction hash.
	Reference string `json:"reference,omitempty"`
	// Locator names the exact record inside the file: "line 12" for CSV,
	// an element path such as "Stmt[1]/Ntry[3]" for ISO 20022, "[4]" for
	// a JSON array.
	Locator string `json:"locator"`
}

// Balance is an account's balance at a time, as a bank statement gives it
// (camt.053's opening balance): the funds it held that no record of the
// trace explains.
type Balance struct {
	Account  Account   `json:"account"`
	Amount   string    `json:"amount"`
	Micros   int64     `json:"micros"`
	Currency string    `json:"currency"`
	At       time.Time `json:"at"`
	Locator  string    `json:"locator"`
}

// Records is what one file gives: its transfers and the balances it
// states, in the order the file gives them.
type Records struct {
	Transfers []Transfer `json:"transfers"`
	Balances  []Balance  `json:"balances,omitempty"`
}

// Key is what makes two records' accounts the same account: the IBAN
// alone (it is unique in the world), the account number at its bank, or
// the address on its chain. The holder and the jurisdiction are not part
// of it: records of two States may name the holder differently.
func (a Account) Key() string {
	switch a.Kind {
	case IBAN:
		return string(IBAN) + ":" + a.ID
	default:
		return string(a.Kind) + ":" + a.Bank + ":" + a.ID
	}
}

// What a statement's entry with no counterparty account is, by its bank
// transaction code: cash withdrawn or deposited, or the bank's charges.
// The records give each as an account of the statement's account alone,
// at a "bank" of that name.
const (
	SinkCash    = "cash"
	SinkCharges = "bank charges"
)

// Sink reports whether a is the cash or the bank charges of one
// statement's account, and which (SinkCash or SinkCharges), with that
// account's number or IBAN: what a reader names it by, rather than by
// its key.
func (a Account) Sink() (kind, of string, ok bool) {
	if a.Kind != BankAccount || (a.Bank != SinkCash && a.Bank != SinkCharges) || !strings.Contains(a.ID, ":") {
		return "", "", false
	}
	return a.Bank, a.ID[strings.LastIndex(a.ID, ":")+1:], true
}

// Rate is the value of one unit of Currency on Day, in the currency of
// the table it is loaded into, as an exact decimal ("0.9182").
type Rate struct {
	Day      time.Time `json:"day"`
	Currency string    `json:"currency"`
	PerUnit  string    `json:"per_unit"`
}
