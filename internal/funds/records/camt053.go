package records

import (
	"encoding/xml"
	"fmt"
	"strings"

	"entraide/internal/funds"
)

type (
	xBal struct {
		Tp struct {
			CdOrPrtry struct {
				Cd string `xml:"Cd"`
			} `xml:"CdOrPrtry"`
		} `xml:"Tp"`
		Amt       xAmt   `xml:"Amt"`
		CdtDbtInd string `xml:"CdtDbtInd"`
		Dt        xDate  `xml:"Dt"`
	}
	// xStatus is an entry's status: the text of Sts up to camt.053.001.07,
	// Sts/Cd from version 08.
	xStatus struct {
		Text string `xml:",chardata"`
		Cd   string `xml:"Cd"`
	}
	xEntry struct {
		NtryRef     string   `xml:"NtryRef"`
		Amt         xAmt     `xml:"Amt"`
		CdtDbtInd   string   `xml:"CdtDbtInd"`
		Sts         xStatus  `xml:"Sts"`
		BookgDt     xDate    `xml:"BookgDt"`
		ValDt       xDate    `xml:"ValDt"`
		AcctSvcrRef string   `xml:"AcctSvcrRef"`
		BkTxCd      xBkTxCd  `xml:"BkTxCd"`
		NtryDtls    []xBatch `xml:"NtryDtls"`
	}
	xBatch struct {
		TxDtls []xTxDtls `xml:"TxDtls"`
	}
	xTxDtls struct {
		Refs      xRefs  `xml:"Refs"`
		Amt       xAmt   `xml:"Amt"`
		CdtDbtInd string `xml:"CdtDbtInd"`
		AmtDtls   struct {
			TxAmt struct {
				Amt xAmt `xml:"Amt"`
			} `xml:"TxAmt"`
		} `xml:"AmtDtls"`
		BkTxCd    xBkTxCd `xml:"BkTxCd"`
		RltdPties struct {
			Dbtr     xParty `xml:"Dbtr"`
			DbtrAcct xAcct  `xml:"DbtrAcct"`
			Cdtr     xParty `xml:"Cdtr"`
			CdtrAcct xAcct  `xml:"CdtrAcct"`
		} `xml:"RltdPties"`
		RltdAgts struct {
			DbtrAgt xAgent `xml:"DbtrAgt"`
			CdtrAgt xAgent `xml:"CdtrAgt"`
		} `xml:"RltdAgts"`
	}
)

// statement reads one child of BkToCstmrStmt: a Stmt, the others are
// skipped (GrpHdr, SplmtryData).
func (p *xmlParser) statement(se xml.StartElement) error {
	if se.Name.Local != "Stmt" {
		return p.skip("BkToCstmrStmt/" + se.Name.Local)
	}
	p.stmts++
	loc := fmt.Sprintf("Stmt[%d]", p.stmts)
	var own funds.Account
	haveOwn := false
	entries := 0
	return p.children(loc, func(se xml.StartElement) error {
		switch se.Name.Local {
		case "Acct":
			var a xAcct
			if err := p.decode(loc+"/Acct", &a, se); err != nil {
				return err
			}
			if haveOwn {
				return errorf(loc, "Acct", "a second Acct: a statement is of one account")
			}
			var err error
			own, haveOwn, err = partyAccount(loc, "Acct", "Acct/Svcr", a, a.Svcr, a.Ownr.name())
			if err != nil {
				return err
			}
			if !haveOwn {
				return errorf(loc, "Acct/Id", "the statement names no account (Acct/Id/IBAN or Acct/Id/Othr/Id)")
			}
			return nil
		case "Bal":
			var b xBal
			if err := p.decode(loc+"/Bal", &b, se); err != nil {
				return err
			}
			if !haveOwn {
				return errorf(loc, "Bal", "a balance before the statement's Acct")
			}
			return p.balance(loc, own, b)
		case "Ntry":
			entries++
			eloc := fmt.Sprintf("%s/Ntry[%d]", loc, entries)
			var e xEntry
			if err := p.decode(eloc, &e, se); err != nil {
				return err
			}
			if !haveOwn {
				return errorf(eloc, "", "an entry before the statement's Acct: the statement must name its account first")
			}
			return p.entry(eloc, own, e)
		}
		return p.skip(loc + "/" + se.Name.Local)
	})
}

// balance keeps the opening booked balance (OPBD): the funds the account
// held before the statement's entries, of unknown origin to a trace. A
// debit balance (an overdraft) is kept as a negative amount.
func (p *xmlParser) balance(loc string, own funds.Account, b xBal) error {
	if strings.TrimSpace(b.Tp.CdOrPrtry.Cd) != "OPBD" {
		return nil
	}
	loc = fmt.Sprintf("%s/Bal[OPBD]", loc)
	canon, micros, ccy, err := amount(loc, "Amt", b.Amt, false)
	if err != nil {
		return err
	}
	switch strings.TrimSpace(b.CdtDbtInd) {
	case "CRDT":
	case "DBIT":
		if micros != 0 {
			canon, micros = "-"+canon, -micros
		}
	default:
		return errorf(loc, "CdtDbtInd", "%q is neither CRDT nor DBIT", b.CdtDbtInd)
	}
	at, _, ok, err := b.Dt.at()
	if err != nil {
		return errorf(loc, "Dt", "%v", err)
	}
	if !ok {
		return errorf(loc, "Dt", "the opening balance has no date (Dt/Dt or Dt/DtTm)")
	}
	if err := plausible(at); err != nil {
		return errorf(loc, "Dt", "%v", err)
	}
	p.c.recs.Balances = append(p.c.recs.Balances, funds.Balance{
		Account: own, Amount: canon, Micros: micros, Currency: ccy, At: at, Locator: loc,
	})
	return nil
}

// sinkOf returns the account on the other side of an entry that names
// no counterparty but whose bank transaction code says what it is:
// cash withdrawn or deposited (sub-family CWDL, CDPT), or the bank's
// own charges, fees, commission, interest and taxes (CHRG, FEES, COMM,
// INTR, TAXE), in any domain and family. Each is an account of the
// statement's account alone, in its State, so that the cash or charges
// of unrelated accounts are never merged into one and a trace does not
// see funds pass between them.
func sinkOf(own funds.Account, codes ...xBkTxCd) (funds.Account, bool) {
	for _, c := range codes {
		var kind string
		switch strings.TrimSpace(c.Domn.Fmly.SubFmlyCd) {
		case "CWDL", "CDPT":
			kind = funds.SinkCash
		case "CHRG", "FEES", "COMM", "INTR", "TAXE":
			kind = funds.SinkCharges
		default:
			continue
		}
		return funds.Account{Kind: funds.BankAccount, Bank: kind, ID: own.Key(), Holder: kind, Jurisdiction: own.Jurisdiction}, true
	}
	return funds.Account{}, false
}

// entry turns one booked entry into transfers: one per TxDtls of a batch
// entry, else one for the entry. Entries not yet booked (pending,
// information) are skipped: no money has moved.
func (p *xmlParser) entry(loc string, own funds.Account, e xEntry) error {
	status := strings.TrimSpace(e.Sts.Cd)
	if status == "" {
		status = strings.TrimSpace(e.Sts.Text)
	}
	if status == "" {
		return errorf(loc, "Sts", "the entry has no status")
	}
	if status != "BOOK" {
		return nil
	}
	dir := strings.TrimSpace(e.CdtDbtInd)
	if dir != "CRDT" && dir != "DBIT" {
		return errorf(loc, "CdtDbtInd", "%q is neither CRDT nor DBIT", e.CdtDbtInd)
	}
	at, _, ok, err := e.BookgDt.at()
	field := "BookgDt"
	if err == nil && !ok {
		at, _, ok, err = e.ValDt.at()
		field = "ValDt"
	}
	if err != nil {
		return errorf(loc, field, "%v", err)
	}
	if !ok {
		return errorf(loc, "BookgDt", "the entry has no booking date (BookgDt/DtTm or Dt) nor value date")
	}
	type tx struct {
		loc string
		d   xTxDtls
	}
	var txs []tx
	for i, b := range e.NtryDtls {
		for j, d := range b.TxDtls {
			l := fmt.Sprintf("%s/NtryDtls[%d]/TxDtls[%d]", loc, i+1, j+1)
			if len(e.NtryDtls) == 1 {
				l = fmt.Sprintf("%s/NtryDtls/TxDtls[%d]", loc, j+1)
			}
			txs = append(txs, tx{l, d})
		}
	}
	if len(txs) <= 1 {
		// A single transaction is the entry.
		var d xTxDtls
		if len(txs) == 1 {
			d = txs[0].d
		}
		txs = []tx{{loc, d}}
	}
	for _, t := range txs {
		d := t.d
		var canon, ccy string
		var micros int64
		var err error
		switch {
		case strings.TrimSpace(d.AmtDtls.TxAmt.Amt.Value) != "":
			canon, micros, ccy, err = amount(t.loc, "AmtDtls/TxAmt/Amt", d.AmtDtls.TxAmt.Amt, true)
		case strings.TrimSpace(d.Amt.Value) != "":
			canon, micros, ccy, err = amount(t.loc, "Amt", d.Amt, true)
		case len(txs) == 1:
			canon, micros, ccy, err = amount(t.loc, "Amt", e.Amt, true)
		default:
			err = errorf(t.loc, "AmtDtls/TxAmt/Amt", "a transaction of a batch entry without its own amount")
		}
		if err != nil {
			return err
		}
		txDir := dir
		if s := strings.TrimSpace(d.CdtDbtInd); s != "" {
			if s != "CRDT" && s != "DBIT" {
				return errorf(t.loc, "CdtDbtInd", "%q is neither CRDT nor DBIT", d.CdtDbtInd)
			}
			txDir = s
		}
		prefix := ""
		if t.loc == loc {
			prefix = "NtryDtls/TxDtls/"
		}
		var other funds.Account
		var ok bool
		if txDir == "CRDT" {
			other, ok, err = partyAccount(t.loc, prefix+"RltdPties/DbtrAcct", prefix+"RltdAgts/DbtrAgt", d.RltdPties.DbtrAcct, d.RltdAgts.DbtrAgt, d.RltdPties.Dbtr.name())
		} else {
			other, ok, err = partyAccount(t.loc, prefix+"RltdPties/CdtrAcct", prefix+"RltdAgts/CdtrAgt", d.RltdPties.CdtrAcct, d.RltdAgts.CdtrAgt, d.RltdPties.Cdtr.name())
		}
		if err != nil {
			return err
		}
		if !ok {
			sink, isSink := sinkOf(own, d.BkTxCd, e.BkTxCd)
			if !isSink {
				party := "Dbtr"
				if txDir == "DBIT" {
					party = "Cdtr"
				}
				return errorf(t.loc, prefix+"RltdPties/"+party+"Acct", "the entry names no account of its counterparty (%sAcct/Id/IBAN or Othr/Id) and its BkTxCd says neither cash (sub-family CWDL, CDPT) nor the bank's charges or interest (CHRG, FEES, COMM, INTR, TAXE): ask the bank for the statement with transaction details", party)
			}
			if other, err = account(t.loc, "BkTxCd", sink); err != nil {
				return err
			}
		}
		tr := funds.Transfer{
			Amount: canon, Micros: micros, Currency: ccy, At: at, Locator: t.loc,
			Reference: reference(d.Refs.EndToEndId, d.Refs.AcctSvcrRef, e.AcctSvcrRef, d.Refs.TxId, e.NtryRef),
		}
		if txDir == "CRDT" {
			tr.From, tr.To = other, own
		} else {
			tr.From, tr.To = own, other
		}
		if err := p.c.add(tr); err != nil {
			return err
		}
	}
	return nil
}
