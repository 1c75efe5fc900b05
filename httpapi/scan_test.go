package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"vaxtrace"
)

func TestScan(t *testing.T) {
	f := newFixture(t)
	f.must(vaxtrace.ProductDefined{Product: vaxtrace.Product{Code: "sputnik-v", Name: "Sputnik V", Components: []vaxtrace.Component{{Code: "I"}, {Code: "II"}},
		SeriesDoses: 2, IntervalDays: 21, BoosterIntervalDays: 180, Presentations: []vaxtrace.Presentation{{DosesPerVial: 5}}, StorageMinC: -20, StorageMaxC: -18,
		GTINs: []vaxtrace.TradeItem{{GTIN: "2900021001155", Component: "I", DosesPerVial: 5}, {GTIN: "02900021001254", Component: "II", DosesPerVial: 5}}}})
	cases := []struct {
		name       string
		who        string
		body       map[string]any
		status     int
		field, lot string
	}{
		{"pack of lot L1 at its point", "p1", map[string]any{"code": "]d20102900021001155172112011" + "0L1", "date": "2021-03-01", "place": "AKM-P1"}, 200, "", "L1"},
		{"in a shipment", "akm", map[string]any{"code": "(01)02900021001254(17)211201(10)L2", "date": "2021-01-28", "shipment": "S2"}, 200, "", "L2"},
		{"lot not in the shipment", "admin", map[string]any{"code": "(01)02900021001254(10)L2", "shipment": "S3", "date": "2021-01-28"}, 400, "lot", ""},
		{"shipment outside the scope", "p1", map[string]any{"code": "(01)02900021001254(10)L2", "shipment": "S4", "date": "2021-01-28"}, 404, "shipment", ""},
		{"place outside the scope", "p1", map[string]any{"code": "(01)02900021001254(10)L2", "place": "AKM-P2", "date": "2021-01-28"}, 403, "place", ""},
		{"expiry disagrees", "p1", map[string]any{"code": "(01)02900021001254(17)211130(10)L2", "date": "2021-03-01"}, 400, "expiry", ""},
		{"expired on the day", "p1", map[string]any{"code": "(01)02900021001254(17)211201(10)L2", "date": "2021-12-02"}, 400, "lot", ""},
		{"GTIN not in the catalog", "p1", map[string]any{"code": "(01)04601234567893(10)L2"}, 404, "gtin", ""},
		{"not GS1", "p1", map[string]any{"code": "hello"}, 400, "code", ""},
		{"public", "", map[string]any{"code": "(01)02900021001254(10)L2"}, 403, "", ""},
	}
	for _, c := range cases {
		r := f.do("POST", "/api/v1/gs1/resolve", c.who, c.body)
		if r.Status != c.status {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			continue
		}
		if c.status != http.StatusOK {
			if _, field := r.errInfo(t); field != c.field {
				t.Errorf("%s: field %q, want %q (%s)", c.name, field, c.field, r.Body)
			}
			continue
		}
		var m scanResult
		json.Unmarshal(r.Body, &m)
		if m.Lot != c.lot || m.Product != "sputnik-v" {
			t.Errorf("%s: %s", c.name, r.Body)
		}
		if c.body["place"] != nil && (m.AtPlace == nil || *m.AtPlace != 500) {
			t.Errorf("%s: at_place %v", c.name, m.AtPlace)
		}
		if c.body["shipment"] != nil && (m.InShipment == nil || *m.InShipment != 500) {
			t.Errorf("%s: in_shipment %v", c.name, m.InShipment)
		}
	}
}
