package dhis2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vaxtrace"
)

// ImportCount is DHIS2's importCount.
type ImportCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// Conflict is one entry of DHIS2's conflicts: object and value in every
// version; errorCode, property, objects and indexes from 2.38 on.
type Conflict struct {
	Object    string            `json:"object"`
	Objects   map[string]string `json:"objects,omitempty"`
	Value     string            `json:"value"`
	ErrorCode string            `json:"errorCode,omitempty"`
	Property  string            `json:"property,omitempty"`
	Indexes   []int             `json:"indexes,omitempty"`
}

// ImportSummary is DHIS2's answer to a dataValueSets import.
type ImportSummary struct {
	ResponseType    string          `json:"responseType,omitempty"`
	Status          string          `json:"status"` // SUCCESS, WARNING or ERROR
	Description     string          `json:"description,omitempty"`
	ImportCount     ImportCount     `json:"importCount"`
	Conflicts       []Conflict      `json:"conflicts,omitempty"`
	RejectedIndexes []int           `json:"rejectedIndexes,omitempty"`
	DataSetComplete json.RawMessage `json:"dataSetComplete,omitempty"` // "false" or a date
}

// webMessage is how DHIS2 2.36+ wraps the summary.
type webMessage struct {
	HTTPStatus     string          `json:"httpStatus"`
	HTTPStatusCode int             `json:"httpStatusCode"`
	Status         string          `json:"status"`
	Message        string          `json:"message"`
	Response       json.RawMessage `json:"response"`
}

// PushResult is what a push did: the summaries of its requests added up.
type PushResult struct {
	Requests int           `json:"requests"`
	Values   int           `json:"values"`
	Status   string        `json:"status"` // SUCCESS, WARNING (conflicts), ERROR, or INCOMPLETE when a request failed
	Count    ImportCount   `json:"importCount"`
	Messages []string      `json:"messages,omitempty"`
	Conflict []Conflict    `json:"conflicts,omitempty"`
	Periods  string        `json:"periods"`
	Took     time.Duration `json:"-"`
}

// ParseSummary reads DHIS2's answer to POST /api/dataValueSets: a bare
// ImportSummary (before 2.36) or a WebMessage whose response is one, with
// HTTP 200, or 409 when the import had conflicts or failed. Any other
// status, or a body that is neither, is an error naming the status.
func ParseSummary(status int, body []byte) (ImportSummary, error) {
	var s ImportSummary
	if status != http.StatusOK && status != http.StatusConflict && status != http.StatusCreated {
		return s, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2 answered HTTP %d: %s", status, snippet(body))
	}
	var wm webMessage
	if err := json.Unmarshal(body, &wm); err != nil {
		return s, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2 answered HTTP %d with a body that is not an import summary: %s", status, snippet(body))
	}
	raw := body
	wrapped := wm.HTTPStatus != "" || wm.HTTPStatusCode != 0
	switch {
	case len(wm.Response) > 0 && string(wm.Response) != "null":
		raw = wm.Response
	case wrapped:
		msg := wm.Message
		if msg == "" {
			msg = snippet(body)
		}
		return s, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2 answered HTTP %d without an import summary: %s", status, msg)
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.Status == "" {
		msg := wm.Message
		if msg == "" {
			msg = snippet(body)
		}
		return s, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2 answered HTTP %d without an import summary: %s", status, msg)
	}
	if len(s.Conflicts) > 0 && s.Status == "SUCCESS" {
		s.Status = "WARNING"
	}
	if s.Description == "" {
		s.Description = wm.Message
	}
	return s, nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// Client pushes data values to a DHIS2 server.
type Client struct {
	// BaseURL is the DHIS2 instance, e.g. https://dhis2.example.org (the
	// API is BaseURL + "/api/dataValueSets").
	BaseURL string
	// Token is a DHIS2 personal access token (Authorization: ApiToken);
	// otherwise Username and Password are sent as HTTP Basic.
	Token, Username, Password string
	// HTTP is the client (default: 60 s timeout).
	HTTP *http.Client
	// BatchSize is the number of values per request (default 20,000).
	BatchSize int
}

// Push sends the values in batches and adds up DHIS2's import summaries.
// DHIS2 updates existing values in place, so pushing the same periods
// again, or again after a failure, never duplicates anything. A request
// that fails (no answer, a timeout, an error status) stops the push and
// returns what was done so far with the error; push again to complete.
func (c *Client) Push(ctx context.Context, r *Result) (PushResult, error) {
	start := time.Now()
	out := PushResult{Status: "SUCCESS", Periods: fmt.Sprintf("%s %s..%s", r.Periods.Type, r.Periods.From, r.Periods.To)}
	if c.BaseURL == "" {
		return out, vaxtrace.FieldError("url", "the DHIS2 server URL is required")
	}
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + "/api/dataValueSets")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return out, vaxtrace.FieldError("url", "%q is not an http(s) URL", c.BaseURL)
	}
	q := u.Query()
	q.Set("importStrategy", "CREATE_AND_UPDATE")
	u.RawQuery = q.Encode()
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	size := c.BatchSize
	if size <= 0 {
		size = 20000
	}
	var buf bytes.Buffer
	if len(r.Values) == 0 {
		out.Messages = append(out.Messages, "no values to send for these periods")
	}
	for lo := 0; lo < len(r.Values); lo += size {
		hi := min(lo+size, len(r.Values))
		buf.Reset()
		if err := EncodeJSON(&buf, r, r.Values[lo:hi]); err != nil {
			return out, err
		}
		s, err := c.post(ctx, hc, u.String(), buf.Bytes())
		out.Requests++
		if err != nil {
			out.Took = time.Since(start)
			out.Status = "INCOMPLETE"
			return out, err
		}
		out.Values += hi - lo
		out.Count.Imported += s.ImportCount.Imported
		out.Count.Updated += s.ImportCount.Updated
		out.Count.Ignored += s.ImportCount.Ignored
		out.Count.Deleted += s.ImportCount.Deleted
		for _, cf := range s.Conflicts {
			for k := range cf.Indexes {
				cf.Indexes[k] += lo // indexes into the whole push
			}
			out.Conflict = append(out.Conflict, cf)
		}
		if s.Description != "" {
			out.Messages = append(out.Messages, s.Description)
		}
		switch {
		case s.Status == "ERROR":
			out.Status = "ERROR"
		case s.Status == "WARNING" && out.Status == "SUCCESS":
			out.Status = "WARNING"
		}
	}
	out.Took = time.Since(start)
	return out, nil
}

func (c *Client) post(ctx context.Context, hc *http.Client, target string, body []byte) (ImportSummary, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return ImportSummary{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "ApiToken "+c.Token)
	case c.Username != "":
		req.SetBasicAuth(c.Username, c.Password)
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return ImportSummary{}, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2 did not answer in time; the push can be repeated safely (values are updated in place)")
		}
		return ImportSummary{}, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2 could not be reached (%v); the push can be repeated safely", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return ImportSummary{}, vaxtrace.Errorf(vaxtrace.EUNAVAILABLE, "DHIS2's answer was cut off (%v); the push can be repeated safely", err)
	}
	return ParseSummary(resp.StatusCode, b)
}
