package records

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"entraide/internal/funds"
)

type (
	// xPain001Tx is a CdtTrfTxInf of pain.001.
	xPain001Tx struct {
		PmtId xRefs `xml:"PmtId"`
		Amt   struct {
			InstdAmt xAmt `xml:"InstdAmt"`
			EqvtAmt  struct {
				Amt xAmt `xml:"Amt"`
			} `xml:"EqvtAmt"`
		} `xml:"Amt"`
		CdtrAgt  xAgent `xml:"CdtrAgt"`
		Cdtr     xParty `xml:"Cdtr"`
		CdtrAcct xAcct  `xml:"CdtrAcct"`
	}
	// xPacs008Tx is a CdtTrfTxInf of pacs.008.
	xPacs008Tx struct {
		PmtId          xRefs  `xml:"PmtId"`
		IntrBkSttlmAmt xAmt   `xml:"IntrBkSttlmAmt"`
		IntrBkSttlmDt  string `xml:"IntrBkSttlmDt"`
		Dbtr           xParty `xml:"Dbtr"`
		DbtrAcct       xAcct  `xml:"DbtrAcct"`
		DbtrAgt        xAgent `xml:"DbtrAgt"`
		CdtrAgt        xAgent `xml:"CdtrAgt"`
		Cdtr           xParty `xml:"Cdtr"`
		CdtrAcct       xAcct  `xml:"CdtrAcct"`
	}
)

// paymentInfo reads one child of CstmrCdtTrfInitn: a PmtInf, whose
// debtor pays each of its CdtTrfTxInf on the requested execution date;
// the others are skipped (GrpHdr, SplmtryData).
func (p *xmlParser) paymentInfo(se xml.StartElement) error {
	if se.Name.Local != "PmtInf" {
		return p.skip("CstmrCdtTrfInitn/" + se.Name.Local)
	}
	p.infos++
	loc := fmt.Sprintf("PmtInf[%d]", p.infos)
	var (
		dbtr     xParty
		dbtrAcct xAcct
		dbtrAgt  xAgent
		date     xDate
		pmtInfID string
		txs      int
	)
	var debtor *funds.Account
	var at time.Time
	return p.children(loc, func(se xml.StartElement) error {
		switch se.Name.Local {
		case "PmtInfId":
			return p.decode(loc, &pmtInfID, se)
		case "Dbtr":
			return p.decode(loc, &dbtr, se)
		case "DbtrAcct":
			return p.decode(loc, &dbtrAcct, se)
		case "DbtrAgt":
			return p.decode(loc, &dbtrAgt, se)
		case "ReqdExctnDt":
			return p.decode(loc, &date, se)
		case "CdtTrfTxInf":
			txs++
			tloc := fmt.Sprintf("%s/CdtTrfTxInf[%d]", loc, txs)
			var t xPain001Tx
			if err := p.decode(tloc, &t, se); err != nil {
				return err
			}
			if debtor == nil {
				// The schema puts the debtor and the date before the
				// transactions.
				a, ok, err := partyAccount(loc, "DbtrAcct", "DbtrAgt", dbtrAcct, dbtrAgt, dbtr.name())
				if err != nil {
					return err
				}
				if !ok {
					return errorf(loc, "DbtrAcct/Id", "no account of the debtor before the first CdtTrfTxInf (DbtrAcct/Id/IBAN or Othr/Id)")
				}
				var has bool
				at, _, has, err = date.at()
				if err != nil {
					return errorf(loc, "ReqdExctnDt", "%v", err)
				}
				if !has {
					return errorf(loc, "ReqdExctnDt", "no requested execution date before the first CdtTrfTxInf")
				}
				debtor = &a
			}
			return p.pain001Tx(tloc, *debtor, at, t)
		}
		return p.skip(loc + "/" + se.Name.Local)
	})
}

func (p *xmlParser) pain001Tx(loc string, debtor funds.Account, at time.Time, t xPain001Tx) error {
	var (
		canon, ccy string
		micros     int64
		err        error
	)
	if strings.TrimSpace(t.Amt.InstdAmt.Value) != "" {
		canon, micros, ccy, err = amount(loc, "Amt/InstdAmt", t.Amt.InstdAmt, true)
	} else {
		canon, micros, ccy, err = amount(loc, "Amt/EqvtAmt/Amt", t.Amt.EqvtAmt.Amt, true)
	}
	if err != nil {
		return err
	}
	creditor, ok, err := partyAccount(loc, "CdtrAcct", "CdtrAgt", t.CdtrAcct, t.CdtrAgt, t.Cdtr.name())
	if err != nil {
		return err
	}
	if !ok {
		return errorf(loc, "CdtrAcct/Id", "no account of the creditor (CdtrAcct/Id/IBAN or Othr/Id)")
	}
	return p.c.add(funds.Transfer{
		From: debtor, To: creditor, Amount: canon, Micros: micros, Currency: ccy, At: at,
		Reference: reference(t.PmtId.EndToEndId, t.PmtId.InstrId, t.PmtId.UETR), Locator: loc,
	})
}

// pacs008 reads Document/FIToFICstmrCdtTrf: the group header's
// settlement date, then each CdtTrfTxInf.
func (p *xmlParser) pacs008() error {
	var groupDate time.Time
	txs := 0
	return p.message("FIToFICstmrCdtTrf", func(se xml.StartElement) error {
		switch se.Name.Local {
		case "GrpHdr":
			var h struct {
				IntrBkSttlmDt string `xml:"IntrBkSttlmDt"`
			}
			if err := p.decode("GrpHdr", &h, se); err != nil {
				return err
			}
			if strings.TrimSpace(h.IntrBkSttlmDt) != "" {
				t, err := xmlTime(h.IntrBkSttlmDt)
				if err != nil {
					return errorf("GrpHdr", "IntrBkSttlmDt", "%v", err)
				}
				groupDate = t
			}
			return nil
		case "CdtTrfTxInf":
			txs++
			loc := fmt.Sprintf("CdtTrfTxInf[%d]", txs)
			var t xPacs008Tx
			if err := p.decode(loc, &t, se); err != nil {
				return err
			}
			return p.pacs008Tx(loc, groupDate, t)
		}
		return p.skip("FIToFICstmrCdtTrf/" + se.Name.Local)
	})
}

func (p *xmlParser) pacs008Tx(loc string, groupDate time.Time, t xPacs008Tx) error {
	canon, micros, ccy, err := amount(loc, "IntrBkSttlmAmt", t.IntrBkSttlmAmt, true)
	if err != nil {
		return err
	}
	at := groupDate
	if strings.TrimSpace(t.IntrBkSttlmDt) != "" {
		if at, err = xmlTime(t.IntrBkSttlmDt); err != nil {
			return errorf(loc, "IntrBkSttlmDt", "%v", err)
		}
	}
	if at.IsZero() {
		return errorf(loc, "IntrBkSttlmDt", "no settlement date, here or in GrpHdr/IntrBkSttlmDt")
	}
	debtor, ok, err := partyAccount(loc, "DbtrAcct", "DbtrAgt", t.DbtrAcct, t.DbtrAgt, t.Dbtr.name())
	if err != nil {
		return err
	}
	if !ok {
		return errorf(loc, "DbtrAcct/Id", "no account of the debtor (DbtrAcct/Id/IBAN or Othr/Id)")
	}
	creditor, ok, err := partyAccount(loc, "CdtrAcct", "CdtrAgt", t.CdtrAcct, t.CdtrAgt, t.Cdtr.name())
	if err != nil {
		return err
	}
	if !ok {
		return errorf(loc, "CdtrAcct/Id", "no account of the creditor (CdtrAcct/Id/IBAN or Othr/Id)")
	}
	return p.c.add(funds.Transfer{
		From: debtor, To: creditor, Amount: canon, Micros: micros, Currency: ccy, At: at,
		Reference: reference(t.PmtId.EndToEndId, t.PmtId.TxId, t.PmtId.UETR, t.PmtId.InstrId), Locator: loc,
	})
}
