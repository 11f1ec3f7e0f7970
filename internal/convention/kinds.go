package convention

import "slices"

// Kind names a kind of request under chapter V of the Convention.
type Kind string

// The request kinds of chapter V.
const (
	Preservation        Kind = "preservation"         // art. 42
	TrafficDisclosure   Kind = "traffic_disclosure"   // art. 43
	StoredDataAccess    Kind = "stored_data_access"   // art. 44
	RealTimeTraffic     Kind = "real_time_traffic"    // art. 45
	Interception        Kind = "interception"         // art. 46
	MutualAssistance    Kind = "mutual_assistance"    // art. 40
	Extradition         Kind = "extradition"          // art. 37
	ProceedingsTransfer Kind = "proceedings_transfer" // art. 39
	LawEnforcement      Kind = "law_enforcement"      // art. 47
	JointInvestigation  Kind = "joint_investigation"  // art. 48
	Freezing            Kind = "freezing"             // arts. 31, 49-50
	Confiscation        Kind = "confiscation"         // arts. 31, 49-50
	AssetReturn         Kind = "asset_return"         // art. 52
	Spontaneous         Kind = "spontaneous"          // art. 40(4)-(5), art. 51
	EmergencyDisclosure Kind = "emergency_disclosure" // art. 41
	// Added after the kinds above, so that stored requests keep their names.
	SentencedTransfer Kind = "sentenced_transfer" // art. 38
	WitnessTransfer   Kind = "witness_transfer"   // art. 40(10)-(12)
	TechnicalAdvice   Kind = "technical_advice"   // art. 41(3)(a)
	LegalInformation  Kind = "legal_information"  // art. 41(3)(c)
	LocatingSuspects  Kind = "locating_suspects"  // art. 41(3)(d)
)

// Field is one item of content a request of some kind carries.
type Field struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Required fields must be present and non-blank; the others are asked
	// for "where possible" or "where applicable" by the Convention.
	Required bool `json:"required"`
	Ref      Ref  `json:"ref"`
}

// Spec is what the Convention says about one kind of request.
type Spec struct {
	Kind     Kind    `json:"kind"`
	Title    string  `json:"title"`
	Articles []Ref   `json:"articles"`
	Fields   []Field `json:"fields"`
	// OffenceRequired is set when the request must name the offence it
	// concerns: an offence of arts. 7-17 or a serious crime (art. 2).
	OffenceRequired bool `json:"offence_required"`
	// Scope is which offences the kind covers (art. 35(1)); empty for the
	// kinds that name none, or that cover serious crimes too.
	Scope Scope `json:"scope,omitempty"`
	// Preserves is set for kinds whose execution keeps data preserved for
	// a period with a deadline (art. 42).
	Preserves bool `json:"preserves"`
	// TwentyFourSeven is set for kinds the 24/7 point of contact handles
	// directly (art. 41(3)(b) and (e)).
	TwentyFourSeven bool `json:"twenty_four_seven"`
	// OnPreservation is set for expedited disclosure of preserved traffic
	// data: the requested State makes it as a step of executing a
	// preservation, and it is never drafted as a request of its own (art.
	// 43(1)). The kind stays, so that requests drafted before still read.
	OnPreservation bool `json:"on_preservation,omitempty"`
	// RefusalGrounds lists the grounds on which a request of this kind may
	// be refused.
	RefusalGrounds []Ground `json:"refusal_grounds"`
}

// The contents of art. 40(15), shared by the kinds of mutual legal
// assistance that do not list their own.
var mlaContents = []Field{
	{"requesting_authority", "Authority making the request", true, Art(40).Para(15).Sub("a")},
	{"subject_matter", "Subject matter and nature of the investigation, prosecution or proceeding", true, Art(40).Para(15).Sub("b")},
	{"conducting_authority", "Name and functions of the authority conducting it", true, Art(40).Para(15).Sub("b")},
	{"facts_summary", "Summary of the relevant facts", true, Art(40).Para(15).Sub("c")},
	{"assistance_sought", "Assistance sought and any particular procedure to follow", true, Art(40).Para(15).Sub("d")},
	{"persons_concerned", "Identity, location and nationality of any person, item or account concerned", false, Art(40).Para(15).Sub("e")},
	{"time_period", "Time period for which evidence is sought", false, Art(40).Para(15).Sub("f").Unchecked()},
	{"purpose", "Purpose for which the evidence, information or action is sought", true, Art(40).Para(15).Sub("g")},
}

// safeguardsField lets the requesting State describe the conditions and
// safeguards of its own law. Art. 24 binds the State that applies a
// measure, the requested one when it acts on a request: it asks nothing
// of the request, so the field is never required.
var safeguardsField = Field{"safeguards", "Conditions and safeguards under the requesting State's law, if it wishes to describe them", false, Safeguards24}

// CommonFields are the practical fields of real request templates (the
// Council of Europe's T-CY forms, UNODC's request writer) that any request
// may carry: none is required, and they identify and route the request
// rather than state what the Convention asks. A kind's own field of the
// same name takes precedence.
var CommonFields = []Field{
	{"reference", "The requesting authority's own reference for this request", false, Art(40).Para(14)},
	{"case_number", "Case or file number of the investigation, prosecution or proceeding, at the prosecutor or court", false, Art(40).Para(15).Sub("b")},
	{"contact_person", "Person in charge at the requesting authority: name, telephone, e-mail, office hours", false, Art(40).Para(15).Sub("a")},
	{"time_zone", "Time zone of the contact person, e.g. Europe/Paris or UTC+07:00", false, Art(40).Para(25)},
}

// withCommon adds CommonFields to each spec that lacks them.
func withCommon(ss []Spec) []Spec {
	for i := range ss {
		for _, c := range CommonFields {
			if _, ok := ss[i].Field(c.Name); !ok {
				ss[i].Fields = append(slices.Clone(ss[i].Fields), c)
			}
		}
	}
	return ss
}

// The contents of arts. 45(3) and 46(3): real-time collection of traffic
// data, and interception of content data "with the same contents".
func realTimeContents(article int, data string) []Field {
	a := Art(article).Para(3).Unchecked()
	return []Field{
		{"requesting_authority", "Authority making the request", true, a.Sub("a")},
		{"facts_summary", "Main facts and nature of the investigation, prosecution or proceeding", true, a.Sub("b")},
		{"target_data", "The electronic data for which " + data + " are needed and their relation to the offence", true, a.Sub("c")},
		{"owner_or_location", "Any data identifying the owner or user of the data, or the location of the ICT system", false, a.Sub("d")},
		{"justification", "Justification for the need to collect the " + data, true, a.Sub("e")},
		{"collection_period", "Period of collection and why it is that long", true, a.Sub("f")},
		safeguardsField,
	}
}

var specs = withCommon([]Spec{
	{
		Kind:     Preservation,
		Title:    "Expedited preservation of stored electronic data",
		Articles: []Ref{Art(42), Art(41).Para(3).Sub("b")},
		Fields: []Field{
			{"requesting_authority", "Authority seeking preservation", true, Art(42).Para(2).Sub("a").Unchecked()},
			{"facts_summary", "Brief summary of the facts of the offence", true, Art(42).Para(2).Sub("b").Unchecked()},
			{"stored_data", "Stored electronic data to be preserved and their relation to the offence", true, Art(42).Para(2).Sub("c").Unchecked()},
			{"custodian_or_location", "Information identifying the custodian of the data or the location of the ICT system", false, Art(42).Para(2).Sub("d").Unchecked()},
			{"necessity", "Why preservation is necessary", true, Art(42).Para(2).Sub("e").Unchecked()},
			{"follow_up_intent", "That a request for search, seizure or disclosure of the data will follow", true, Art(42).Para(2).Sub("f").Unchecked()},
		},
		OffenceRequired: true,
		Preserves:       true,
		TwentyFourSeven: true,
		RefusalGrounds:  narrowGrounds,
	},
	{
		Kind:     TrafficDisclosure,
		Title:    "Expedited disclosure of preserved traffic data",
		Articles: []Ref{Art(43)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(43).Para(1)},
			{"preservation_reference", "The preservation request under art. 42 whose execution revealed the service provider", true, Art(43).Para(1)},
			{"traffic_data_sought", "Traffic data sought to identify the service provider and the path of the communication", true, Art(43).Para(1)},
			{"facts_summary", "Brief summary of the facts of the offence", true, Art(42).Para(2).Sub("b").Unchecked()},
		},
		OffenceRequired: true,
		TwentyFourSeven: true,
		OnPreservation:  true,
		RefusalGrounds:  narrowGrounds,
	},
	{
		Kind:     StoredDataAccess,
		Title:    "Mutual legal assistance in accessing stored electronic data",
		Articles: []Ref{Art(44), Art(40).Para(15)},
		Fields: append(slices.Clone(mlaContents),
			Field{"stored_data", "Stored electronic data to be searched, seized or disclosed, including data preserved under art. 42", true, Art(44).Para(1)},
			Field{"vulnerability", "Why the data are particularly vulnerable to loss or modification, if expedition is sought", false, Art(44).Para(3).Unchecked()},
			safeguardsField,
		),
		OffenceRequired: true,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:            RealTimeTraffic,
		Title:           "Mutual legal assistance in the real-time collection of traffic data",
		Articles:        []Ref{Art(45)},
		Fields:          realTimeContents(45, "traffic data"),
		OffenceRequired: true,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:            Interception,
		Title:           "Mutual legal assistance in the interception of content data",
		Articles:        []Ref{Art(46)},
		Fields:          realTimeContents(46, "content data"),
		OffenceRequired: true,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:            MutualAssistance,
		Title:           "Mutual legal assistance",
		Articles:        []Ref{Art(40)},
		Fields:          mlaContents,
		OffenceRequired: true,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:     Extradition,
		Title:    "Extradition",
		Articles: []Ref{Art(37)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(37)},
			{"person", "Identity, nationality and likely location of the person sought", true, Art(37)},
			{"facts_summary", "Summary of the facts of the offence", true, Art(37)},
			{"warrant_or_judgment", "Arrest warrant or judgment on which the request rests", true, Art(37)},
			{"dual_criminality", "How the conduct is a criminal offence under the law of both States", true, Art(37).Para(1)},
			{"provisional_arrest", "Whether provisional arrest is sought, and why it is urgent", false, ProvisionalArrest},
		},
		OffenceRequired: true,
		Scope:           ExtraditableOffences,
		RefusalGrounds:  extraditionGrounds,
	},
	{
		Kind:     ProceedingsTransfer,
		Title:    "Transfer of criminal proceedings",
		Articles: []Ref{Art(39)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(39)},
			{"subject_matter", "Proceedings to be transferred", true, Art(39)},
			{"facts_summary", "Summary of the relevant facts", true, Art(39)},
			{"persons_concerned", "Persons concerned", true, Art(39)},
			{"reasons", "Why transfer is in the interests of the proper administration of justice", true, Art(39)},
		},
		OffenceRequired: true,
		Scope:           ConventionOffences,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:     LawEnforcement,
		Title:    "Law-enforcement cooperation",
		Articles: []Ref{Art(47)},
		Fields: []Field{
			{"requesting_authority", "Agency making the request", true, Art(47).Para(1)},
			{"information_sought", "Information or cooperation sought", true, Art(47).Para(1)},
			{"facts_summary", "Summary of the relevant facts", true, Art(47).Para(1)},
		},
		RefusalGrounds: mlaGrounds,
	},
	{
		Kind:     JointInvestigation,
		Title:    "Joint investigation",
		Articles: []Ref{Art(48)},
		Fields: []Field{
			{"requesting_authority", "Authority proposing the joint investigation", true, Art(48)},
			{"subject_matter", "Matters under investigation", true, Art(48)},
			{"proposed_arrangement", "Proposed parties, scope and duration of the joint investigative body", true, Art(48)},
		},
		OffenceRequired: true,
		Scope:           ConventionOffences,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:     Freezing,
		Title:    "Freezing or seizure of proceeds of crime",
		Articles: []Ref{Art(31), Art(49), Art(50)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(40).Para(15).Sub("a")},
			{"facts_summary", "Statement of the facts relied upon", true, Art(50).Para(3).Sub("c").Unchecked()},
			{"actions_requested", "Description of the actions requested", true, Art(50).Para(3).Sub("c").Unchecked()},
			{"property", "Property to be frozen or seized: description and location", true, Art(50).Para(3).Sub("c").Unchecked()},
			{"order", "Legally admissible copy of the order on which the request rests, where available", false, Art(50).Para(3).Sub("c").Unchecked()},
		},
		OffenceRequired: true,
		Scope:           ConventionOffences,
		RefusalGrounds:  assetGrounds,
	},
	{
		Kind:     Confiscation,
		Title:    "Confiscation of proceeds of crime",
		Articles: []Ref{Art(31), Art(49), Art(50)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(40).Para(15).Sub("a")},
			{"facts_summary", "Statement of the facts relied upon", true, Art(50).Para(3).Sub("a").Unchecked()},
			{"property", "Property to be confiscated: description, location and estimated value", true, Art(50).Para(3).Sub("a").Unchecked()},
			{"confiscation_order", "For a foreign order: a legally admissible copy of it", false, Art(50).Para(3).Sub("b").Unchecked()},
			{"extent_of_execution", "For a foreign order: the extent to which its execution is requested", false, Art(50).Para(3).Sub("b").Unchecked()},
			{"third_party_notice", "For a foreign order: the notice given to bona fide third parties", false, Art(50).Para(3).Sub("b").Unchecked()},
			{"order_is_final", "For a foreign order: that it is final", false, Art(50).Para(3).Sub("b").Unchecked()},
		},
		OffenceRequired: true,
		Scope:           ConventionOffences,
		RefusalGrounds:  assetGrounds,
	},
	{
		Kind:     AssetReturn,
		Title:    "Return of confiscated proceeds of crime",
		Articles: []Ref{Art(52)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(52)},
			{"confiscation_reference", "The confiscation on which the return rests", true, Art(52).Para(1)},
			{"property", "Confiscated property to be returned", true, Art(52).Para(1)},
			{"victims_or_owners", "Victims to compensate or legitimate owners to return the property to", true, Art(52).Para(2).Unchecked()},
			{"expenses", "Reasonable expenses to be deducted", false, Art(52).Para(3).Unchecked()},
		},
		OffenceRequired: true,
		Scope:           ConventionOffences,
		RefusalGrounds:  assetGrounds,
	},
	{
		Kind:     Spontaneous,
		Title:    "Spontaneous information",
		Articles: []Ref{Art(40).Para(4), Art(40).Para(5), Art(51)},
		Fields: []Field{
			{"sending_authority", "Authority transmitting the information", true, Art(40).Para(4)},
			{"information", "Information that could assist in undertaking or concluding inquiries and criminal proceedings", true, Art(40).Para(4)},
		},
	},
	{
		Kind:     EmergencyDisclosure,
		Title:    "Emergency disclosure through the 24/7 network",
		Articles: []Ref{Art(41).Para(3).Sub("e"), Art(2)},
		Fields: []Field{
			{"requesting_authority", "24/7 point of contact or authority making the request", true, Art(41).Para(1)},
			{"emergency", "The significant and imminent risk to the life or safety of a natural person", true, Art(2).Unchecked()},
			{"data_sought", "Electronic data needed to avert the emergency", true, Art(41).Para(3).Sub("e")},
			{"custodian_or_location", "Service provider or location of the data, if known", false, Art(41).Para(3).Sub("b")},
		},
		TwentyFourSeven: true,
		RefusalGrounds:  mlaGrounds,
	},
	{
		Kind:     SentencedTransfer,
		Title:    "Transfer of sentenced persons",
		Articles: []Ref{Art(38)},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(38)},
			{"person", "Identity and nationality of the sentenced person, and where they are held", true, Art(38)},
			{"judgment", "The final judgment: court, date, offence, sentence, and the part still to serve", true, Art(38)},
			{"consent", "The sentenced person's consent to the transfer", true, Art(38).Unchecked()},
			{"reasons", "How serving the sentence in the other State helps the person's rehabilitation and reintegration", true, Art(38).Unchecked()},
			{"arrangement", "The agreement or arrangement on the transfer of sentenced persons the request rests on, if any", false, Art(38)},
		},
		OffenceRequired: true,
		// Art. 38: persons sentenced for offences established in
		// accordance with the Convention.
		Scope:          ConventionOffences,
		RefusalGrounds: sentencedGrounds,
	},
	{
		Kind:     WitnessTransfer,
		Title:    "Transfer of a detained person to testify or help obtain evidence",
		Articles: []Ref{Art(40).Para(10).Unchecked(), Art(40).Para(11).Unchecked(), Art(40).Para(12).Unchecked()},
		Fields: []Field{
			{"requesting_authority", "Authority making the request", true, Art(40).Para(15).Sub("a")},
			{"subject_matter", "Subject matter and nature of the investigation, prosecution or proceeding", true, Art(40).Para(15).Sub("b")},
			{"facts_summary", "Summary of the relevant facts", true, Art(40).Para(15).Sub("c")},
			{"person", "Identity of the person detained or serving a sentence in the requested State, and where they are held", true, Art(40).Para(10).Unchecked()},
			{"purpose", "Purpose of the transfer: identification, testimony, or otherwise helping to obtain evidence", true, Art(40).Para(10).Unchecked()},
			{"consent", "That the person freely gives informed consent", true, Art(40).Para(10).Sub("a").Unchecked()},
			{"custody_and_return", "How the person is kept in custody, and when and how they are returned", true, Art(40).Para(11).Unchecked()},
			{"conditions", "Conditions proposed for the transfer, for both States' authorities to agree", false, Art(40).Para(10).Sub("b").Unchecked()},
		},
		OffenceRequired: true,
		RefusalGrounds:  witnessGrounds,
	},
	{
		Kind:     TechnicalAdvice,
		Title:    "Technical advice through the 24/7 network",
		Articles: []Ref{Art(41).Para(3).Sub("a")},
		Fields: []Field{
			{"requesting_authority", "24/7 point of contact or authority making the request", true, Art(41).Para(1)},
			{"advice_sought", "Technical advice sought", true, Art(41).Para(3).Sub("a")},
			{"context", "Context of the investigation, as far as the advice needs it", false, Art(41).Para(3).Sub("a")},
		},
		TwentyFourSeven: true,
		RefusalGrounds:  networkGrounds,
	},
	{
		Kind:     LegalInformation,
		Title:    "Legal information through the 24/7 network",
		Articles: []Ref{Art(41).Para(3).Sub("c")},
		Fields: []Field{
			{"requesting_authority", "24/7 point of contact or authority making the request", true, Art(41).Para(1)},
			{"information_sought", "Legal information sought: for instance how evidence is obtained, kept or used under the requested State's law", true, Art(41).Para(3).Sub("c")},
			{"context", "Context of the investigation, as far as the answer needs it", false, Art(41).Para(3).Sub("c")},
		},
		TwentyFourSeven: true,
		RefusalGrounds:  networkGrounds,
	},
	{
		Kind:     LocatingSuspects,
		Title:    "Locating suspects through the 24/7 network",
		Articles: []Ref{Art(41).Para(3).Sub("d")},
		Fields: []Field{
			{"requesting_authority", "24/7 point of contact or authority making the request", true, Art(41).Para(1)},
			{"person", "What identifies the suspect: names, accounts, identifiers, devices, last known whereabouts", true, Art(41).Para(3).Sub("d")},
			{"facts_summary", "Brief summary of the facts of the offence", true, Art(41).Para(3).Sub("d")},
			{"reasons", "Why the suspect is believed to be in, or traceable from, the requested State", false, Art(41).Para(3).Sub("d")},
		},
		OffenceRequired: true,
		TwentyFourSeven: true,
		RefusalGrounds:  locatingGrounds,
	},
})

// Kinds returns the specs of every kind of request, in the order of
// chapter V as DESIGN.md lists them. The caller may not modify them.
func Kinds() []Spec { return specs }

// Draftable reports whether an official may draft a request of s's kind.
// A kind kept only so that requests drafted before still read (expedited
// disclosure of traffic data, now a step of executing a preservation,
// art. 43(1)) is not: lists offered to an official leave it out.
func (s Spec) Draftable() bool { return !s.OnPreservation }

// DraftableKinds returns the specs of the kinds an official may draft, in
// the order of Kinds.
func DraftableKinds() []Spec {
	var out []Spec
	for _, s := range specs {
		if s.Draftable() {
			out = append(out, s)
		}
	}
	return out
}

// Lookup returns the spec of kind k, or false when k is no kind of
// request under the Convention.
func Lookup(k Kind) (Spec, bool) {
	for _, s := range specs {
		if s.Kind == k {
			return s, true
		}
	}
	return Spec{}, false
}

// Field returns the field of s named name.
func (s Spec) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// scope is s's scope, the widest when s names none.
func (s Spec) scope() Scope {
	if s.Scope == "" {
		return OffencesAndSeriousCrimes
	}
	return s.Scope
}

// MainArticle is the article that chiefly governs s.
func (s Spec) MainArticle() Ref { return s.Articles[0] }
