package vaxtrace

// Roles.
const (
	RoleAdmin   = "admin"   // national administrator: everything
	RoleRegion  = "region"  // regional coordinator: one region
	RolePoint   = "point"   // vaccination point: one place
	RoleAuditor = "auditor" // read-only, everything, including history
	RolePublic  = "public"  // aggregates only
	// RoleMigration loads another registry's history. It writes national
	// scope like admin (places, lots, stock, people, doses, corrections)
	// except certificates, reads like an auditor, and is the only role
	// whose writes may carry a recording time in the past (the CSV
	// "recorded" column, the batch API's "recorded" field, FHIR
	// Immunization.recorded), so that as-known-on and as-published figures
	// of the migrated years stay what they were.
	RoleMigration = "migration"
)

// Roles lists every role, for help texts.
var Roles = []string{RoleAdmin, RoleRegion, RolePoint, RoleAuditor, RolePublic, RoleMigration}

// Principal is an authenticated caller.
type Principal struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Region string `json:"region,omitempty"` // for RoleRegion
	Place  string `json:"place,omitempty"`  // for RolePoint
}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	switch r {
	case RoleAdmin, RoleRegion, RolePoint, RoleAuditor, RolePublic, RoleMigration:
		return true
	}
	return false
}

// CanReadRegion reports whether p may read person- and place-level data of region.
func (p Principal) CanReadRegion(s *State, region string) bool {
	switch p.Role {
	case RoleAdmin, RoleAuditor, RoleMigration:
		return true
	case RoleRegion:
		return p.Region == region
	case RolePoint:
		pl := s.places[p.Place]
		return pl != nil && pl.Region == region
	}
	return false
}

// CanReadPlace reports whether p may read a place's detail.
func (p Principal) CanReadPlace(s *State, place string) bool {
	switch p.Role {
	case RoleAdmin, RoleAuditor, RoleMigration:
		return true
	case RoleRegion:
		pl := s.places[place]
		return pl != nil && pl.Region == p.Region
	case RolePoint:
		return p.Place == place
	}
	return false
}

// Authorize decides whether p may submit payload v. Writes outside the
// caller's scope are refused with EFORBIDDEN.
func Authorize(p Principal, s *State, v Payload) error {
	switch p.Role {
	case RoleAdmin:
		return nil
	case RoleMigration:
		switch v.(type) {
		case CertificateIssued, CertificateRevoked:
			return Errorf(EFORBIDDEN, "role migration loads history; certificates are issued and revoked by admin")
		}
		return nil
	case RoleAuditor, RolePublic:
		return Errorf(EFORBIDDEN, "role %s is read-only", p.Role)
	case RoleRegion, RolePoint:
	default:
		return Errorf(EFORBIDDEN, "unknown role %q", p.Role)
	}
	switch x := v.(type) {
	case PersonRegistered:
		if p.Role == RoleRegion && x.Person.Region != p.Region {
			return Errorf(EFORBIDDEN, "a regional coordinator registers people of region %s only", p.Region)
		}
		return nil // a vaccination point registers whoever comes for a dose
	case PersonUpdated:
		if p.Role == RoleRegion {
			if cur := s.people.get(x.Person.ID); cur != nil && cur.Region() != p.Region {
				return Errorf(EFORBIDDEN, "person is registered in another region")
			}
		}
	case AEFIReported:
		if x.SuspendLot {
			return Errorf(EFORBIDDEN, "suspending a lot everywhere is a national decision; report the AEFI without suspend_lot")
		}
	}
	if err := authorizeTargets(p, s, v); err != nil {
		return err
	}
	places, national := touched(s, v)
	if national {
		return Errorf(EFORBIDDEN, "%s is a national-level action; role %s may not do it", v.Kind(), p.Role)
	}
	for _, id := range places {
		pl := s.places[id]
		if pl == nil {
			continue // Decide reports unknown places with a clear field error
		}
		switch p.Role {
		case RoleRegion:
			if pl.Kind == PlaceNational || pl.Region != p.Region {
				return Errorf(EFORBIDDEN, "place %s is outside region %s", id, p.Region)
			}
		case RolePoint:
			if id != p.Place {
				return Errorf(EFORBIDDEN, "place %s is not %s", id, p.Place)
			}
		}
	}
	return nil
}

// touched lists the places a payload changes; national is true for actions
// that belong to the national level only.
func touched(s *State, v Payload) (places []string, national bool) {
	switch x := v.(type) {
	case ShipmentDispatched:
		return []string{x.From, x.To}, false
	case ShipmentReceived:
		if sh := s.shipments[x.Shipment]; sh != nil {
			return []string{sh.To}, false
		}
		return nil, false
	case StockAdjusted:
		return []string{x.Place}, false
	case StockCounted:
		return []string{x.Place}, false
	case ExcursionReported:
		if x.Place != "" {
			return []string{x.Place}, false
		}
		if sh := s.shipments[x.Shipment]; sh != nil {
			return []string{sh.To}, false
		}
		return nil, false
	case ExcursionResolved:
		if xs := s.excursions[x.Excursion]; xs != nil {
			if xs.Place != "" {
				return []string{xs.Place}, false
			}
			if sh := s.shipments[xs.Shipment]; sh != nil {
				return []string{sh.To}, false
			}
		}
		return nil, false
	case PlaceDefined:
		if x.Place.Kind == PlaceNational {
			return nil, true
		}
		return []string{x.Place.Parent}, false
	case PersonRegistered, PersonUpdated:
		return nil, false
	case DoseAdministered:
		return []string{x.Place}, false
	case DoseVoided:
		if d := s.doses.get(x.Dose); d != nil {
			return []string{d.Place(s)}, false
		}
		return nil, false
	case DoseCorrected:
		ps := []string{}
		if d := s.doses.get(x.Dose); d != nil {
			ps = append(ps, d.Place(s))
		}
		if x.Place != "" {
			ps = append(ps, x.Place)
		}
		return ps, false
	case SessionClosed:
		return []string{x.Place}, false
	case AEFIReported:
		if d := s.doses.get(x.Dose); d != nil {
			return []string{d.Place(s)}, false
		}
		return nil, false
	case TallySubmitted:
		return []string{x.Place}, false
	case CertificateIssued:
		if d := s.doses.get(x.Dose); d != nil {
			return []string{d.Place(s)}, false
		}
		return nil, false
	}
	if places, national, ok := touchedRooms(s, v); ok {
		return places, national
	}
	// catalog, regions, agreements, lots, receipts, releases, suspensions,
	// merges, targets and place moves are national.
	return nil, true
}
