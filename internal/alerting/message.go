package alerting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Notice is what one step of an escalation tells of an alert, by e-mail or
// webhook. It carries no contents of the request: e-mail and webhooks are
// not channels for case data, which officials read on the node.
type Notice struct {
	Alert Alert
	Step  Step
	// NodeURL is the node's public address, for the link to acknowledge;
	// empty if the node has none.
	NodeURL string
}

// Subject is the notice's e-mail subject: one line, at most 200 bytes.
func (n Notice) Subject() string {
	s := fmt.Sprintf("[Entraide %s] %s", n.Alert.State, n.Alert.Summary)
	if n.Step.Level > 1 {
		s = fmt.Sprintf("[Entraide %s] ESCALATED (step %d): %s", n.Alert.State, n.Step.Level, n.Alert.Summary)
	}
	return clipLine(s, 200)
}

// Text is the notice's plain-text body, lines ending in CRLF.
func (n Notice) Text() string {
	a := n.Alert
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%-15s %s\r\n", label+":", clipLine(value, 300))
		}
	}
	b.WriteString(clipLine(a.Summary, 300) + ".\r\n\r\n")
	line("State alerted", a.State)
	line("Reason", string(a.Reason))
	line("Request", a.RequestID)
	if a.Reason == ReasonDeliveryExpired || a.Reason == ReasonLogFork {
		line("Peer", a.From)
	} else {
		line("From", a.From)
	}
	line("Detail", a.Detail)
	line("Raised", a.CreatedAt.UTC().Format(time.DateTime+" MST"))
	line("Step", fmt.Sprintf("%d, %s", n.Step.Level, strings.ReplaceAll(string(n.Step.To), "_", " ")))
	if !a.EscalatesAt.IsZero() {
		line("Escalates at", a.EscalatesAt.UTC().Format(time.DateTime+" MST")+", unless acknowledged before")
	} else {
		line("Escalation", "this is its last step")
	}
	line("Alert", a.ID)
	b.WriteString("\r\nAcknowledge it: entraide alert ack " + a.ID + "\r\n")
	if n.NodeURL != "" {
		b.WriteString("or POST " + strings.TrimSuffix(n.NodeURL, "/") + "/api/v1/alerts/" + a.ID + "/ack\r\n")
	}
	b.WriteString("\r\nThis message carries none of the request's contents: read them on the node.\r\n")
	return b.String()
}

// Payload is the JSON body of a webhook notification.
type Payload struct {
	Type string `json:"type"` // always "entraide.alert"
	// Delivery identifies this notification: a retry carries the same.
	Delivery string `json:"delivery"`
	Step     Step   `json:"step"`
	Alert    Alert  `json:"alert"`
	AckURL   string `json:"ack_url,omitempty"`
}

// JSON is the webhook body of the notice, notification id delivery.
func (n Notice) JSON(delivery string) ([]byte, error) {
	p := Payload{Type: "entraide.alert", Delivery: delivery, Step: n.Step, Alert: n.Alert}
	if n.NodeURL != "" {
		p.AckURL = strings.TrimSuffix(n.NodeURL, "/") + "/api/v1/alerts/" + n.Alert.ID + "/ack"
	}
	return json.Marshal(p)
}

// Mail returns an RFC 5322 message from from to to with subject and the
// plain text body, dated date, identified by messageID (without angle
// brackets). The body is quoted-printable; header values lose any line
// break, so that no value can add a header.
func Mail(from, to, subject, body string, date time.Time, messageID, alertID string) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + clipLine(v, 998-len(k)-2) + "\r\n") }
	header("From", "Entraide <"+from+">")
	header("To", to)
	header("Subject", mime.QEncoding.Encode("utf-8", clipLine(subject, 200)))
	header("Date", date.UTC().Format(time.RFC1123Z))
	header("Message-ID", "<"+messageID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header(AlertHeader, alertID)
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(body))
	qp.Close()
	return b.Bytes()
}

// clipLine removes line breaks from s and cuts it to at most n bytes,
// on a character boundary.
func clipLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
