package convention

import "slices"

// Screening of a request for human rights, before the requested State
// executes it. The Convention asks the requested State to apply to a
// foreign request the conditions and safeguards of art. 24 (para. 4, as
// remembered), never to suppress human rights (art. 6), and frees it from
// assisting where the request aims at a person for who they are (art.
// 40(22); art. 37 for extradition). It does not say how a State checks
// this: the node makes the check a step of its own, so that it holds by
// construction rather than by each official's diligence.
//
// The paragraph numbers of arts. 6 and 24 below are as remembered, not
// read in the authentic text (see docs/convention-check.md): they are
// marked Unchecked so that they can be corrected here, in one place.

// ScreeningGround is one question a screening answers.
type ScreeningGround string

// The questions of a screening, in the order an official answers them.
const (
	// Art. 40(22) (art. 37 for extradition): the request aims at a person
	// for sex, race, language, religion, nationality, ethnic origin or
	// political opinions.
	ScreenDiscrimination ScreeningGround = "discrimination"
	// Art. 24(1): the measure is proportionate.
	ScreenProportionality ScreeningGround = "proportionality"
	// Art. 24(2): judicial or other independent review of the measure.
	ScreenIndependentReview ScreeningGround = "independent_review"
	// Art. 24(2): the grounds justifying the measure.
	ScreenJustification ScreeningGround = "justification"
	// Art. 24(2): limits on the measure's scope and duration.
	ScreenScopeDuration ScreeningGround = "scope_and_duration"
	// Art. 24(2): the right to an effective remedy.
	ScreenEffectiveRemedy ScreeningGround = "effective_remedy"
	// Art. 6: the measure would not suppress human rights or fundamental
	// freedoms (expression, conscience, opinion, religion or belief,
	// peaceful assembly and association).
	ScreenHumanRights ScreeningGround = "human_rights"
)

// ScreeningOutcome is what a screening concludes.
type ScreeningOutcome string

// The outcomes of a screening.
const (
	// Cleared: no concern was found; execution may begin.
	Cleared ScreeningOutcome = "cleared"
	// Concerns: at least one ground raises a concern. The requested State
	// consults the requesting State on conditions that would meet it
	// (art. 40(27)), and refuses, with grounds and reasons, if none does.
	Concerns ScreeningOutcome = "concerns"
)

// ScreeningGroundSpec says what a screening ground asks, where the
// Convention asks it, and on which ground for refusal a concern under it
// may rest.
type ScreeningGroundSpec struct {
	Ground      ScreeningGround `json:"ground"`
	Description string          `json:"description"`
	Ref         Ref             `json:"ref"`
	// RefusalGround is the ground for refusal a concern under this
	// ground rests on. The Convention names no ground of human rights
	// apart: a measure that art. 24's safeguards do not allow is one
	// domestic law would forbid in a similar domestic case (art.
	// 40(21)(c)), and suppressing rights that art. 6 protects prejudices
	// ordre public or other essential interests (art. 40(21)(b)).
	RefusalGround Ground `json:"refusal_ground"`
}

// Safeguards24 cites art. 24's conditions and safeguards, which apply
// when a State acts on another's request.
var (
	Safeguards24         = Art(24).Para(2).Unchecked()
	Proportionality24    = Art(24).Para(1).Unchecked()
	HumanRights6         = Art(6).Para(2).Unchecked()
	SafeguardsOnRequests = Art(24).Para(4).Unchecked()
	// ExtraditionDiscrimination is art. 40(22)'s ground for extradition,
	// numbered as art. 44(15) of the Convention against Corruption.
	ExtraditionDiscrimination = Art(37).Para(15).Unchecked()
)

var screeningGrounds = []ScreeningGroundSpec{
	{ScreenDiscrimination, "The request aims to prosecute or punish a person on account of sex, race, language, religion, nationality, ethnic origin or political opinions, or would prejudice their position for any of these reasons", Art(40).Para(22), Discrimination},
	{ScreenProportionality, "The measure is proportionate to the offence and to what it seeks", Proportionality24, DomesticLaw},
	{ScreenIndependentReview, "The measure is subject to judicial or other independent review", Safeguards24, DomesticLaw},
	{ScreenJustification, "The grounds justifying the measure are given and hold", Safeguards24, DomesticLaw},
	{ScreenScopeDuration, "The scope and the duration of the measure are limited", Safeguards24, DomesticLaw},
	{ScreenEffectiveRemedy, "The person concerned has an effective remedy", Safeguards24, DomesticLaw},
	{ScreenHumanRights, "Executing the request would not suppress human rights or fundamental freedoms, such as expression, conscience, opinion, religion or belief, peaceful assembly and association", HumanRights6, EssentialInterests},
}

// ScreeningGrounds lists the questions of a screening of a request of
// kind k, in the order an official answers them: the discrimination
// ground cites art. 37 for an extradition.
func ScreeningGrounds(k Kind) []ScreeningGroundSpec {
	out := slices.Clone(screeningGrounds)
	if k == Extradition {
		out[0].Ref = ExtraditionDiscrimination
	}
	return out
}

// LookupScreeningGround returns what g asks, or false if g is unknown.
func LookupScreeningGround(g ScreeningGround) (ScreeningGroundSpec, bool) {
	for _, s := range screeningGrounds {
		if s.Ground == g {
			return s, true
		}
	}
	return ScreeningGroundSpec{}, false
}

// screenedKinds are the intrusive kinds: real-time collection of traffic
// data (art. 29, asked under art. 45), interception of content data (art.
// 30, asked under art. 46) and extradition (art. 37).
var screenedKinds = []Kind{RealTimeTraffic, Interception, Extradition}

// ScreenedKind reports whether every request of kind k is screened before
// the requested State executes it, whoever sends it.
func ScreenedKind(k Kind) bool { return slices.Contains(screenedKinds, k) }

// ScreenedKinds lists the kinds every request of which is screened.
func ScreenedKinds() []Kind { return slices.Clone(screenedKinds) }

// ScreeningRef is the provision a screening step is cited under: art. 24's
// safeguards, which bind the requested State acting on a request.
var ScreeningRef = SafeguardsOnRequests

// Maximum sizes of a screening, so that one cannot exhaust a node.
const (
	MaxFindingsLength = 20000
)

// Screening is what an official found on screening a request.
type Screening struct {
	// Considered lists every ground the official examined: all of them,
	// so that none is skipped.
	Considered []ScreeningGround `json:"considered"`
	// ConcernsFound lists the grounds on which a concern was found.
	ConcernsFound []ScreeningGround `json:"concerns_found"`
	Findings      string            `json:"findings"`
	Outcome       ScreeningOutcome  `json:"outcome"`
}

// ValidateScreening checks a screening of a request of kind k: every
// ground considered, each once; concerns only on known grounds; an
// outcome that agrees with the concerns; and written findings. It returns
// every problem at once.
func ValidateScreening(k Kind, s Screening) Problems {
	var ps Problems
	grounds := ScreeningGrounds(k)
	known := func(g ScreeningGround) bool {
		return slices.ContainsFunc(grounds, func(x ScreeningGroundSpec) bool { return x.Ground == g })
	}
	seen := map[ScreeningGround]bool{}
	for _, g := range s.Considered {
		switch {
		case !known(g):
			ps = append(ps, Problem{Field: "considered", Ref: ScreeningRef, Message: "unknown screening ground " + quote(string(g)) + "; the grounds are " + screeningGroundList(grounds)})
		case seen[g]:
			ps = append(ps, Problem{Field: "considered", Ref: ScreeningRef, Message: "ground " + quote(string(g)) + " is given twice"})
		}
		seen[g] = true
	}
	for _, spec := range grounds {
		if !seen[spec.Ground] {
			ps = append(ps, Problem{Field: "considered", Ref: spec.Ref, Message: "consider ground " + quote(string(spec.Ground)) + ": " + spec.Description})
		}
	}
	concerns := map[ScreeningGround]bool{}
	for _, g := range s.ConcernsFound {
		switch {
		case !known(g):
			ps = append(ps, Problem{Field: "concerns_found", Ref: ScreeningRef, Message: "unknown screening ground " + quote(string(g)) + "; the grounds are " + screeningGroundList(grounds)})
		case concerns[g]:
			ps = append(ps, Problem{Field: "concerns_found", Ref: ScreeningRef, Message: "ground " + quote(string(g)) + " is given twice"})
		}
		concerns[g] = true
	}
	switch s.Outcome {
	case Cleared:
		if len(s.ConcernsFound) > 0 {
			ps = append(ps, Problem{Field: "outcome", Ref: ScreeningRef, Message: "a screening that found concerns does not clear the request: give outcome \"concerns\", or take the grounds off concerns_found"})
		}
	case Concerns:
		if len(s.ConcernsFound) == 0 {
			ps = append(ps, Problem{Field: "concerns_found", Ref: ScreeningRef, Message: "name the grounds on which a concern was found, or give outcome \"cleared\""})
		}
	case "":
		ps = append(ps, Problem{Field: "outcome", Ref: ScreeningRef, Message: "required: cleared (execution may begin) or concerns (consult the requesting State, art. 40(27), then refuse if no condition meets them)"})
	default:
		ps = append(ps, Problem{Field: "outcome", Ref: ScreeningRef, Message: "unknown outcome " + quote(string(s.Outcome)) + "; give cleared or concerns"})
	}
	if blank(s.Findings) {
		ps = append(ps, Problem{Field: "findings", Ref: ScreeningRef, Message: "required: what was found on each ground, and on what information"})
	} else if p, bad := CheckText("findings", ScreeningRef, s.Findings, MaxFindingsLength); bad {
		ps = append(ps, p)
	}
	if len(s.Considered) > 2*len(grounds) || len(s.ConcernsFound) > 2*len(grounds) {
		// A list longer than twice the grounds is not a checklist: say so
		// once rather than once an entry.
		return append(ps[:0:0], Problem{Field: "considered", Ref: ScreeningRef, Message: "too many grounds: the grounds are " + screeningGroundList(grounds)})
	}
	return ps
}

// RefusalGroundsFor lists, without repeats and in the order of the
// screening's grounds, the grounds for refusal of a request of kind k on
// which the concerns of s may rest: what a refusal after this screening
// cites. For an extradition, whose grounds include those of the requested
// State's law and applicable treaties (art. 37), a concern under arts. 6
// or 24 rests on those.
func RefusalGroundsFor(k Kind, s Screening) []Ground {
	spec, ok := Lookup(k)
	if !ok {
		return nil
	}
	var out []Ground
	for _, sg := range screeningGrounds {
		if !slices.Contains(s.ConcernsFound, sg.Ground) {
			continue
		}
		g := sg.RefusalGround
		if !allowed(spec.RefusalGrounds, g) && allowed(spec.RefusalGrounds, DomesticLawOrTreaty) {
			g = DomesticLawOrTreaty
		}
		if allowed(spec.RefusalGrounds, g) && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

func screeningGroundList(gs []ScreeningGroundSpec) string {
	names := make([]Ground, len(gs))
	for i, g := range gs {
		names[i] = Ground(g.Ground)
	}
	return groundList(names)
}
