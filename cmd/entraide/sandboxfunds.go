package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/funds"
	"entraide/internal/funds/records"
	"entraide/internal/identity"
	"entraide/internal/node"
)

// demoFunds is the sandbox's fund-tracing story (arts. 31, 40(3), 49-52):
// a business e-mail compromise made a manufacturer in Lyon pay EUR
// 480,000 to a "supplier" whose account is in Viet Nam. France asks Viet
// Nam for the account's records; Viet Nam answers with the bank's
// camt.053 statement as evidence; France's investigator imports it into
// a case and traces the payment by the lowest intermediate balance; and
// France's central authority prepares, from the trace, a freezing
// request to each State where the funds now sit (Viet Nam and South
// Africa), left as drafts to check and send.
func (sb *sandbox) demoFunds(ctx context.Context) error {
	fraCA := actor("fra-ca", "FRA", identity.CentralAuthority)
	fraInv := actor("fra-inv", "FRA", identity.Investigator)
	vnmCA := actor("vnm-ca", "VNM", identity.CentralAuthority)
	fra, vnm := sb.net.Nodes["FRA"].Node, sb.net.Nodes["VNM"].Node

	mla, err := sb.create(ctx, fraCA, casework.Contents{
		Kind: convention.MutualAssistance, RequestedState: "VNM", LegalBasis: &casework.LegalBasis{Type: casework.BasisReciprocity}, Urgency: casework.Urgent, Confidential: true,
		Offences: []convention.Charge{{Article: 13}, {Article: 17}},
		Fields: map[string]string{
			"requesting_authority": "Ministère de la Justice, Bureau de l'entraide pénale internationale",
			"subject_matter":       "Judicial investigation into a business e-mail compromise (organised fraud, laundering of its proceeds)",
			"conducting_authority": "Investigating judge, Juridiction interrégionale spécialisée de Lyon",
			"facts_summary":        "Intruders in a Lyon manufacturer's mailbox changed a supplier's bank details; on " + demoDay(18) + " the manufacturer paid EUR 480,000 into an account at a bank in Ho Chi Minh City.",
			"assistance_sought":    "The statement of the account from " + demoDay(20) + ", in ISO 20022 (camt.053), with the identity of its holder.",
			"persons_concerned":    "The holder of account 0071000987654 at Vietcombank (BFTVVNVX).",
			"purpose":              "To trace the proceeds and ask for them to be frozen before they move on.",
		},
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.Identification, convention.FinancialData}, Persons: []convention.PersonCategory{convention.Suspect, convention.Victim}},
	})
	if err != nil {
		return err
	}
	if err := sb.act(ctx, mla, fraCA, casework.Transition{Action: casework.Send}); err != nil {
		return err
	}
	if err := sb.waitFor(ctx, "VNM", mla.ID, casework.Received); err != nil {
		return err
	}
	for _, t := range []casework.Transition{
		{Action: casework.Acknowledge},
		{Action: casework.Start, Note: "Production order served on Vietcombank."},
	} {
		if err := sb.act(ctx, mla, vnmCA, t); err != nil {
			return err
		}
	}
	statement := []byte(demoStatement())
	collected := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	it, err := vnm.StartEvidence(ctx, vnmCA, mla.ID, evidence.Spec{
		Name: "vietcombank-0071000987654.camt053.xml", MediaType: "application/xml",
		Collection:   evidence.Collection{By: "Ministry of Public Security, Ha Noi", Where: "Ho Chi Minh City", When: &collected, Source: "Vietcombank's records, under a production order", Tool: "The bank's ISO 20022 statement export"},
		PersonalData: &convention.PersonalData{Carried: true, Categories: []convention.DataCategory{convention.Identification, convention.FinancialData}, Persons: []convention.PersonCategory{convention.Suspect}},
	}, int64(len(statement)))
	if err != nil {
		return fmt.Errorf("demo statement: %w", err)
	}
	if _, err := vnm.AppendEvidence(ctx, vnmCA, it.ID, 0, bytes.NewReader(statement)); err != nil {
		return fmt.Errorf("demo statement: %w", err)
	}
	if it, err = vnm.CompleteEvidence(ctx, vnmCA, it.ID); err != nil {
		return fmt.Errorf("demo statement: %w", err)
	}
	if _, err := vnm.SendEvidence(ctx, vnmCA, mla.ID, it.ID, nil); err != nil {
		return fmt.Errorf("demo statement: %w", err)
	}
	if err := sb.act(ctx, mla, vnmCA, casework.Transition{Action: casework.Execute, Note: "The account's statement is given as the attached item."}); err != nil {
		return err
	}
	item, err := sb.waitForItem(ctx, fra, fraCA, mla.ID, it.SHA256)
	if err != nil {
		return err
	}

	c, err := fra.CreateFundsCase(ctx, fraInv, "Business e-mail compromise, Fonderies du Rhône", "JIRS-LYON-2026-0917")
	if err != nil {
		return fmt.Errorf("demo case: %w", err)
	}
	if _, err := fra.ImportFundsRecords(ctx, fraInv, c.ID, node.FundsImport{RequestID: mla.ID, ItemID: item.ID, Format: records.Camt053}); err != nil {
		return fmt.Errorf("demo import: %w", err)
	}
	trace, err := fra.TraceFunds(ctx, fraInv, c.ID, node.TraceInput{References: []string{"FDR-2026-0917"}, Options: funds.Options{Rule: funds.LIBR, Currency: "EUR"}})
	if err != nil {
		return fmt.Errorf("demo trace: %w", err)
	}
	_, err = fra.FreezingRequestsFromTrace(ctx, fraCA, c.ID, trace.ID, node.FreezeInput{
		Facts:               "A business e-mail compromise made a Lyon manufacturer pay EUR 480,000 on " + demoDay(18) + " into account 0071000987654 at Vietcombank; the account's statement, given by Viet Nam, shows the funds paid on within days. The trace attached follows them by the lowest intermediate balance.",
		RequestingAuthority: "Ministère de la Justice, Bureau de l'entraide pénale internationale",
		Offences:            []convention.Charge{{Article: 13}, {Article: 17}},
	})
	if err != nil {
		return fmt.Errorf("demo freezing requests: %w", err)
	}
	return nil
}

// waitForItem waits until state's node holds the item of request id
// whose SHA-256 is sum, every byte of it arrived.
func (sb *sandbox) waitForItem(ctx context.Context, n *node.Node, by casework.Actor, id, sum string) (evidence.Item, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		items, err := n.EvidenceItems(ctx, by, id)
		if err == nil {
			for _, it := range items {
				if it.SHA256 == sum && it.Status == evidence.Available {
					return it, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return evidence.Item{}, fmt.Errorf("demo: the statement of request %s did not arrive at %s's node", id, by.State)
		}
		select {
		case <-ctx.Done():
			return evidence.Item{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// demoDay is the day days ago, as the demo's statement dates it.
func demoDay(days int) string {
	return time.Now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)
}

// demoStatement is Vietcombank's statement of the account the
// manufacturer paid: EUR 1,200 of the holder's own, the EUR 480,000,
// then EUR 200,000 to South Africa, a deposit of the holder's own, EUR
// 150,000 to another bank in Viet Nam, cash withdrawn and the bank's
// charges. By the lowest intermediate balance, EUR 198,800 of the
// payment sits in South Africa, EUR 145,000 at the other Vietnamese
// bank, EUR 111,196.50 still in the account, EUR 25,000 left in cash and
// EUR 3.50 went in charges.
func demoStatement() string {
	entry := func(n int, amount, dir, day, family, sub, ref, party string) string {
		return fmt.Sprintf(`<Ntry><NtryRef>%04d</NtryRef><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>%s</Dt></BookgDt><AcctSvcrRef>VCB-%s-%04d</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>%s</Cd><SubFmlyCd>%s</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs>%s</TxDtls></NtryDtls></Ntry>
`, n, amount, dir, day, strings.ReplaceAll(day, "-", ""), n, family, sub, ref, party)
	}
	payer := func(name, acct, bic string) string {
		return `<RltdPties><Dbtr><Pty><Nm>` + name + `</Nm></Pty></Dbtr><DbtrAcct><Id>` + acct + `</Id></DbtrAcct></RltdPties><RltdAgts><DbtrAgt><FinInstnId><BICFI>` + bic + `</BICFI></FinInstnId></DbtrAgt></RltdAgts>`
	}
	payee := func(name, acct, bic string) string {
		return `<RltdPties><Cdtr><Pty><Nm>` + name + `</Nm></Pty></Cdtr><CdtrAcct><Id>` + acct + `</Id></CdtrAcct></RltdPties><RltdAgts><CdtrAgt><FinInstnId><BICFI>` + bic + `</BICFI></FinInstnId></CdtrAgt></RltdAgts>`
	}
	othr := func(id string) string { return `<Othr><Id>` + id + `</Id></Othr>` }
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!-- Sandbox data: made up. -->
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>VCB-STMT-0071000987654</MsgId><CreDtTm>` + time.Now().UTC().Format("2006-01-02T15:04:05") + `</CreDtTm></GrpHdr>
<Stmt><Id>VCB-0071000987654-1</Id><CreDtTm>` + time.Now().UTC().Format("2006-01-02T15:04:05") + `</CreDtTm>
<Acct><Id>` + othr("0071000987654") + `</Id><Ccy>EUR</Ccy><Ownr><Nm>Sao Mai Import Export Co., Ltd</Nm></Ownr><Svcr><FinInstnId><BICFI>BFTVVNVX</BICFI></FinInstnId></Svcr></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1200.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>` + demoDay(20) + `</Dt></Dt></Bal>
`)
	b.WriteString(entry(1, "480000.00", "CRDT", demoDay(18), "RCDT", "XBCT", "FDR-2026-0917", payer("Fonderies du Rhône SA", "<IBAN>FR9630004012340001234567890</IBAN>", "BNPAFRPPXXX")))
	b.WriteString(entry(2, "200000.00", "DBIT", demoDay(17), "ICDT", "XBCT", "SM-OUT-5521", payee("Kestrel Imports (Pty) Ltd", othr("0012345678"), "SBZAZAJJ")))
	b.WriteString(entry(3, "5000.00", "CRDT", demoDay(16), "RCDT", "DMCT", "SM-IN-0042", payer("Tran Thi Binh", othr("0451000123456"), "BFTVVNVX")))
	b.WriteString(entry(4, "150000.00", "DBIT", demoDay(15), "ICDT", "DMCT", "SM-OUT-5530", payee("Hoang Long Trading Co", othr("12010001234567"), "BIDVVNVX")))
	b.WriteString(entry(5, "25000.00", "DBIT", demoDay(14), "CNTR", "CWDL", "NOTPROVIDED", ""))
	b.WriteString(entry(6, "3.50", "DBIT", demoDay(14), "CCRD", "CHRG", "NOTPROVIDED", ""))
	b.WriteString(`</Stmt></BkToCstmrStmt></Document>
`)
	return b.String()
}
