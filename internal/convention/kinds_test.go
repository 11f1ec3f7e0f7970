package convention_test

import (
	"slices"
	"testing"

	"entraide/internal/convention"
)

// kindCase is what the Convention says of one kind of request, written out
// independently of kinds.go so that a change there has to be made twice.
type kindCase struct {
	name            string
	kind            convention.Kind
	main            convention.Ref
	articles        []int // every article the spec must cite
	offenceRequired bool
	preserves       bool
	twentyFourSeven bool
	onPreservation  bool
	required        []string
}

var mlaRequired = []string{"requesting_authority", "subject_matter", "conducting_authority", "facts_summary", "assistance_sought", "purpose"}

var kindCases = []kindCase{
	{
		name: "art 42: preservation", kind: convention.Preservation,
		main: convention.Art(42), articles: []int{42, 41},
		offenceRequired: true, preserves: true, twentyFourSeven: true,
		required: []string{"requesting_authority", "facts_summary", "stored_data", "necessity", "follow_up_intent"},
	},
	{
		name: "art 43: traffic_disclosure, made on a preservation", kind: convention.TrafficDisclosure, onPreservation: true,
		main: convention.Art(43), articles: []int{43},
		offenceRequired: true, twentyFourSeven: true,
		required: []string{"requesting_authority", "preservation_reference", "traffic_data_sought", "facts_summary"},
	},
	{
		name: "art 44: stored_data_access", kind: convention.StoredDataAccess,
		main: convention.Art(44), articles: []int{44, 40},
		offenceRequired: true,
		required:        append(slices.Clone(mlaRequired), "stored_data"),
	},
	{
		name: "art 45: real_time_traffic", kind: convention.RealTimeTraffic,
		main: convention.Art(45), articles: []int{45},
		offenceRequired: true,
		required:        []string{"requesting_authority", "facts_summary", "target_data", "justification", "collection_period"},
	},
	{
		name: "art 46: interception", kind: convention.Interception,
		main: convention.Art(46), articles: []int{46},
		offenceRequired: true,
		required:        []string{"requesting_authority", "facts_summary", "target_data", "justification", "collection_period"},
	},
	{
		name: "art 40: mutual_assistance", kind: convention.MutualAssistance,
		main: convention.Art(40), articles: []int{40},
		offenceRequired: true,
		required:        mlaRequired,
	},
	{
		name: "art 37: extradition", kind: convention.Extradition,
		main: convention.Art(37), articles: []int{37},
		offenceRequired: true,
		required:        []string{"requesting_authority", "person", "facts_summary", "warrant_or_judgment", "dual_criminality"},
	},
	{
		name: "art 39: proceedings_transfer", kind: convention.ProceedingsTransfer,
		main: convention.Art(39), articles: []int{39},
		offenceRequired: true,
		required:        []string{"requesting_authority", "subject_matter", "facts_summary", "persons_concerned", "reasons"},
	},
	{
		name: "art 47: law_enforcement", kind: convention.LawEnforcement,
		main: convention.Art(47), articles: []int{47},
		required: []string{"requesting_authority", "information_sought", "facts_summary"},
	},
	{
		name: "art 48: joint_investigation", kind: convention.JointInvestigation,
		main: convention.Art(48), articles: []int{48},
		offenceRequired: true,
		required:        []string{"requesting_authority", "subject_matter", "proposed_arrangement"},
	},
	{
		name: "arts 31, 49-50: freezing", kind: convention.Freezing,
		main: convention.Art(31), articles: []int{31, 49, 50},
		offenceRequired: true,
		required:        []string{"requesting_authority", "facts_summary", "actions_requested", "property"},
	},
	{
		name: "arts 31, 49-50: confiscation", kind: convention.Confiscation,
		main: convention.Art(31), articles: []int{31, 49, 50},
		offenceRequired: true,
		required:        []string{"requesting_authority", "facts_summary", "property"},
	},
	{
		name: "art 52: asset_return", kind: convention.AssetReturn,
		main: convention.Art(52), articles: []int{52},
		offenceRequired: true,
		required:        []string{"requesting_authority", "confiscation_reference", "property", "victims_or_owners"},
	},
	{
		name: "art 40(4)-(5), 51: spontaneous", kind: convention.Spontaneous,
		main: convention.Art(40).Para(4), articles: []int{40, 51},
		required: []string{"sending_authority", "information"},
	},
	{
		name: "art 41: emergency_disclosure", kind: convention.EmergencyDisclosure,
		main: convention.Art(41).Para(3).Sub("e"), articles: []int{41, 2},
		twentyFourSeven: true,
		required:        []string{"requesting_authority", "emergency", "data_sought"},
	},
	{
		name: "art 38: sentenced_transfer", kind: convention.SentencedTransfer,
		main: convention.Art(38), articles: []int{38},
		offenceRequired: true,
		required:        []string{"requesting_authority", "person", "judgment", "consent", "reasons"},
	},
	{
		name: "art 40(10)-(12): witness_transfer", kind: convention.WitnessTransfer,
		main: convention.Art(40).Para(10).Unchecked(), articles: []int{40},
		offenceRequired: true,
		required:        []string{"requesting_authority", "subject_matter", "facts_summary", "person", "purpose", "consent", "custody_and_return"},
	},
	{
		name: "art 41(3)(a): technical_advice", kind: convention.TechnicalAdvice,
		main: convention.Art(41).Para(3).Sub("a"), articles: []int{41},
		twentyFourSeven: true,
		required:        []string{"requesting_authority", "advice_sought"},
	},
	{
		name: "art 41(3)(c): legal_information", kind: convention.LegalInformation,
		main: convention.Art(41).Para(3).Sub("c"), articles: []int{41},
		twentyFourSeven: true,
		required:        []string{"requesting_authority", "information_sought"},
	},
	{
		name: "art 41(3)(d): locating_suspects", kind: convention.LocatingSuspects,
		main: convention.Art(41).Para(3).Sub("d"), articles: []int{41},
		offenceRequired: true, twentyFourSeven: true,
		required: []string{"requesting_authority", "person", "facts_summary"},
	},
}

func TestKindsAreTheTwentyOfChapterV(t *testing.T) {
	var got []convention.Kind
	for _, s := range convention.Kinds() {
		got = append(got, s.Kind)
	}
	var want []convention.Kind
	for _, tc := range kindCases {
		want = append(want, tc.kind)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if len(got) != 20 {
		t.Errorf("len(Kinds()) = %d, want 20", len(got))
	}
}

func TestKinds(t *testing.T) {
	for _, tc := range kindCases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := convention.Lookup(tc.kind)
			if !ok {
				t.Fatalf("Lookup(%q) = _, false, want true", tc.kind)
			}
			if s.Kind != tc.kind {
				t.Errorf("Lookup(%q).Kind = %q, want %q", tc.kind, s.Kind, tc.kind)
			}
			if s.Title == "" {
				t.Errorf("Lookup(%q).Title is empty, want a title", tc.kind)
			}
			if len(s.Articles) == 0 {
				t.Fatalf("Lookup(%q).Articles is empty, want at least one article", tc.kind)
			}
			if got := s.MainArticle(); got != tc.main {
				t.Errorf("Lookup(%q).MainArticle() = %v (%#v), want %v (%#v)", tc.kind, got, got, tc.main, tc.main)
			}
			var cited []int
			for _, r := range s.Articles {
				if r.Article < 1 || r.Article > 68 {
					t.Errorf("Lookup(%q).Articles has %#v, want an article in 1..68", tc.kind, r)
				}
				cited = append(cited, r.Article)
			}
			for _, a := range tc.articles {
				if !slices.Contains(cited, a) {
					t.Errorf("Lookup(%q).Articles = %v, want it to cite art. %d", tc.kind, s.Articles, a)
				}
			}
			if s.OffenceRequired != tc.offenceRequired {
				t.Errorf("Lookup(%q).OffenceRequired = %v, want %v", tc.kind, s.OffenceRequired, tc.offenceRequired)
			}
			if s.Preserves != tc.preserves {
				t.Errorf("Lookup(%q).Preserves = %v, want %v", tc.kind, s.Preserves, tc.preserves)
			}
			if s.OnPreservation != tc.onPreservation {
				t.Errorf("Lookup(%q).OnPreservation = %v, want %v (art. 43(1))", tc.kind, s.OnPreservation, tc.onPreservation)
			}
			if s.TwentyFourSeven != tc.twentyFourSeven {
				t.Errorf("Lookup(%q).TwentyFourSeven = %v, want %v", tc.kind, s.TwentyFourSeven, tc.twentyFourSeven)
			}

			seen := map[string]bool{}
			var required []string
			for _, f := range s.Fields {
				if seen[f.Name] {
					t.Errorf("Lookup(%q) has field %q twice, want unique names", tc.kind, f.Name)
				}
				seen[f.Name] = true
				if f.Name == "" || f.Label == "" {
					t.Errorf("Lookup(%q) field %#v, want a name and a label", tc.kind, f)
				}
				if f.Ref.Article < 1 || f.Ref.Article > 68 {
					t.Errorf("Lookup(%q) field %q cites %#v, want an article in 1..68", tc.kind, f.Name, f.Ref)
				}
				if got, ok := s.Field(f.Name); !ok || got != f {
					t.Errorf("Spec(%q).Field(%q) = %#v, %v, want %#v, true", tc.kind, f.Name, got, ok, f)
				}
				if f.Required {
					required = append(required, f.Name)
				}
			}
			slices.Sort(required)
			want := slices.Sorted(slices.Values(tc.required))
			if !slices.Equal(required, want) {
				t.Errorf("Lookup(%q) required fields = %v, want %v", tc.kind, required, want)
			}
			if _, ok := s.Field("no_such_field"); ok {
				t.Errorf("Spec(%q).Field(\"no_such_field\") = _, true, want false", tc.kind)
			}
		})
	}
}

func TestKindsMatchLookup(t *testing.T) {
	for _, s := range convention.Kinds() {
		t.Run(string(s.Kind), func(t *testing.T) {
			got, ok := convention.Lookup(s.Kind)
			if !ok || got.Title != s.Title || len(got.Fields) != len(s.Fields) {
				t.Errorf("Lookup(%q) = %q with %d fields, %v, want %q with %d fields, true", s.Kind, got.Title, len(got.Fields), ok, s.Title, len(s.Fields))
			}
		})
	}
}

func TestLookupUnknownKind(t *testing.T) {
	for _, k := range []convention.Kind{"", "Preservation", "mla", "preservation ", "transfer_of_sentenced_persons"} {
		t.Run("art 35: "+string(k), func(t *testing.T) {
			if s, ok := convention.Lookup(k); ok {
				t.Errorf("Lookup(%q) = %q, true, want false", k, s.Kind)
			}
		})
	}
}

func TestFieldRefs(t *testing.T) {
	tests := []struct {
		name     string
		kind     convention.Kind
		field    string
		ref      convention.Ref
		required bool
	}{
		{"art 40(15)(a): requesting authority", convention.MutualAssistance, "requesting_authority", convention.Art(40).Para(15).Sub("a"), true},
		{"art 40(15)(b): subject matter", convention.MutualAssistance, "subject_matter", convention.Art(40).Para(15).Sub("b"), true},
		{"art 40(15)(b): conducting authority", convention.MutualAssistance, "conducting_authority", convention.Art(40).Para(15).Sub("b"), true},
		{"art 40(15)(c): summary of facts", convention.MutualAssistance, "facts_summary", convention.Art(40).Para(15).Sub("c"), true},
		{"art 40(15)(d): assistance sought", convention.MutualAssistance, "assistance_sought", convention.Art(40).Para(15).Sub("d"), true},
		{"art 40(15)(e): persons concerned where possible", convention.MutualAssistance, "persons_concerned", convention.Art(40).Para(15).Sub("e"), false},
		{"art 40(15)(f): time period where applicable", convention.MutualAssistance, "time_period", convention.Art(40).Para(15).Sub("f").Unchecked(), false},
		{"art 40(15)(g): purpose", convention.MutualAssistance, "purpose", convention.Art(40).Para(15).Sub("g"), true},
		{"art 40(15)(a): stored data access shares MLA contents", convention.StoredDataAccess, "requesting_authority", convention.Art(40).Para(15).Sub("a"), true},
		{"art 44(1): stored data to access", convention.StoredDataAccess, "stored_data", convention.Art(44).Para(1), true},
		{"art 24(2): safeguards bind the requested State, not asked of a stored data access", convention.StoredDataAccess, "safeguards", convention.Safeguards24, false},
		{"art 42(2)(a): preservation authority", convention.Preservation, "requesting_authority", convention.Art(42).Para(2).Sub("a").Unchecked(), true},
		{"art 42(2)(b): preservation facts", convention.Preservation, "facts_summary", convention.Art(42).Para(2).Sub("b").Unchecked(), true},
		{"art 42(2)(c): data to preserve", convention.Preservation, "stored_data", convention.Art(42).Para(2).Sub("c").Unchecked(), true},
		{"art 42(2)(d): custodian where available", convention.Preservation, "custodian_or_location", convention.Art(42).Para(2).Sub("d").Unchecked(), false},
		{"art 42(2)(e): necessity", convention.Preservation, "necessity", convention.Art(42).Para(2).Sub("e").Unchecked(), true},
		{"art 42(2)(f): follow-up request", convention.Preservation, "follow_up_intent", convention.Art(42).Para(2).Sub("f").Unchecked(), true},
		{"art 43(1): preservation reference", convention.TrafficDisclosure, "preservation_reference", convention.Art(43).Para(1), true},
		{"art 45(3)(c): traffic data target", convention.RealTimeTraffic, "target_data", convention.Art(45).Para(3).Sub("c").Unchecked(), true},
		{"art 45(3)(d): owner or location where available", convention.RealTimeTraffic, "owner_or_location", convention.Art(45).Para(3).Sub("d").Unchecked(), false},
		{"art 45(3)(f): period of collection", convention.RealTimeTraffic, "collection_period", convention.Art(45).Para(3).Sub("f").Unchecked(), true},
		{"art 24(2): safeguards bind the requested State, not asked of a real-time collection", convention.RealTimeTraffic, "safeguards", convention.Safeguards24, false},
		{"art 24(2): safeguards bind the requested State, not asked of an interception", convention.Interception, "safeguards", convention.Safeguards24, false},
		{"art 46(3)(c): content data target", convention.Interception, "target_data", convention.Art(46).Para(3).Sub("c").Unchecked(), true},
		{"art 46(3)(e): interception justification", convention.Interception, "justification", convention.Art(46).Para(3).Sub("e").Unchecked(), true},
		{"art 37(1): dual criminality for extradition", convention.Extradition, "dual_criminality", convention.Art(37).Para(1), true},
		{"art 37(10): provisional arrest optional, in the numbering of art. 37(11) for nationals", convention.Extradition, "provisional_arrest", convention.Art(37).Para(10).Unchecked(), false},
		{"art 50(3)(b): foreign confiscation order optional", convention.Confiscation, "confiscation_order", convention.Art(50).Para(3).Sub("b").Unchecked(), false},
		{"art 52(1): property to return", convention.AssetReturn, "property", convention.Art(52).Para(1), true},
		{"art 40(4): spontaneous information", convention.Spontaneous, "information", convention.Art(40).Para(4), true},
		{"art 2: emergency", convention.EmergencyDisclosure, "emergency", convention.Art(2).Unchecked(), true},
		{"art 41(3)(e): data to avert an emergency", convention.EmergencyDisclosure, "data_sought", convention.Art(41).Para(3).Sub("e"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := convention.Lookup(tt.kind)
			if !ok {
				t.Fatalf("Lookup(%q) = _, false, want true", tt.kind)
			}
			f, ok := s.Field(tt.field)
			if !ok {
				t.Fatalf("Spec(%q).Field(%q) = _, false, want true", tt.kind, tt.field)
			}
			if f.Ref != tt.ref {
				t.Errorf("Spec(%q).Field(%q).Ref = %#v, want %#v", tt.kind, tt.field, f.Ref, tt.ref)
			}
			if f.Required != tt.required {
				t.Errorf("Spec(%q).Field(%q).Required = %v, want %v", tt.kind, tt.field, f.Required, tt.required)
			}
		})
	}
}

// TestDraftableKinds: art 43(1): expedited disclosure of preserved traffic
// data is a step of executing a preservation, never a kind to draft; every
// other kind is offered, in the order of Kinds.
func TestDraftableKinds(t *testing.T) {
	var want []convention.Kind
	for _, s := range convention.Kinds() {
		if s.Kind != convention.TrafficDisclosure {
			want = append(want, s.Kind)
		}
	}
	var got []convention.Kind
	for _, s := range convention.DraftableKinds() {
		got = append(got, s.Kind)
	}
	if !slices.Equal(got, want) {
		t.Errorf("DraftableKinds() = %v, want %v", got, want)
	}
	if s, _ := convention.Lookup(convention.TrafficDisclosure); s.Draftable() {
		t.Errorf("art 43(1): %s is Draftable", s.Kind)
	}
}
