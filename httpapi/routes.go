package httpapi

import (
	"net/http"

	"vaxtrace"
)

var (
	qAsOf    = param{"as_of", "end of this day (YYYY-MM-DD); default today"}
	qRegion  = param{"region", "region code; default the whole country"}
	qKnownAt = param{"known_at", "figures as known at the end of this day (YYYY-MM-DD)"}
)

// routeTable lists every API route. The OpenAPI document is generated from
// it, so that the two cannot drift apart.
func (s *Server) routeTable() []route {
	return append([]route{
		{Method: "GET", Path: "/healthz", Tag: "ops", Summary: "Process is alive", Fn: s.healthz},
		{Method: "GET", Path: "/readyz", Tag: "ops", Summary: "Journal reachable; reports state lag", Fn: s.readyz},
		{Method: "GET", Path: "/metrics", Tag: "ops", Summary: "Prometheus metrics (text format)", Fn: s.metricsHandler},
		{Method: "GET", Path: "/api/v1/openapi.json", Tag: "ops", Summary: "This OpenAPI document", Fn: s.openapi},
		{Method: "POST", Path: "/api/v1/tokens/{name}/revoke", Access: admins, Tag: "ops", Summary: "Revoke an API token by name (admin): refused at once by this node, by other nodes within their token cache time (the poll interval)", Resp: revokeResponse{}, Fn: s.revokeToken},
		{Method: "GET", Path: "/api/v1/whoami", Tag: "ops", Summary: "The caller's principal: name, role, region, place (public without a token)", Resp: whoamiResponse{}, Fn: s.whoami},

		{Method: "GET", Path: "/api/v1/products", Tag: "catalog", Summary: "Vaccine catalog", Resp: list("products", vaxtrace.Product{}), Fn: s.listProducts},
		{Method: "POST", Path: "/api/v1/products", Access: writer, Tag: "catalog", Summary: "Define or replace a product (admin)", Body: vaxtrace.Product{}, Status: http.StatusCreated, Fn: s.defineProduct},
		{Method: "GET", Path: "/api/v1/regions", Tag: "catalog", Summary: "Regions with population", Query: []param{{"lang", "name language (kk, ru, en)"}}, Resp: list("regions", regionView{}), Fn: s.listRegions},
		{Method: "POST", Path: "/api/v1/regions", Access: writer, Tag: "catalog", Summary: "Define or replace a region (admin)", Body: vaxtrace.Region{}, Status: http.StatusCreated, Fn: s.defineRegion},
		{Method: "GET", Path: "/api/v1/regions/{code}/stock", Access: member, Tag: "stock", Summary: "Current stock in a region by lot", Resp: list("lots", vaxtrace.LotStock{}, "region"), Fn: s.regionStock},
		{Method: "GET", Path: "/api/v1/places", Access: member, Tag: "catalog", Summary: "Places in the caller's scope", Query: []param{qRegion, {"kind", "national, regional or point"}}, Resp: list("places", placeView{}), Fn: s.listPlaces},
		{Method: "POST", Path: "/api/v1/places", Access: writer, Tag: "catalog", Summary: "Create a place", Body: vaxtrace.Place{}, Status: http.StatusCreated, Fn: s.definePlace},
		{Method: "GET", Path: "/api/v1/places/{id}", Access: member, Tag: "catalog", Summary: "A place", Resp: placeView{}, Fn: s.getPlace},
		{Method: "GET", Path: "/api/v1/places/{id}/stock", Access: member, Tag: "stock", Summary: "Stock of a place by lot", Resp: list("lots", vaxtrace.LotStock{}, "place"), Fn: s.placeStock},
		{Method: "POST", Path: "/api/v1/places/{id}/move", Access: writer, Tag: "catalog", Summary: "Move a place to another region from a date (admin)", Body: moveRequest{}, Fn: s.movePlace},

		{Method: "GET", Path: "/api/v1/agreements", Access: member, Tag: "supply", Summary: "Supply agreements with deliveries", Query: []param{qAsOf}, Resp: list("agreements", agreementView{}, "as_of"), Fn: s.listAgreements},
		{Method: "POST", Path: "/api/v1/agreements", Access: writer, Tag: "supply", Summary: "Record a supply agreement (admin)", Body: vaxtrace.Agreement{}, Status: http.StatusCreated, Fn: s.signAgreement},
		{Method: "GET", Path: "/api/v1/supply", Tag: "supply", Summary: "Supply position: contracted, delivered, owed, late", Query: []param{qAsOf}, Resp: supplyResponse{}, Fn: s.supply},
		{Method: "GET", Path: "/api/v1/lots", Access: member, Tag: "supply", Summary: "Lots with conservation counters", Query: []param{{"product", "product code"}, {"status", "quarantined, released or suspended"}}, Resp: list("lots", lotView{}), Fn: s.listLots},
		{Method: "POST", Path: "/api/v1/lots", Access: writer, Tag: "supply", Summary: "Register a lot (admin)", Body: vaxtrace.Lot{}, Status: http.StatusCreated, Fn: s.registerLot},
		{Method: "POST", Path: "/api/v1/lots/{id}/release", Access: writer, Tag: "supply", Summary: "Quality-control release of a lot (admin)", Body: releaseRequest{}, Fn: s.releaseLot},
		{Method: "POST", Path: "/api/v1/lots/{id}/suspend", Access: writer, Tag: "supply", Summary: "Suspend a lot everywhere (admin)", Body: reasonRequest{}, Fn: s.suspendLot},
		{Method: "POST", Path: "/api/v1/lots/{id}/reinstate", Access: writer, Tag: "supply", Summary: "Lift a lot suspension (admin)", Body: reasonRequest{}, Fn: s.reinstateLot},
		{Method: "POST", Path: "/api/v1/receipts", Access: writer, Tag: "supply", Summary: "Doses received at a national warehouse (admin)", Body: receiptRequest{}, Status: http.StatusCreated, Fn: s.receiveStock},

		{Method: "GET", Path: "/api/v1/shipments", Access: member, Tag: "stock", Summary: "Shipments in the caller's scope", Query: []param{{"in_transit", "true: only shipments not yet received"}}, Resp: list("shipments", shipmentView{}), Fn: s.listShipments},
		{Method: "POST", Path: "/api/v1/shipments", Access: writer, Tag: "stock", Summary: "Dispatch a shipment (lots picked first-expiry-first-out when no lines)", Body: vaxtrace.ShipmentDispatched{}, Status: http.StatusCreated, Fn: s.dispatch},
		{Method: "GET", Path: "/api/v1/shipments/{id}", Access: member, Tag: "stock", Summary: "A shipment", Resp: shipmentView{}, Fn: s.getShipment},
		{Method: "POST", Path: "/api/v1/shipments/{id}/receive", Access: writer, Tag: "stock", Summary: "Receive a shipment (all of it when no lines)", Body: receiveRequest{}, Fn: s.receiveShipment},
		{Method: "POST", Path: "/api/v1/adjustments", Access: writer, Tag: "stock", Summary: "Write off stock, or correct after a count", Body: vaxtrace.StockAdjusted{}, Status: http.StatusCreated, Fn: s.adjust},
		{Method: "POST", Path: "/api/v1/counts", Access: writer, Tag: "stock", Summary: "Record a physical stock count", Body: countRequest{}, Status: http.StatusCreated, Fn: s.count},
		{Method: "POST", Path: "/api/v1/excursions", Access: writer, Tag: "stock", Summary: "Report a cold-chain excursion (quarantines the lots there)", Body: vaxtrace.ExcursionReported{}, Status: http.StatusCreated, Fn: s.reportExcursion},
		{Method: "POST", Path: "/api/v1/excursions/{id}/resolve", Access: writer, Tag: "stock", Summary: "Release or write off one lot held by an excursion", Body: resolveRequest{}, Fn: s.resolveExcursion},
		{Method: "GET", Path: "/api/v1/stock", Tag: "stock", Summary: "Stock position by product and region totals", Query: []param{qRegion, qAsOf, qKnownAt}, Resp: stockResponse{}, Fn: s.stock},

		{Method: "POST", Path: "/api/v1/people", Access: writer, Tag: "registry", Summary: "Register a person (idempotency key person:<id>)", Body: personRequest{}, Resp: personResult{}, Status: http.StatusCreated, Fn: s.registerPerson},
		{Method: "POST", Path: "/api/v1/people/lookup", Access: member, Tag: "registry", Summary: "Find a person by IIN (in the body, never the URL)", Body: lookupRequest{}, Resp: personView{}, Fn: s.lookupPerson},
		{Method: "POST", Path: "/api/v1/people/merge", Access: writer, Tag: "registry", Summary: "Merge a duplicate person record (admin)", Body: mergeRequest{}, Fn: s.mergePersons},
		{Method: "GET", Path: "/api/v1/people/{id}", Access: member, Tag: "registry", Summary: "A person with doses", Resp: personView{}, Fn: s.getPerson},
		{Method: "POST", Path: "/api/v1/people/{id}/update", Access: writer, Tag: "registry", Summary: "Update a person's details (omitted fields are kept)", Body: updateRequest{}, Resp: personResult{}, Fn: s.updatePerson},

		{Method: "POST", Path: "/api/v1/doses", Access: writer, Tag: "doses", Summary: "Record a dose (idempotency key dose:<id>)", Body: doseRequest{}, Resp: doseResult{}, Status: http.StatusCreated, Fn: s.recordDose},
		{Method: "POST", Path: "/api/v1/doses/batch", Access: writer, Tag: "doses", Summary: "Upload doses: JSON array or NDJSON (application/x-ndjson); per-record results", Body: []batchRecord{}, Resp: batchResponse{}, Upload: true, Fn: s.doseBatch},
		{Method: "GET", Path: "/api/v1/doses/{id}", Access: member, Tag: "doses", Summary: "A dose with its correction history", Resp: doseView{}, Fn: s.getDose},
		{Method: "POST", Path: "/api/v1/doses/{id}/void", Access: writer, Tag: "doses", Summary: "Void a dose entered in error", Body: reasonRequest{}, Resp: doseResult{}, Fn: s.voidDose},
		{Method: "POST", Path: "/api/v1/doses/{id}/correct", Access: writer, Tag: "doses", Summary: "Correct a dose's time, lot, place or person", Body: correctRequest{}, Resp: doseResult{}, Fn: s.correctDose},
		{Method: "POST", Path: "/api/v1/sessions", Access: writer, Tag: "doses", Summary: "Close a vaccination session (open-vial wastage)", Body: sessionRequest{}, Status: http.StatusCreated, Fn: s.closeSession},
		{Method: "POST", Path: "/api/v1/aefi", Access: writer, Tag: "doses", Summary: "Report an adverse event following immunization", Body: aefiRequest{}, Status: http.StatusCreated, Fn: s.reportAEFI},
		{Method: "GET", Path: "/api/v1/aefi", Access: member, Tag: "doses", Summary: "AEFI reports in scope and rates per 100,000 doses by lot", Resp: aefiResponse{}, Fn: s.listAEFI},

		{Method: "GET", Path: "/api/v1/targets", Tag: "campaign", Summary: "Campaign targets with daily progress", Query: []param{qAsOf}, Resp: list("targets", targetProgress{}, "as_of"), Fn: s.listTargets},
		{Method: "POST", Path: "/api/v1/targets", Access: writer, Tag: "campaign", Summary: "Set a campaign target (admin)", Body: vaxtrace.Target{}, Status: http.StatusCreated, Fn: s.setTarget},
		{Method: "GET", Path: "/api/v1/coverage", Tag: "campaign", Summary: "Daily and cumulative coverage per measure", Query: []param{qRegion, {"from", "first day (YYYY-MM-DD); default to-89"}, {"to", "last day; default today"}, {"product", "product code"}, qKnownAt}, Resp: coverageResponse{}, Fn: s.coverage},
		{Method: "GET", Path: "/api/v1/coverage/demographics", Tag: "campaign", Summary: "Coverage by age band and sex", Query: []param{qRegion, qAsOf}, Resp: demographicsResponse{}, Fn: s.demographics},
		{Method: "GET", Path: "/api/v1/overview", Tag: "campaign", Summary: "The week at a glance: delivered to the regions, expected by the month's end, late, stock by level and component, second doses due, people against population and targets (rates needed and achieved), regions; from counters only", Query: []param{qAsOf, qKnownAt, {"lang", "region name language"}}, Resp: overviewResponse{}, Fn: s.overview},
		{Method: "GET", Path: "/api/v1/export/owid", Tag: "campaign", Summary: "National series as an Our World in Data CSV", Query: []param{qKnownAt, qAsOf}, Fn: s.exportOWID},
		{Method: "POST", Path: "/api/v1/tallies", Access: writer, Tag: "campaign", Summary: "Submit a daily aggregate tally from a point", Body: tallyRequest{}, Status: http.StatusCreated, Fn: s.submitTally},
		{Method: "GET", Path: "/api/v1/reports/late", Access: member, Tag: "campaign", Summary: "Late-record report: records that arrived late, by point, how late, and how each day's published figure changed since", Query: []param{qRegion, {"from", "first occurrence day; default to-29"}, {"to", "last occurrence day; default today"}}, Resp: vaxtrace.LateReport{}, Fn: s.lateReport},
		{Method: "GET", Path: "/api/v1/reports/estimate", Access: member, Tag: "campaign", Summary: "Doses given: person-level records plus the part of daily tallies they do not cover yet", Query: []param{qRegion, {"to", "last day; default today"}}, Resp: estimateResponse{}, Fn: s.estimate},
		{Method: "GET", Path: "/api/v1/tallies", Access: member, Tag: "campaign", Summary: "Tallies reconciled with person-level records", Query: []param{qRegion, {"to", "last day; default today"}}, Resp: list("tallies", vaxtrace.TallyLine{}, "to", "region"), Fn: s.listTallies},

		{Method: "GET", Path: "/api/v1/check", Access: auditors, Tag: "audit", Summary: "Stock conservation check over the whole journal", Resp: checkResponse{}, Long: true, Fn: s.check},
		{Method: "GET", Path: "/api/v1/events", Access: auditors, Tag: "audit", Summary: "The journal as JSON lines", Query: []param{{"after", "sequence number to start after"}, {"limit", "at most this many events (default 1000)"}}, Long: true, Fn: s.events},
	}, s.coldChainRoutes()...)
}
