package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"entraide/internal/alerting"
	"entraide/internal/convention"
	"entraide/internal/node"
)

// alertFlags are serve's flags for the 24/7 network's alerts.
type alertFlags struct {
	smtpAddr, smtpFrom, sla *string
	smtpRequireTLS          *bool
	allowPrivate            *bool
	envErr                  error
}

func addAlertFlags(fs *flag.FlagSet, e env) alertFlags {
	requireTLS, err := envBool(e, "ENTRAIDE_SMTP_REQUIRE_TLS")
	return alertFlags{
		envErr:         err,
		smtpRequireTLS: fs.Bool("smtp-require-tls", requireTLS, "send alert e-mails only over STARTTLS, never in clear (env ENTRAIDE_SMTP_REQUIRE_TLS=true)"),
		allowPrivate:   addAllowPrivateFlag(fs),
		smtpAddr:       fs.String("smtp-addr", e.getenv("ENTRAIDE_SMTP_ADDR"), "host:port of the SMTP server alerts are e-mailed through (env ENTRAIDE_SMTP_ADDR; ENTRAIDE_SMTP_USERNAME and ENTRAIDE_SMTP_PASSWORD authenticate, over TLS only)"),
		smtpFrom:       fs.String("smtp-from", e.getenv("ENTRAIDE_SMTP_FROM"), "sender address of alert e-mails (env ENTRAIDE_SMTP_FROM)"),
		sla: fs.String("alert-sla", e.getenv("ENTRAIDE_ALERT_SLA"), fmt.Sprintf("time an alert waits for an acknowledgement at each step before it escalates, e.g. preservation=30m,emergency_disclosure=10m (default %s, %s for emergency_disclosure; env ENTRAIDE_ALERT_SLA)",
			alerting.DefaultSLA, alerting.DefaultEmergencySLA)),
	}
}

// configure sets n's alerting from the flags and the environment.
func (f alertFlags) configure(e env, n *node.Node, log *slog.Logger) error {
	if f.envErr != nil {
		return f.envErr
	}
	sla, err := alerting.ParseSLA(*f.sla)
	if err != nil {
		return fmt.Errorf("--alert-sla: %w", err)
	}
	if (*f.smtpAddr == "") != (*f.smtpFrom == "") {
		return errors.New("give both --smtp-addr and --smtp-from, or neither")
	}
	if *f.smtpAddr == "" {
		log.Warn("no SMTP server: alerts reach officials by webhook and the live feed only (serve --smtp-addr, --smtp-from)")
	}
	if *f.allowPrivate {
		log.Warn("webhooks may reach this machine and private networks (--allow-private-webhooks): for trials only")
	}
	return n.ConfigureAlerts(node.AlertConfig{SMTPAddr: *f.smtpAddr, SMTPFrom: *f.smtpFrom, SMTPRequireTLS: *f.smtpRequireTLS,
		SMTPUsername: e.getenv("ENTRAIDE_SMTP_USERNAME"), SMTPPassword: e.getenv("ENTRAIDE_SMTP_PASSWORD"), SLA: sla, Log: log,
		AllowPrivateWebhooks: *f.allowPrivate})
}

func addAllowPrivateFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("allow-private-webhooks", false, "let webhooks reach this machine and private or link-local addresses, for trials and tests; never in production")
}

// envBool reads a boolean environment variable: unset is false.
func envBool(e env, name string) (bool, error) {
	v := e.getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: use true or false", name, v)
	}
	return b, nil
}

func cmdRosterAdd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "roster add", "--user ID (--email ADDR | --webhook URL --secret S) [--from RFC3339 --until RFC3339] [--position N] [flags]")
	st := addStorageFlags(fs, e)
	user := fs.String("user", "", "the official alerted: a 24/7 officer, a central authority or an administrator (required)")
	email := fs.String("email", "", "reach them by e-mail at this address")
	webhook := fs.String("webhook", "", "reach them by an HTTPS POST to this URL, signed with --secret")
	secret := fs.String("secret", "", "the webhook's HMAC key, at least 16 characters; - reads it from stdin (safer than the command line)")
	from := fs.String("from", "", "start of the shift, RFC 3339 (e.g. 2026-03-02T08:00:00Z); none: already on duty")
	until := fs.String("until", "", "end of the shift, RFC 3339; none: on duty until removed")
	position := fs.Int("position", 0, "order among the State's officials on call, 1 first; 0: the official's own, or after the last")
	state := fs.String("state", "", "the official's State (default: the node's)")
	allowPrivate := addAllowPrivateFlag(fs)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	in := node.RosterInput{User: *user, Secret: *secret, Position: *position}
	switch {
	case *email != "" && *webhook == "":
		in.Channel, in.Address = alerting.Email, *email
	case *webhook != "" && *email == "":
		in.Channel, in.Address = alerting.Webhook, *webhook
	default:
		return errors.New("roster add: give --email or --webhook, one of them\nnext: entraide roster add --user vnm-247 --email duty@example.gov, or --webhook https://... --secret - for a signed webhook")
	}
	if in.Secret == "-" {
		line, err := bufio.NewReader(io.LimitReader(e.stdin, alerting.MaxSecretLength+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("roster add: --secret -: %w", err)
		}
		in.Secret = strings.TrimRight(line, "\r\n")
	}
	for _, t := range []struct {
		name  string
		value string
		to    *time.Time
	}{{"--from", *from, &in.From}, {"--until", *until, &in.Until}} {
		if t.value == "" {
			continue
		}
		v, err := convention.ParseTime(t.name, time.RFC3339, t.value)
		if err != nil {
			return fmt.Errorf("roster add: %w", err)
		}
		*t.to = v
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if *allowPrivate {
		if err := n.ConfigureAlerts(node.AlertConfig{AllowPrivateWebhooks: true}); err != nil {
			return err
		}
	}
	entry, err := n.AddRosterEntry(ctx, n.AdminOf(stateOrHome(n, *state)), in)
	if err != nil {
		return fmt.Errorf("roster add: %w", err)
	}
	fmt.Fprintf(e.stdout, "Added %s: %s (%s of %s), position %d, by %s, %s.\n", entry.ID, entry.User, entry.Role, entry.State, entry.Position, entry.Channel, shift(entry))
	return nil
}

func shift(e alerting.Entry) string {
	switch {
	case e.From.IsZero() && e.Until.IsZero():
		return "always on duty"
	case e.Until.IsZero():
		return "on duty from " + e.From.Format(time.RFC3339)
	case e.From.IsZero():
		return "on duty until " + e.Until.Format(time.RFC3339)
	}
	return "on duty from " + e.From.Format(time.RFC3339) + " until " + e.Until.Format(time.RFC3339)
}

func cmdRosterList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "roster list", "[--state CODE] [--json] [flags]")
	st := addStorageFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON")
	state := fs.String("state", "", "list only this hosted State's roster (default: every State the node hosts)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	states := n.Hosted()
	if *state != "" {
		states = []string{stateOrHome(n, *state)}
	}
	entries := []alerting.Entry{}
	for _, s := range states {
		of, err := n.Roster(ctx, n.AdminOf(s))
		if err != nil {
			return err
		}
		entries = append(entries, of...)
	}
	if *asJSON {
		return writeJSON(e.stdout, entries)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tPOSITION\tUSER\tROLE\tCHANNEL\tADDRESS\tFROM\tUNTIL")
	var unreadable []string
	for _, x := range entries {
		from, until := timeOrDash(x.From), timeOrDash(x.Until)
		if x.Unreadable != "" {
			from, until = "UNREADABLE", "UNREADABLE"
			unreadable = append(unreadable, x.Unreadable)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.State, x.Position, x.User, x.Role, x.Channel, x.Address, from, until)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, msg := range unreadable {
		fmt.Fprintf(e.stderr, "%s; it alerts no one: remove it (entraide roster remove ID) and add it again\n", msg)
	}
	return nil
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func cmdRosterRemove(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "roster remove", "ID [--state CODE] [flags]")
	st := addStorageFlags(fs, e)
	state := fs.String("state", "", "the State whose roster the line is on (default: the node's)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("roster remove: name one roster entry id (see entraide roster list)")
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	entry, err := n.RemoveRosterEntry(ctx, n.AdminOf(stateOrHome(n, *state)), fs.Arg(0))
	if err != nil {
		return fmt.Errorf("roster remove %s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "Removed %s: %s by %s.\n", entry.ID, entry.User, entry.Channel)
	return nil
}

func cmdAlertList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "alert list", "[--open] [--reason R] [--limit N] [--cursor C] [--json] [flags]")
	addClientFlags(fs, e)
	open := fs.Bool("open", false, "only alerts not acknowledged")
	reasons := make([]string, len(alerting.Reasons))
	for i, r := range alerting.Reasons {
		reasons[i] = string(r)
	}
	reason := fs.String("reason", "", "only alerts for this reason: "+strings.Join(reasons, ", "))
	limit := fs.Int("limit", 50, "at most this many")
	cursor := fs.String("cursor", "", "the next page, as the previous one printed it")
	asJSON := fs.Bool("json", false, "print JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	q := url.Values{"limit": {fmt.Sprint(*limit)}}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	if *open {
		q.Set("open", "true")
	}
	if *reason != "" {
		q.Set("reason", *reason)
	}
	var list node.AlertList
	if err := c.do(ctx, "GET", "/api/v1/alerts?"+q.Encode(), nil, &list); err != nil {
		return fmt.Errorf("alert list: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, list)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREASON\tFROM\tREQUEST\tRAISED\tSTEP\tSTATUS")
	for _, a := range list.Alerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", a.ID, a.Reason, orDash(a.From), orDash(a.RequestID), a.CreatedAt.Format(time.DateTime), a.Level, alertStatus(a))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if list.NextCursor != "" {
		fmt.Fprintf(e.stdout, "\nMore alerts: add --cursor %s\n", list.NextCursor)
	}
	// list.Open counts every open alert of the State, whatever the
	// filters: say so when they select fewer.
	if *reason != "" || *open || *cursor != "" {
		fmt.Fprintf(e.stdout, "\n%s shown here; %d open in all, of every reason. %s\n", plural(len(list.Alerts), "alert", "alerts"), list.Open, timeToAck(list.TimeToAck))
	} else {
		fmt.Fprintf(e.stdout, "\n%d open. %s\n", list.Open, timeToAck(list.TimeToAck))
	}
	return reportUnreadable(e, list.Unreadable)
}

// timeToAck words the times to acknowledge: with none acknowledged yet
// there is no median to give, and "median 0s" would read as instant.
func timeToAck(st alerting.Stats) string {
	if st.Count == 0 {
		return "None acknowledged yet, so no time to acknowledge to report."
	}
	// The node measures an alert acknowledged, and one an official of
	// the State ended by acting on its request; not one ended otherwise.
	return fmt.Sprintf("Time to acknowledge or act, over %s your officials acknowledged or ended by acting on the request: median %s, 99th percentile %s.",
		plural(st.Count, "alert", "alerts"), time.Duration(st.P50MS)*time.Millisecond, time.Duration(st.P99MS)*time.Millisecond)
}

func alertStatus(a *alerting.Alert) string {
	switch {
	case a.Acked() && a.Resolution != "":
		return "resolved by " + a.Resolution
	case a.Acked() && a.TimeToAckMS != nil:
		return fmt.Sprintf("acknowledged by %s after %s", a.AckedBy, time.Duration(*a.TimeToAckMS)*time.Millisecond)
	case !a.EscalatesAt.IsZero():
		return "open, escalates at " + a.EscalatesAt.Format(time.DateTime)
	}
	return "open"
}

func cmdAlertAck(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "alert ack", "ID [flags]")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the alert as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("alert ack: name one alert id (see entraide alert list)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var a alerting.Alert
	if err := c.do(ctx, "POST", "/api/v1/alerts/"+url.PathEscape(fs.Arg(0))+"/ack", nil, &a); err != nil {
		return withNext("alert ack", err, "entraide alert list --open gives the ids of your State's open alerts")
	}
	if *asJSON {
		return writeJSON(e.stdout, a)
	}
	fmt.Fprintf(e.stdout, "Alert %s (%s): %s.\n", a.ID, a.Summary, alertStatus(&a))
	return nil
}
