package convention

import "slices"

// Reservation names a declaration or reservation, notified to the
// Secretary-General, that changes what the State that made it may do with
// a request. A State's declarations are recorded in its directory entry;
// a refusal is checked against those of the requested State.
type Reservation string

// The reservations that change a refusal.
const (
	// PreservationDualCriminality: a State that requires dual criminality
	// for the search, seizure or disclosure of stored data may reserve the
	// right to refuse a preservation for lack of it, for offences other
	// than those established by the Convention (art. 42(4)).
	PreservationDualCriminality Reservation = "preservation_dual_criminality"
)

// ReservationSpec describes a reservation and the provision that allows it.
type ReservationSpec struct {
	Reservation Reservation `json:"reservation"`
	Description string      `json:"description"`
	Ref         Ref         `json:"ref"`
}

var reservationSpecs = []ReservationSpec{
	{PreservationDualCriminality, "Reserves the right to refuse a preservation for lack of dual criminality, for offences other than those of the Convention", Art(42).Para(4).Unchecked()},
}

// Reservations lists every reservation the node knows.
func Reservations() []ReservationSpec { return reservationSpecs }

// LookupReservation returns the description of r, or false if r is
// unknown.
func LookupReservation(r Reservation) (ReservationSpec, bool) {
	for _, s := range reservationSpecs {
		if s.Reservation == r {
			return s, true
		}
	}
	return ReservationSpec{}, false
}

// Refusal is a refusal of a request as the requested State gives it, with
// what the check needs to know of the request and of that State.
type Refusal struct {
	Kind    Kind
	Charges []Charge // the offences the request concerns
	Grounds []Ground
	Reasons string
	// Declared lists the reservations the requested State has made.
	Declared []Reservation
}

// reservationFor returns the reservation under which a refusal of a
// request of kind k may rest on g though the kind does not allow g, and
// whether there is one.
func reservationFor(k Kind, g Ground) (ReservationSpec, bool) {
	if k == Preservation && g == NoDualCriminality {
		return LookupReservation(PreservationDualCriminality)
	}
	return ReservationSpec{}, false
}

// ReliesOn returns the reservations among f.Declared that allow a ground
// of f, in the order of f's grounds: those a refusal event records, so
// that the requesting State's node checks it as the requested State's did.
func (f Refusal) ReliesOn() []Reservation {
	var out []Reservation
	for _, g := range f.Grounds {
		if rs, ok := reservationFor(f.Kind, g); ok && slices.Contains(f.Declared, rs.Reservation) && !slices.Contains(out, rs.Reservation) {
			out = append(out, rs.Reservation)
		}
	}
	return out
}

// coversCharges reports whether the reservation rs reaches at least one of
// charges: art. 42(4) reaches only offences other than those of arts. 7-17.
func coversCharges(rs Reservation, charges []Charge) bool {
	if rs != PreservationDualCriminality {
		return true
	}
	for _, c := range charges {
		if c.Article == 0 {
			return true
		}
	}
	return false
}
