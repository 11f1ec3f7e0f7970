package records

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"

	"entraide/internal/funds"
)

// The ISO 20022 messages read, by namespace: each version of each
// message has its own namespace, and the elements read here have kept
// their names and places from the first version to the last (a few
// moved one level down, which the structs below accept in both places).
// The structs name only the elements read; every other element is
// skipped, so a later version that adds elements is still read.
var xmlVersions = map[Format][2]int{
	Camt053: {2, 13},
	Pain001: {3, 12},
	Pacs008: {2, 13},
}

const xmlNamespacePrefix = "urn:iso:std:iso:20022:tech:xsd:"

// acceptedNamespaces names what xmlFormat accepts, for its errors.
func acceptedNamespaces() string {
	var s []string
	for _, f := range []Format{Camt053, Pain001, Pacs008} {
		v := xmlVersions[f]
		s = append(s, fmt.Sprintf("%s%s.001.%02d to .%02d", xmlNamespacePrefix, f, v[0], v[1]))
	}
	return strings.Join(s, ", ")
}

// xmlFormat returns the message and version a root namespace names.
func xmlFormat(ns string) (Format, int, bool) {
	rest, ok := strings.CutPrefix(ns, xmlNamespacePrefix)
	if !ok {
		return "", 0, false
	}
	for f, v := range xmlVersions {
		num, ok := strings.CutPrefix(rest, string(f)+".001.")
		if !ok || len(num) != 2 {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < v[0] || n > v[1] {
			return "", 0, false
		}
		return f, n, true
	}
	return "", 0, false
}

// noDirectives refuses DOCTYPE, ENTITY and every other <!...>
// declaration: an ISO 20022 message has none, and entities are how XML
// files attack their readers.
type noDirectives struct {
	d     *xml.Decoder
	depth int
}

var errDirective = errors.New("declaration")

// MaxXMLDepth bounds how deeply a message's elements nest. The deepest
// element read here is some 10 levels down; a file nested far deeper is
// no message, and the decoder's memory grows with every open element.
const MaxXMLDepth = 64

var errDepth = fmt.Errorf("elements nested more than %d deep", MaxXMLDepth)

func (n *noDirectives) Token() (xml.Token, error) {
	t, err := n.d.Token()
	switch t.(type) {
	case xml.Directive:
		return nil, errDirective
	case xml.StartElement:
		if n.depth++; n.depth > MaxXMLDepth {
			return nil, errDepth
		}
	case xml.EndElement:
		n.depth--
	}
	return t, err
}

// xmlParser walks a message element by element, decoding one entry or
// transaction at a time, so that memory follows what is kept, not the
// file.
type xmlParser struct {
	raw *xml.Decoder
	d   *xml.Decoder
	c   collector
	// stmts and infos count Stmt and PmtInf elements, for locators.
	stmts, infos int
}

// MaxXMLAttrs bounds the attributes of one element. An ISO 20022
// element has at most one or two (Ccy, xmlns); the decoder holds every
// attribute of an element at once, so a tag of millions would take
// hundreds of megabytes to read.
const MaxXMLAttrs = 100

// attrLimit passes a file's bytes on, refusing one whose tag holds more
// than MaxXMLAttrs "=" signs: the attributes, counted before the
// decoder reads them. Only '<' and '>' are followed, not quotes, so a
// '>' inside an attribute's value only ends the count early.
type attrLimit struct {
	r      io.Reader
	inTag  bool
	equals int
}

var errAttrs = fmt.Errorf("an element with more than %d attributes: an ISO 20022 element has one or two", MaxXMLAttrs)

func (a *attrLimit) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	for _, c := range p[:n] {
		switch {
		case c == '<':
			a.inTag, a.equals = true, 0
		case c == '>':
			a.inTag = false
		case c == '=' && a.inTag:
			if a.equals++; a.equals > MaxXMLAttrs {
				return 0, errAttrs
			}
		}
	}
	return n, err
}

func parseXML(format Format, r io.Reader) (funds.Records, error) {
	raw := xml.NewDecoder(&attrLimit{r: r})
	raw.Strict = true
	raw.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
			return charmap.ISO8859_1.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("encoding %q: convert the file to UTF-8", label)
	}
	p := &xmlParser{raw: raw, d: xml.NewTokenDecoder(&noDirectives{d: raw})}
	root, err := p.root()
	if err != nil {
		return funds.Records{}, err
	}
	got, version, ok := xmlFormat(root.Name.Space)
	if !ok {
		return funds.Records{}, errorf("", root.Name.Local, "namespace %q is not one read here: accepted are %s", root.Name.Space, acceptedNamespaces())
	}
	if got != format {
		return funds.Records{}, errorf("", root.Name.Local, "the file is a %s.001.%02d message, not %s: import it as %s", got, version, format, got)
	}
	if root.Name.Local != "Document" {
		return funds.Records{}, errorf("", root.Name.Local, "the root element is %s, not Document: give the message's Document element alone", root.Name.Local)
	}
	switch format {
	case Camt053:
		err = p.message("BkToCstmrStmt", p.statement)
	case Pain001:
		err = p.message("CstmrCdtTrfInitn", p.paymentInfo)
	case Pacs008:
		err = p.pacs008()
	}
	if err != nil {
		return funds.Records{}, err
	}
	if err := p.end(); err != nil {
		return funds.Records{}, err
	}
	return p.c.recs, nil
}

// xmlError turns a decoder's error into an *Error naming the line, or
// keeps an *Error.
func (p *xmlParser) xmlError(where string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, errTooLarge) {
		return errTooLarge
	}
	line, _ := p.raw.InputPos()
	if errors.Is(err, errDepth) {
		return errorf(fmt.Sprintf("line %d", line), where, "%v: an ISO 20022 message nests some 10 deep; check that the file is the bank's message", errDepth)
	}
	if errors.Is(err, errDirective) {
		return errorf(fmt.Sprintf("line %d", line), where, "a <!DOCTYPE> or other <!...> declaration: ISO 20022 messages have none; give the message without it")
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return errorf(fmt.Sprintf("line %d", se.Line), where, "not well-formed XML: %s", se.Msg)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf(fmt.Sprintf("line %d", line), where, "the file ends inside the message: it is cut short")
	}
	return errorf(fmt.Sprintf("line %d", line), where, "%v", err)
}

// root returns the document's root element, refusing anything but
// comments, processing instructions and spaces before it.
func (p *xmlParser) root() (xml.StartElement, error) {
	for {
		t, err := p.d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return xml.StartElement{}, errorf("", "", "the file holds no XML element")
			}
			return xml.StartElement{}, p.xmlError("", err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return xml.StartElement{}, errorf("line 1", "", "text before the root element: this is not an XML message")
			}
		}
	}
}

// end checks that nothing but spaces and comments follows the root.
func (p *xmlParser) end() error {
	for {
		t, err := p.d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return p.xmlError("", err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			return errorf("", t.Name.Local, "a second root element: give one message per file")
		case xml.CharData:
			if len(strings.TrimSpace(string(t))) > 0 {
				return errorf("", "", "text after the root element")
			}
		}
	}
}

// children calls fn for each child element of the element just opened,
// which must read it to its end (decode or skip it), and returns at the
// element's end.
func (p *xmlParser) children(where string, fn func(xml.StartElement) error) error {
	for {
		t, err := p.d.Token()
		if err != nil {
			return p.xmlError(where, err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

func (p *xmlParser) skip(where string) error {
	if err := p.d.Skip(); err != nil {
		return p.xmlError(where, err)
	}
	return nil
}

func (p *xmlParser) decode(where string, v any, se xml.StartElement) error {
	if err := p.d.DecodeElement(v, &se); err != nil {
		return p.xmlError(where, err)
	}
	return nil
}

// message reads Document/<body>/<part>..., calling part for each child
// of the message body, which must be the only child of Document.
func (p *xmlParser) message(body string, part func(xml.StartElement) error) error {
	seen := false
	err := p.children("Document", func(se xml.StartElement) error {
		if se.Name.Local != body || seen {
			return errorf("", "Document/"+se.Name.Local, "unexpected element: a Document holds one %s", body)
		}
		seen = true
		return p.children(body, part)
	})
	if err == nil && !seen {
		return errorf("", "Document", "no %s in the Document", body)
	}
	return err
}

// The elements read, by their local names: the root's namespace already
// chose the message and its version.
type (
	xAmt struct {
		Value string `xml:",chardata"`
		Ccy   string `xml:"Ccy,attr"`
	}
	xAcct struct {
		Id struct {
			IBAN string `xml:"IBAN"`
			Othr struct {
				Id string `xml:"Id"`
			} `xml:"Othr"`
		} `xml:"Id"`
		Nm   string `xml:"Nm"`
		Ownr xParty `xml:"Ownr"`
		Svcr xAgent `xml:"Svcr"`
	}
	xAgent struct {
		FinInstnId struct {
			BICFI       string `xml:"BICFI"`
			BIC         string `xml:"BIC"`
			Nm          string `xml:"Nm"`
			ClrSysMmbId struct {
				MmbId string `xml:"MmbId"`
			} `xml:"ClrSysMmbId"`
		} `xml:"FinInstnId"`
	}
	// xParty is a party's name, directly (Dbtr/Nm) or, in camt.053
	// from version 08, one level down (Dbtr/Pty/Nm).
	xParty struct {
		Nm  string `xml:"Nm"`
		Pty struct {
			Nm string `xml:"Nm"`
		} `xml:"Pty"`
	}
	// xDate is a date or date and time, as a child (Dt, DtTm) or, in
	// pain.001 before version 08, as the element's text.
	xDate struct {
		Text string `xml:",chardata"`
		Dt   string `xml:"Dt"`
		DtTm string `xml:"DtTm"`
	}
	xBkTxCd struct {
		Domn struct {
			Cd   string `xml:"Cd"`
			Fmly struct {
				Cd        string `xml:"Cd"`
				SubFmlyCd string `xml:"SubFmlyCd"`
			} `xml:"Fmly"`
		} `xml:"Domn"`
	}
	xRefs struct {
		InstrId     string `xml:"InstrId"`
		EndToEndId  string `xml:"EndToEndId"`
		TxId        string `xml:"TxId"`
		UETR        string `xml:"UETR"`
		AcctSvcrRef string `xml:"AcctSvcrRef"`
	}
)

func (p xParty) name() string {
	if p.Nm != "" {
		return p.Nm
	}
	return p.Pty.Nm
}

// bank returns the bank an agent names: its BIC, else its name, else its
// member id in a clearing system.
func (a xAgent) bank() string {
	f := a.FinInstnId
	for _, s := range []string{f.BICFI, f.BIC, f.Nm, f.ClrSysMmbId.MmbId} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func (a xAgent) bic() string {
	if b := strings.TrimSpace(a.FinInstnId.BICFI); b != "" {
		return b
	}
	return strings.TrimSpace(a.FinInstnId.BIC)
}

// partyAccount builds the account a message names for a party: an IBAN
// (with the agent's BIC), else an account number at the agent's bank.
// It reports false when the message gives no account id.
func partyAccount(locator, accountField, agentField string, acct xAcct, agent xAgent, holder string) (funds.Account, bool, error) {
	a := funds.Account{Holder: holder}
	field := accountField + "/Id/IBAN"
	switch {
	case strings.TrimSpace(acct.Id.IBAN) != "":
		a.Kind, a.ID, a.Bank = funds.IBAN, acct.Id.IBAN, agent.bic()
		if a.Bank != "" {
			field = accountField + "/Id/IBAN or " + agentField + "/FinInstnId/BICFI"
		}
	case strings.TrimSpace(acct.Id.Othr.Id) != "":
		a.Kind, a.ID, a.Bank = funds.BankAccount, acct.Id.Othr.Id, agent.bank()
		field = accountField + "/Id/Othr/Id"
		if a.Bank == "" {
			return funds.Account{}, false, errorf(locator, field, "account number %s without its bank (%s/FinInstnId/BICFI or Nm): an account number is only unique at its bank", strings.TrimSpace(a.ID), agentField)
		}
	default:
		return funds.Account{}, false, nil
	}
	n, err := account(locator, field, a)
	return n, err == nil, err
}

// xmlTime reads an ISO 20022 date ("2024-03-01", 00:00 UTC) or date and
// time ("2024-03-01T10:15:00+01:00"; without an offset it is UTC).
func xmlTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "T") {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date and time (2024-03-01T10:15:00+01:00)", s)
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date (2024-03-01)", s)
}

// at returns the time a date element gives, and false when it is
// absent.
func (d xDate) at() (time.Time, string, bool, error) {
	for _, c := range []struct{ v, name string }{{d.DtTm, "DtTm"}, {d.Dt, "Dt"}, {d.Text, ""}} {
		if strings.TrimSpace(c.v) == "" {
			continue
		}
		t, err := xmlTime(c.v)
		return t, c.name, true, err
	}
	return time.Time{}, "", false, nil
}

// amount reads an Amt element with its currency.
func amount(locator, field string, a xAmt, transfer bool) (canon string, micros int64, ccy string, err error) {
	ccy = strings.TrimSpace(a.Ccy)
	if !isCurrency(ccy) {
		return "", 0, "", errorf(locator, field+"@Ccy", "currency %q is not an ISO 4217 code of three capital letters", a.Ccy)
	}
	v := strings.TrimSpace(a.Value)
	if transfer {
		canon, micros, err = positive(v)
	} else {
		canon, micros, err = decimal(v)
	}
	if err != nil {
		return "", 0, "", errorf(locator, field, "%v", err)
	}
	return canon, micros, ccy, nil
}

// reference returns the first id a record gives, in order of preference;
// NOTPROVIDED is ISO 20022's word for none.
func reference(ids ...string) string {
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && id != "NOTPROVIDED" {
			return id
		}
	}
	return ""
}
