package evidence

import (
	"strconv"
	"strings"
	"time"

	"entraide/internal/convention"
)

// ActionPolicy is the audit action of a change to a State's retention
// policy for personal data; its subject is PolicySubject.
const ActionPolicy = "retention.policy"

// PolicySubject is the audit subject of a State's retention policy.
const PolicySubject = "retention/personal_data"

// MaxPolicyDays bounds a retention period: a hundred years.
const MaxPolicyDays = 36525

// Policy is a State's retention policy for evidence that carries
// personal data: such an item is disposed of PersonalDataDays after it
// reached the node, unless an earlier day is set for it. Art. 36(1)
// leaves the period to the State's law; zero means no policy.
type Policy struct {
	PersonalDataDays int        `json:"personal_data_days"`
	UpdatedAt        *time.Time `json:"updated_at,omitempty"`
	UpdatedBy        string     `json:"updated_by,omitempty"`
}

// Until returns the day the policy ends the keeping of an item created
// at created that carries pd, or nil when the policy does not apply: no
// policy, or no personal data marked as carried.
func (p Policy) Until(created time.Time, pd *convention.PersonalData) *time.Time {
	if p.PersonalDataDays <= 0 || pd == nil || !pd.Carried {
		return nil
	}
	t := created.UTC().AddDate(0, 0, p.PersonalDataDays)
	return &t
}

// ParseWithin reads how far ahead a report of expiring evidence looks:
// a number of days, "30d" or "30", from 1 to 3660.
func ParseWithin(s string) (time.Duration, error) {
	digits := strings.TrimSuffix(s, "d")
	if digits == "" || len(digits) > 4 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, fieldErr("within", "%.20q: give a number of days, e.g. 30d", s)
	}
	n, _ := strconv.Atoi(digits)
	if n < 1 || n > 3660 {
		return 0, fieldErr("within", "%d days: give from 1 to 3660", n)
	}
	return time.Duration(n) * 24 * time.Hour, nil
}
