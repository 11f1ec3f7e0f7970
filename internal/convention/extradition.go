package convention

// The paragraphs of art. 37 (extradition), in one place and in one
// numbering. Art. 37 follows art. 44 of the United Nations Convention
// against Corruption paragraph for paragraph (para. 2, extradition for an
// offence not punishable in the requested State, shifts every later
// paragraph by one against art. 16 of the Convention against Transnational
// Organized Crime); each is marked unchecked until read against the
// authentic text.
var (
	// ExtraditionScope: offences of the Convention, punishable in both
	// States by a maximum deprivation of liberty of at least one year.
	ExtraditionScope = Art(37).Para(1)
	// ExtraditionLegalBasis: a State that makes extradition conditional on
	// a treaty may take the Convention as its legal basis.
	ExtraditionLegalBasis = Art(37).Para(5).Unchecked()
	// ExtraditionNotification: such a State tells the Secretary-General
	// whether it takes the Convention as that legal basis.
	ExtraditionNotification = Art(37).Para(6).Unchecked()
	// ExtraditionConditions: extradition is subject to the conditions, and
	// the grounds for refusal, of the requested State's domestic law and
	// applicable extradition treaties.
	ExtraditionConditions = Art(37).Para(8).Unchecked()
	// ProvisionalArrest: custody of the person sought in urgent cases.
	ProvisionalArrest = Art(37).Para(10).Unchecked()
	// ExtraditionNationals: a State that does not extradite its national
	// submits the case for prosecution.
	ExtraditionNationals = Art(37).Para(11).Unchecked()
	// ExtraditionFiscal: fiscal matters are not, on their own, a ground to
	// refuse extradition.
	ExtraditionFiscal = Art(37).Para(16).Unchecked()
)

// ExtraditionMinimumYears is the least maximum penalty, in years of
// deprivation of liberty, that the offence must carry in both States for
// art. 37 to apply (art. 37(1)).
const ExtraditionMinimumYears = 1
