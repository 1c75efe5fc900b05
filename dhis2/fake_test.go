package dhis2

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// fakeDHIS2 answers POST /api/dataValueSets as DHIS2 documents it: values
// are stored by (data element, period, org unit, category option combo,
// attribute option combo); a new value counts as imported, an existing one
// as updated (in place, never twice), a value for an org unit or data
// element it does not know is ignored with a conflict; zeros of data
// elements where zero is not significant are ignored. It answers with the
// WebMessage of 2.38+ (HTTP 409 and status WARNING when there are
// conflicts) or, with legacy set, the bare ImportSummary of older versions.
type fakeDHIS2 struct {
	mu           sync.Mutex
	orgUnits     map[string]bool
	dataElements map[string]bool
	zeroIgnored  map[string]bool // data elements where zero is not significant
	store        map[[5]string]string
	legacy       bool
	mode         string        // "", "error500", "unauthorized", "slow", "hangup"
	delay        time.Duration // for "slow"
	requests     int
	auth         string
}

func newFakeDHIS2(orgUnits, dataElements []string) *fakeDHIS2 {
	f := &fakeDHIS2{orgUnits: map[string]bool{}, dataElements: map[string]bool{}, zeroIgnored: map[string]bool{}, store: map[[5]string]string{}}
	for _, o := range orgUnits {
		f.orgUnits[o] = true
	}
	for _, d := range dataElements {
		f.dataElements[d] = true
	}
	return f
}

func (f *fakeDHIS2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	mode, delay := f.mode, f.delay
	f.auth = r.Header.Get("Authorization")
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/api/dataValueSets" {
		http.NotFound(w, r)
		return
	}
	switch mode {
	case "error500":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<html><body><h1>HTTP Status 500 – Internal Server Error</h1></body></html>")
		return
	case "unauthorized":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}`)
		return
	case "slow":
		time.Sleep(delay)
	case "hangup":
		hj, ok := w.(http.Hijacker)
		if ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
		}
		return
	}
	var set DataValueSet
	if err := json.NewDecoder(r.Body).Decode(&set); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"httpStatus":"Bad Request","httpStatusCode":400,"status":"ERROR","message":%q}`, err.Error())
		return
	}
	var sum ImportSummary
	sum.ResponseType = "ImportSummary"
	f.mu.Lock()
	for i, v := range set.DataValues {
		switch {
		case !f.orgUnits[v.OrgUnit]:
			sum.ImportCount.Ignored++
			sum.Conflicts = append(sum.Conflicts, Conflict{Object: v.OrgUnit, Value: "Org unit not found or not accessible", ErrorCode: "E7612", Property: "orgUnit", Objects: map[string]string{"organisationUnit": v.OrgUnit}, Indexes: []int{i}})
			sum.RejectedIndexes = append(sum.RejectedIndexes, i)
			continue
		case !f.dataElements[v.DataElement]:
			sum.ImportCount.Ignored++
			sum.Conflicts = append(sum.Conflicts, Conflict{Object: v.DataElement, Value: "Data element not found or not accessible", ErrorCode: "E7610", Property: "dataElement", Indexes: []int{i}})
			sum.RejectedIndexes = append(sum.RejectedIndexes, i)
			continue
		}
		k := [5]string{v.DataElement, v.Period, v.OrgUnit, v.CategoryOptionCombo, v.AttributeOptionCombo}
		old, exists := f.store[k]
		if v.Value == "0" && f.zeroIgnored[v.DataElement] {
			sum.ImportCount.Ignored++
			continue
		}
		f.store[k] = v.Value
		if exists {
			_ = old
			sum.ImportCount.Updated++
		} else {
			sum.ImportCount.Imported++
		}
	}
	legacy := f.legacy
	f.mu.Unlock()
	sum.Status = "SUCCESS"
	sum.Description = "Import process completed successfully"
	status := http.StatusOK
	if len(sum.Conflicts) > 0 {
		sum.Status = "WARNING"
		sum.Description = "Import process completed with conflicts"
		if !legacy {
			status = http.StatusConflict
		}
	}
	sum.DataSetComplete = json.RawMessage(`"false"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if legacy {
		_ = json.NewEncoder(w).Encode(sum)
		return
	}
	msg := map[string]any{"httpStatus": http.StatusText(status), "httpStatusCode": status, "status": map[bool]string{true: "OK", false: "WARNING"}[status == 200],
		"message": map[bool]string{true: "Import was successful.", false: "One more conflicts encountered, please check import summary."}[status == 200], "response": sum}
	_ = json.NewEncoder(w).Encode(msg)
}

func (f *fakeDHIS2) value(de, pe, ou, coc string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.store[[5]string{de, pe, ou, coc, ""}]
	return v, ok
}

func (f *fakeDHIS2) size() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.store)
}
