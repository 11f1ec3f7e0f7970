package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"entraide/internal/funds"
)

// row is what a test checks of a transfer: the accounts by key, with
// their jurisdiction, and the fields a trace reads.
type row struct {
	from, to  string
	amount    string
	micros    int64
	currency  string
	at        string
	reference string
	locator   string
}

func rowOf(t funds.Transfer) row {
	key := func(a funds.Account) string {
		return a.Key() + "@" + a.Jurisdiction
	}
	return row{key(t.From), key(t.To), t.Amount, t.Micros, t.Currency, t.At.Format(time.RFC3339), t.Reference, t.Locator}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func testMapping(t *testing.T) *Mapping {
	t.Helper()
	var m Mapping
	if err := json.Unmarshal([]byte(readFile(t, "statement-mapping.json")), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

const (
	fr = "iban:FR1420041010050500013M02606@FRA"
	it = "iban:IT60X0542811101000000123456@ITA"
	gb = "iban:GB29NWBK60161331926819@GBR"
	de = "iban:DE89370400440532013000@DEU"
	ch = "iban:CH9300762011623852957@CHE"
	vn = "account:BFTVVNVX:0071001234567@VNM"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		format   Format
		file     string
		want     []row
		balances []string // account key, amount, micros, at
	}{
		{
			name: "camt.053.001.08: credit, debit, pending skipped, batch of two, cash withdrawal, charges", format: Camt053, file: "camt053_v08.xml",
			want: []row{
				{it, fr, "50000", 50_000_000_000, "EUR", "2024-03-04T08:30:00Z", "INV-2024-0042", "Stmt[1]/Ntry[1]"},
				{fr, gb, "30000", 30_000_000_000, "EUR", "2024-03-05T00:00:00Z", "BNP-0305-7781", "Stmt[1]/Ntry[2]"},
				{fr, de, "10000", 10_000_000_000, "EUR", "2024-03-07T00:00:00Z", "PAY-7781-1", "Stmt[1]/Ntry[4]/NtryDtls/TxDtls[1]"},
				{fr, vn, "5000", 5_000_000_000, "EUR", "2024-03-07T00:00:00Z", "BNP-0307-BATCH-19", "Stmt[1]/Ntry[4]/NtryDtls/TxDtls[2]"},
				{fr, "account:cash:iban:FR1420041010050500013M02606@FRA", "2000", 2_000_000_000, "EUR", "2024-03-08T16:02:11Z", "BNP-0308-ATM-553", "Stmt[1]/Ntry[5]"},
				{fr, "account:bank charges:iban:FR1420041010050500013M02606@FRA", "12.5", 12_500_000, "EUR", "2024-03-31T00:00:00Z", "BNP-0331-FEES", "Stmt[1]/Ntry[6]"},
			},
			balances: []string{"iban:FR1420041010050500013M02606 1000 1000000000 EUR 2024-03-01T00:00:00Z Stmt[1]/Bal[OPBD]"},
		},
		{
			name: "camt.053.001.02: status as text, BIC, value date, bank by name, debit opening balance", format: Camt053, file: "camt053_v02.xml",
			want: []row{
				{fr, gb, "30000", 30_000_000_000, "EUR", "2024-03-06T00:00:00Z", "NWB-INW-66120", "Stmt[1]/Ntry[1]"},
				{gb, "account:Emirates Islamic Bank:1019876543201@", "29500", 29_500_000_000, "EUR", "2024-03-08T00:00:00Z", "NWB-OUT-11873", "Stmt[1]/Ntry[2]"},
			},
			balances: []string{"iban:GB29NWBK60161331926819 -250.5 -250500000 EUR 2024-03-05T00:00:00Z Stmt[1]/Bal[OPBD]"},
		},
		{
			name: "pain.001.001.09", format: Pain001, file: "pain001_v09.xml",
			want: []row{
				{fr, de, "10000", 10_000_000_000, "EUR", "2024-03-07T00:00:00Z", "PAY-7781-1", "PmtInf[1]/CdtTrfTxInf[1]"},
				{fr, vn, "5000", 5_000_000_000, "EUR", "2024-03-07T00:00:00Z", "BATCH-19-2", "PmtInf[1]/CdtTrfTxInf[2]"},
			},
		},
		{
			name: "pain.001.001.03: date as text, BIC", format: Pain001, file: "pain001_v03.xml",
			want: []row{
				{fr, de, "10000", 10_000_000_000, "EUR", "2024-03-07T00:00:00Z", "PAY-7781-1", "PmtInf[1]/CdtTrfTxInf[1]"},
				{fr, vn, "5000", 5_000_000_000, "EUR", "2024-03-07T00:00:00Z", "BATCH-19-2", "PmtInf[1]/CdtTrfTxInf[2]"},
			},
		},
		{
			name: "pacs.008.001.08: group and own settlement dates", format: Pacs008, file: "pacs008_v08.xml",
			want: []row{
				{fr, gb, "30000", 30_000_000_000, "EUR", "2024-03-05T00:00:00Z", "BNP-0305-7781", "CdtTrfTxInf[1]"},
				{gb, "account:MEBLAEAD:1019876543201@ARE", "32150.75", 32_150_750_000, "USD", "2024-03-08T00:00:00Z", "E2E-OMEGA-0001", "CdtTrfTxInf[2]"},
			},
		},
		{
			name: "CSV with a mapping: semicolons, decimal comma, quoted delimiter, BOM", format: CSV, file: "statement.csv",
			want: []row{
				{fr, de, "10000", 10_000_000_000, "EUR", "2024-03-07T00:00:00Z", "PAY-7781-1", "line 2"},
				{de, ch, "9950", 9_950_000_000, "EUR", "2024-03-11T00:00:00Z", "INV 2024/11", "line 3"},
				{de, "account:Commerzbank:5012345678@", "0.5", 500_000, "EUR", "2024-03-12T00:00:00Z", "", "line 4"},
			},
		},
		{
			name: "chain CSV: columns in any order, unix time, EIP-55 address", format: ChainCSV, file: "chain.csv",
			want: chainRows("line 2", "line 3", "line 4"),
		},
		{
			name: "chain JSON: numbers for time and amount, extra keys", format: ChainJSON, file: "chain.json",
			want: chainRows("[0]", "[1]", "[2]"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.format, strings.NewReader(readFile(t, tt.file)), testMapping(t))
			if err != nil {
				t.Fatalf("Parse(%s) = %v", tt.file, err)
			}
			if len(got.Transfers) != len(tt.want) {
				t.Fatalf("Parse(%s) gave %d transfers, want %d: %+v", tt.file, len(got.Transfers), len(tt.want), got.Transfers)
			}
			for i, tr := range got.Transfers {
				if r := rowOf(tr); r != tt.want[i] {
					t.Errorf("transfer %d:\n got %+v\nwant %+v", i, r, tt.want[i])
				}
			}
			var bals []string
			for _, b := range got.Balances {
				bals = append(bals, fmt.Sprintf("%s %s %d %s %s %s", b.Account.Key(), b.Amount, b.Micros, b.Currency, b.At.Format(time.RFC3339), b.Locator))
			}
			if strings.Join(bals, "\n") != strings.Join(tt.balances, "\n") {
				t.Errorf("balances:\n got %q\nwant %q", bals, tt.balances)
			}
			checkRecords(t, got)
		})
	}
}

func chainRows(l1, l2, l3 string) []row {
	return []row{
		{"wallet:bitcoin:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa@", "wallet:bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq@", "0.75", 750_000, "BTC", "2024-03-12T08:15:00Z", "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", l1},
		{"wallet:bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq@", "wallet:bitcoin:3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy@", "0.5", 500_000, "BTC", "2024-03-13T08:00:00Z", "e3bf3d07d4b0375638d5f1db5255fe07ba2c4cb067cd81b84ee974b6585fb468", l2},
		{"wallet:ethereum:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed@", "wallet:ethereum:0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359@", "12500", 12_500_000_000, "USDT", "2024-03-13T20:40:07Z", "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060", l3},
	}
}

// checkRecords checks what every successful parse guarantees; the fuzz
// tests call it too.
func checkRecords(t *testing.T, recs funds.Records) {
	t.Helper()
	for i, tr := range recs.Transfers {
		if tr.Micros <= 0 {
			t.Errorf("transfer %d: Micros = %d, want > 0", i, tr.Micros)
		}
		canon, micros, err := decimal(tr.Amount)
		if err != nil || canon != tr.Amount || micros != tr.Micros {
			t.Errorf("transfer %d: Amount %q reparses to %q, %d, %v; want itself and %d", i, tr.Amount, canon, micros, err, tr.Micros)
		}
		if !isAsset(tr.Currency) {
			t.Errorf("transfer %d: Currency %q is not a code", i, tr.Currency)
		}
		if tr.At.IsZero() {
			t.Errorf("transfer %d: no time", i)
		}
		if tr.Locator == "" {
			t.Errorf("transfer %d: no Locator", i)
		}
		for _, a := range []funds.Account{tr.From, tr.To} {
			n, err := funds.NormalizeAccount(a)
			if err != nil || n != a {
				t.Errorf("transfer %d: NormalizeAccount(%+v) = %+v, %v; want it unchanged", i, a, n, err)
			}
		}
		if tr.From.Key() == tr.To.Key() {
			t.Errorf("transfer %d: from and to are one account %s", i, tr.From.Key())
		}
	}
	for i, b := range recs.Balances {
		if n, err := funds.NormalizeAccount(b.Account); err != nil || n != b.Account {
			t.Errorf("balance %d: NormalizeAccount(%+v) = %+v, %v; want it unchanged", i, b.Account, n, err)
		}
		if b.At.IsZero() || b.Locator == "" || !isCurrency(b.Currency) {
			t.Errorf("balance %d: %+v lacks a time, locator or currency", i, b)
		}
	}
}

// edit returns a file of testdata with old replaced by new, once.
func edit(t *testing.T, file, old, new string) string {
	t.Helper()
	s := readFile(t, file)
	if !strings.Contains(s, old) {
		t.Fatalf("%s does not hold %q", file, old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestParseRefuses(t *testing.T) {
	type tc struct {
		name    string
		format  Format
		input   string
		locator string // the Error's Locator
		want    string // in the error's text
	}
	tests := []tc{
		{"unknown namespace", Camt053, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"/>`, "", `namespace "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08" is not one read here: accepted are`},
		{"version out of range", Pain001, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.02"/>`, "", "is not one read here"},
		{"no namespace", Camt053, `<Document/>`, "", `namespace ""`},
		{"empty Document", Pacs008, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.13"></Document>`, "", "Document: no FIToFICstmrCdtTrf in the Document"},
		{"another message than chosen", Camt053, readFile(t, "pain001_v09.xml"), "", "the file is a pain.001.001.09 message, not camt.053: import it as pain.001"},
		{"DOCTYPE", Camt053, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>` + readFile(t, "camt053_v08.xml")[39:], "line 1", "<!DOCTYPE>"},
		{"declaration inside an entry", Camt053, edit(t, "camt053_v08.xml", "<NtryRef>0001</NtryRef>", "<NtryRef>0001</NtryRef><!ENTITY x 'y'>"), "line 56", "Stmt[1]/Ntry[1]: a <!DOCTYPE> or other <!...> declaration"},
		{"entity reference", Camt053, edit(t, "camt053_v08.xml", "<NtryRef>0001", "<NtryRef>&xxe;"), "line 56", "Stmt[1]/Ntry[1]: not well-formed XML: invalid character entity &xxe;"},
		{"nested a million deep", Camt053, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>` + strings.Repeat("<Stmt>", 1_000_000), "line 1", "elements nested more than 64 deep"},
		{"nested deep in an entry", Camt053, edit(t, "camt053_v08.xml", "<NtryRef>0001</NtryRef>", strings.Repeat("<X>", 100)), "line 56", "Stmt[1]/Ntry[1]: elements nested more than 64 deep"},
		{"a million attributes", Camt053, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt ` + strings.Repeat(`a="1" `, 1_000_000) + `/>`, "line 1", "an element with more than 100 attributes"},
		{"cut short", Camt053, readFile(t, "camt053_v08.xml")[:3000], "line", "not well-formed XML"},
		{"not XML", Pacs008, "hello", "line 1", "text before the root element"},
		{"empty", Pacs008, "", "", "no XML element"},
		{"two roots", Pacs008, readFile(t, "pacs008_v08.xml") + "<Document/>", "", "a second root element"},
		{"wrapped document", Pacs008, `<Envelope xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><Document/></Envelope>`, "", "the root element is Envelope"},
		{"bad check digits", Camt053, edit(t, "camt053_v08.xml", "IT60X0542811101000000123456", "IT61X0542811101000000123456"), "Stmt[1]/Ntry[1]", "NtryDtls/TxDtls/RltdPties/DbtrAcct/Id/IBAN or NtryDtls/TxDtls/RltdAgts/DbtrAgt/FinInstnId/BICFI: IBAN IT61X0542811101000000123456: the check digits do not match: check the IBAN as printed in the record"},
		{"bad own IBAN", Camt053, edit(t, "camt053_v08.xml", "3M02 606", "3M02 607"), "Stmt[1]", "Acct/Id/IBAN or Acct/Svcr/FinInstnId/BICFI: IBAN FR1420041010050500013M02607: the check digits"},
		{"bad BIC", Camt053, edit(t, "camt053_v08.xml", "BPMOIT22XXX", "BPMO1T22XXX"), "Stmt[1]/Ntry[1]", "the bank of an IBAN account is its BIC"},
		{"counterparty with no account", Camt053, edit(t, "camt053_v08.xml", "<IBAN>GB29NWBK60161331926819</IBAN>", ""), "Stmt[1]/Ntry[2]", "NtryDtls/TxDtls/RltdPties/CdtrAcct: the entry names no account of its counterparty"},
		{"account number without bank", Camt053, edit(t, "camt053_v08.xml", "<BICFI>BFTVVNVX</BICFI>", ""), "Stmt[1]/Ntry[4]/NtryDtls/TxDtls[2]", "RltdPties/CdtrAcct/Id/Othr/Id: account number 0071 0012 34567 without its bank"},
		{"batch transaction without amount", Camt053, edit(t, "camt053_v08.xml", `<Amt Ccy="EUR">5000.00</Amt>`, ""), "Stmt[1]/Ntry[4]/NtryDtls/TxDtls[2]", "AmtDtls/TxAmt/Amt: a transaction of a batch entry without its own amount"},
		{"amount with a comma", Camt053, edit(t, "camt053_v08.xml", `<Amt Ccy="EUR">30000.00</Amt>`, `<Amt Ccy="EUR">30000,00</Amt>`), "Stmt[1]/Ntry[2]", `Amt: amount "30000,00" is not a plain decimal`},
		{"negative amount", Camt053, edit(t, "camt053_v08.xml", `<Amt Ccy="EUR">30000.00</Amt>`, `<Amt Ccy="EUR">-30000.00</Amt>`), "Stmt[1]/Ntry[2]", "not a plain decimal"},
		{"zero amount", Pacs008, edit(t, "pacs008_v08.xml", `>30000.00<`, `>0.00<`), "CdtTrfTxInf[1]", "IntrBkSttlmAmt: amount is zero"},
		{"huge amount", Pacs008, edit(t, "pacs008_v08.xml", `>30000.00<`, `>9000000000001<`), "CdtTrfTxInf[1]", "over 9000000000000 units"},
		{"bad currency", Camt053, edit(t, "camt053_v08.xml", `<Amt Ccy="EUR">30000.00</Amt>`, `<Amt Ccy="eur">30000.00</Amt>`), "Stmt[1]/Ntry[2]", `Amt@Ccy: currency "eur" is not an ISO 4217 code`},
		{"no direction", Camt053, edit(t, "camt053_v08.xml", "<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>\n          <Cd>BOOK</Cd>\n        </Sts>\n        <BookgDt>\n          <Dt>2024-03-05", "<CdtDbtInd>DEBIT</CdtDbtInd>\n        <Sts>\n          <Cd>BOOK</Cd>\n        </Sts>\n        <BookgDt>\n          <Dt>2024-03-05"), "Stmt[1]/Ntry[2]", `CdtDbtInd: "DEBIT" is neither CRDT nor DBIT`},
		{"bad date", Camt053, edit(t, "camt053_v08.xml", "<Dt>2024-03-05</Dt>\n        </BookgDt>", "<Dt>05/03/2024</Dt>\n        </BookgDt>"), "Stmt[1]/Ntry[2]", `BookgDt: "05/03/2024" is not an ISO 8601 date`},
		{"no status", Camt053, edit(t, "camt053_v02.xml", "<Sts>BOOK</Sts>", ""), "Stmt[1]/Ntry[1]", "Sts: the entry has no status"},
		{"entry before its account", Camt053, edit(t, "camt053_v02.xml", "<Acct>", "<Ntry><Sts>BOOK</Sts></Ntry><Acct>"), "Stmt[1]/Ntry[1]", "an entry before the statement's Acct"},
		{"own account as counterparty", Pacs008, edit(t, "pacs008_v08.xml", "<IBAN>GB29NWBK60161331926819</IBAN>", "<IBAN>FR1420041010050500013M02606</IBAN>"), "CdtTrfTxInf[1]", "the counterparty is the statement's own account"},
		{"pain.001 with no date", Pain001, edit(t, "pain001_v09.xml", "<Dt>2024-03-07</Dt>", ""), "PmtInf[1]", "ReqdExctnDt: no requested execution date"},
		{"pain.001 creditor with no account", Pain001, edit(t, "pain001_v09.xml", "<Id>0071001234567</Id>", ""), "PmtInf[1]/CdtTrfTxInf[2]", "CdtrAcct/Id: no account of the creditor"},
		{"pacs.008 with no date", Pacs008, edit(t, "pacs008_v08.xml", "<IntrBkSttlmDt>2024-03-05</IntrBkSttlmDt>", ""), "CdtTrfTxInf[1]", "IntrBkSttlmDt: no settlement date"},
		{"latin-1 declared", Camt053, strings.Replace(readFile(t, "camt053_v02.xml"), `encoding="UTF-8"`, `encoding="EBCDIC"`, 1), "line 1", `encoding "EBCDIC": convert the file to UTF-8`},

		{"CSV: bad IBAN names line and column", CSV, strings.Replace(readFile(t, "statement.csv"), "CH93", "CH94", 1), "line 3", `column "Gegenkonto": IBAN CH9400762011623852957: the check digits do not match`},
		{"CSV: bad date", CSV, strings.Replace(readFile(t, "statement.csv"), "11.03.2024", "2024-03-11", 1), "line 3", `column "Buchungstag": "2024-03-11" is not a date in the layout "02.01.2006"`},
		{"CSV: bad amount", CSV, strings.Replace(readFile(t, "statement.csv"), "-9.950,00", "-99.50,00", 1), "line 3", `column "Betrag": amount "99.50,00": thousands separator "." out of place`},
		{"CSV: zero amount", CSV, strings.Replace(readFile(t, "statement.csv"), "-0,50", "0,00", 1), "line 4", `column "Betrag": amount is zero`},
		{"CSV: field count", CSV, strings.Replace(readFile(t, "statement.csv"), ";INV 2024/11", ";INV;2024/11", 1), "line 3", "a different number of fields"},
		{"CSV: bare quote", CSV, strings.Replace(readFile(t, "statement.csv"), "INV 2024/11", `INV "2024"/11`, 1), "line 3", `character 95: bare " in non-quoted-field`},
		{"CSV: missing column", CSV, strings.Replace(readFile(t, "statement.csv"), "Betrag", "Amount", 1), "line 1", `amount: column "Betrag" is not in the file`},
		{"CSV: no counterparty", CSV, strings.Replace(readFile(t, "statement.csv"), ";5012345678;", ";;", 1), "line 4", `column "Gegenkonto": no counterparty account`},
		{"CSV: bad currency", CSV, strings.Replace(readFile(t, "statement.csv"), ";EUR;5", ";EURO;5", 1), "line 4", `column "Währung": "EURO" is not an ISO 4217 code`},

		{"chain CSV: missing column", ChainCSV, strings.Replace(readFile(t, "chain.csv"), "asset", "token", 1), "line 1", "asset: no such column"},
		{"chain CSV: bad address", ChainCSV, strings.Replace(readFile(t, "chain.csv"), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", 1), "line 4", "from: ethereum address 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD: its mixed-case checksum (EIP-55) does not match"},
		{"chain CSV: bad bitcoin address", ChainCSV, strings.Replace(readFile(t, "chain.csv"), "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz", 1), "line 3", "to: bitcoin address 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz: its checksum does not match"},
		{"chain CSV: bad time", ChainCSV, strings.Replace(readFile(t, "chain.csv"), "1710316800", "13/03/2024", 1), "line 3", `time: "13/03/2024" is neither RFC 3339`},
		{"chain CSV: dust", ChainCSV, strings.Replace(readFile(t, "chain.csv"), "0.5,BTC", "0.0000001,BTC", 1), "line 3", "amount: amount 0.0000001 is below one millionth of a unit"},
		{"chain CSV: bad asset", ChainCSV, strings.Replace(readFile(t, "chain.csv"), "USDT", "US-DT", 1), "line 4", `asset: "US-DT" is not an asset's symbol`},
		{"chain JSON: not an array", ChainJSON, `{"tx_hash": "x"}`, "", "not a JSON array"},
		{"chain JSON: element not an object", ChainJSON, `[1]`, "[0]", "not an object"},
		{"chain JSON: missing key", ChainJSON, strings.Replace(readFile(t, "chain.json"), `"chain": "Ethereum"`, `"network": "ethereum"`, 1), "[2]", "chain: empty"},
		{"chain JSON: hash as number", ChainJSON, strings.Replace(readFile(t, "chain.json"), `"e3bf3d07d4b0375638d5f1db5255fe07ba2c4cb067cd81b84ee974b6585fb468"`, `12`, 1), "[1]", "tx_hash: a number: give it as a string"},
		{"chain JSON: amount with exponent", ChainJSON, strings.Replace(readFile(t, "chain.json"), `0.5`, `5e-1`, 1), "[1]", "amount: amount \"5e-1\" is not a plain decimal"},
		{"chain JSON: cut short", ChainJSON, readFile(t, "chain.json")[:500], "[1]", "cut short"},
		{"chain JSON: trailing data", ChainJSON, readFile(t, "chain.json") + "[]", "", "data after the array"},
		{"format", Format("mt940"), "", "", `format "mt940": want one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.format, strings.NewReader(tt.input), testMapping(t))
			if err == nil {
				t.Fatalf("Parse = %d transfers and no error, want an error with %q", len(got.Transfers), tt.want)
			}
			if len(got.Transfers) != 0 || len(got.Balances) != 0 {
				t.Errorf("Parse returned %d transfers and %d balances with its error, want none", len(got.Transfers), len(got.Balances))
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T %v, want an *Error", err, err)
			}
			if !strings.HasPrefix(e.Locator, tt.locator) || (tt.locator == "" && e.Locator != "") {
				t.Errorf("Locator = %q, want %q; error %v", e.Locator, tt.locator, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// repeat is an endless reader of one byte.
type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestParseLimits(t *testing.T) {
	t.Run("more than MaxBytes", func(t *testing.T) {
		if testing.Short() {
			t.Skip("reads 3 files of 64 MiB")
		}
		for _, f := range []Format{Camt053, ChainCSV, ChainJSON} {
			head := map[Format]string{Camt053: readFile(t, "camt053_v08.xml")[:400], ChainCSV: readFile(t, "chain.csv"), ChainJSON: "[" + strings.Repeat(" ", 10)}[f]
			r := io.MultiReader(strings.NewReader(head), repeat(' '))
			_, err := Parse(f, r, nil)
			if err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
				t.Errorf("Parse(%s, endless file) = %v, want larger than 64 MiB", f, err)
			}
		}
	})
	t.Run("exactly MaxBytes", func(t *testing.T) {
		s := readFile(t, "chain.csv")
		r := io.MultiReader(strings.NewReader(s), io.LimitReader(repeat('\n'), MaxBytes-int64(len(s))))
		got, err := Parse(ChainCSV, r, nil)
		if err != nil || len(got.Transfers) != 3 {
			t.Errorf("Parse(file of MaxBytes) = %d transfers, %v; want 3, nil", len(got.Transfers), err)
		}
	})
	t.Run("more than MaxTransfers", func(t *testing.T) {
		if testing.Short() {
			t.Skip("writes 200,001 transfers")
		}
		var b strings.Builder
		b.WriteString("tx_hash,time,from,to,amount,asset,chain\n")
		for i := 0; i <= MaxTransfers; i++ {
			fmt.Fprintf(&b, "t%d,%d,%s,%s,1,ETH,polygon\n", i, 1700000000+i, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359")
		}
		_, err := Parse(ChainCSV, strings.NewReader(b.String()), nil)
		want := fmt.Sprintf("line %d: more than 200000 transfers in one file", MaxTransfers+2)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(200,001 transfers) = %v, want %q", err, want)
		}
	})
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		in     string
		canon  string
		micros int64
		err    string
	}{
		{"1", "1", 1_000_000, ""},
		{"0012.3400", "12.34", 12_340_000, ""},
		{".5", "0.5", 500_000, ""},
		{"7.", "7", 7_000_000, ""},
		{"0.0000005", "0.0000005", 0, ""},   // half to even: 0
		{"0.0000015", "0.0000015", 2, ""},   // half to even: 2
		{"0.0000025", "0.0000025", 2, ""},   // half to even: 2
		{"0.00000251", "0.00000251", 3, ""}, // above half
		{"0.123456789012345678", "0.123456789012345678", 123457, ""},
		{"9000000000000", "9000000000000", 9_000_000_000_000_000_000, ""},
		{"9000000000000.0000001", "", 0, "over 9000000000000 units"},
		{"10000000000000", "", 0, "over"},
		{"", "", 0, "no amount"},
		{".", "", 0, "no digits"},
		{"1e5", "", 0, "not a plain decimal"},
		{"-1", "", 0, "not a plain decimal"},
		{"1.2.3", "", 0, "not a plain decimal"},
		{"1,5", "", 0, "not a plain decimal"},
		{strings.Repeat("1", 65), "", 0, "at most 64"},
	}
	for _, tt := range tests {
		canon, micros, err := decimal(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("decimal(%q) = %q, %d, %v; want error %q", tt.in, canon, micros, err, tt.err)
			}
			continue
		}
		if err != nil || canon != tt.canon || micros != tt.micros {
			t.Errorf("decimal(%q) = %q, %d, %v; want %q, %d", tt.in, canon, micros, err, tt.canon, tt.micros)
		}
	}
}

func TestLocalDecimal(t *testing.T) {
	tests := []struct {
		in, dec, thou string
		plain         string
		neg           bool
		err           bool
	}{
		{"-1.234,50", ",", ".", "1234.50", true, false},
		{"1,234.50", ".", ",", "1234.50", false, false},
		{"+12", ".", "", "12", false, false},
		{"1 234 567,8", ",", " ", "1234567.8", false, false},
		{"1'000", ".", "'", "1000", false, false},
		{"12,34,567.00", ".", ",", "", false, true},
		{"1-2", ".", "", "", false, true},
	}
	for _, tt := range tests {
		plain, neg, err := localDecimal(tt.in, tt.dec, tt.thou)
		if (err != nil) != tt.err || plain != tt.plain || neg != tt.neg {
			t.Errorf("localDecimal(%q, %q, %q) = %q, %v, %v; want %q, %v, error %v", tt.in, tt.dec, tt.thou, plain, neg, err, tt.plain, tt.neg, tt.err)
		}
	}
}

func TestMappingValidate(t *testing.T) {
	if err := testMapping(t).Validate(); err != nil {
		t.Fatalf("Validate(testdata mapping) = %v", err)
	}
	bad := Mapping{HasHeader: false, Date: "Date", DateLayout: "15:04", Amount: "2", Debit: "3", DecimalSeparator: ";", ThousandsSeparator: "_", Currency: "4", FixedCurrency: "EUR", Delimiter: "ab"}
	err := bad.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Locator != "mapping" {
		t.Fatalf("Validate(bad) = %v, want an *Error of the mapping", err)
	}
	for _, want := range []string{"name:", "delimiter:", `date: "Date": without a header`, "date_layout:", "amount: give amount, or debit and credit, not both", "decimal_separator:", "thousands_separator:", "currency: give a currency column or a fixed currency, not both", "counterparty_account: no column", "account_id: no account"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(bad) = %v\nwant it to name %q", err, want)
		}
	}
	// The statement's own account given by its number alone: the
	// problem names the field to fill, account_bank.
	nobank := *testMapping(t)
	nobank.AccountID, nobank.AccountBank = "0012345678", ""
	if err := nobank.Validate(); err == nil || !strings.Contains(err.Error(), "account_bank: account_id 0012345678 is an account number") {
		t.Errorf("Validate(account number without its bank) = %v, want it to name account_bank", err)
	}
	// A statement in numbered columns, debit and credit, and the
	// account in a column: a bank that writes 0.00 on the other side.
	m := &Mapping{Name: "numbered", Date: "1", DateLayout: "rfc3339", Debit: "2", Credit: "3", DecimalSeparator: ".",
		FixedCurrency: "USD", CounterpartyAccount: "4", CounterpartyBank: "5", AccountColumn: "6", AccountBank: "CHASUS33"}
	in := "2024-03-01T10:00:00-05:00,0.00,120.00,DE89370400440532013000,,12345678\n" +
		"2024-03-02T10:00:00-05:00,20,,998877,Bank of Nowhere,12345678\n"
	got, err := Parse(CSV, strings.NewReader(in), m)
	if err != nil {
		t.Fatalf("Parse(numbered columns) = %v", err)
	}
	want := []row{
		{de, "account:CHASUS33:12345678@USA", "120", 120_000_000, "USD", "2024-03-01T15:00:00Z", "", "line 1"},
		{"account:CHASUS33:12345678@USA", "account:Bank of Nowhere:998877@", "20", 20_000_000, "USD", "2024-03-02T15:00:00Z", "", "line 2"},
	}
	for i, tr := range got.Transfers {
		if r := rowOf(tr); i >= len(want) || r != want[i] {
			t.Errorf("transfer %d = %+v", i, r)
		}
	}
	_, err = Parse(CSV, strings.NewReader("2024-03-01T10:00:00Z,5,5,998877,B,1\n"), m)
	if err == nil || !strings.Contains(err.Error(), "line 1: column 2: both a debit and a credit") {
		t.Errorf("Parse(debit and credit) = %v", err)
	}
}

func TestParseRates(t *testing.T) {
	got, err := ParseRates(strings.NewReader(readFile(t, "rates.csv")))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2024-03-04 EUR 1", "2024-03-08 USD 0.9182", "2024-03-12 BTC 65210.4", "2024-03-13 USDT 0.918"}
	if len(got) != len(want) {
		t.Fatalf("ParseRates = %v, want %v", got, want)
	}
	for i, r := range got {
		if s := r.Day.Format("2006-01-02") + " " + r.Currency + " " + r.PerUnit; s != want[i] {
			t.Errorf("rate %d = %s, want %s", i, s, want[i])
		}
	}
	for _, tt := range []struct{ name, in, want string }{
		{"duplicate names both lines", "currency,day,per_unit\nUSD,2024-03-01,0.9\nEUR,2024-03-01,1\nUSD,2024-03-01,0.91\n", "line 4: a second rate of USD on 2024-03-01: line 2 gives one already"},
		{"no header", "2024-03-01,USD,0.9\n", "line 1: day: no such column"},
		{"extra column", "day,currency,per_unit,source\n", "columns other than"},
		{"bad day", "day,currency,per_unit\n01/03/2024,USD,0.9\n", `line 2: day: "01/03/2024" is not a date`},
		{"zero", "day,currency,per_unit\n2024-03-01,USD,0.000\n", "line 2: per_unit: zero"},
		{"negative", "day,currency,per_unit\n2024-03-01,USD,-1\n", "line 2: per_unit: amount \"-1\" is not a plain decimal"},
		{"bad currency", "day,currency,per_unit\n2024-03-01,us dollar,1\n", "line 2: currency:"},
	} {
		rates, err := ParseRates(strings.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) || rates != nil {
			t.Errorf("%s: ParseRates = %v, %v; want nil and %q", tt.name, rates, err, tt.want)
		}
	}
}
