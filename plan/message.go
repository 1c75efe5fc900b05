package plan

import (
	"fmt"
	"strings"
)

// Message is one sentence of an explanation: its English text, and the
// template and parameters it was made from, so that a client can show it
// in another language (the dashboard keeps a translation of every
// template; a test fails when one is missing).
type Message struct {
	Text     string `json:"text"`
	Template string `json:"template"`
	Params   []any  `json:"params,omitempty"`
}

// N is a count in a message: English text shows it with thousands
// separators, the parameter stays a number.
type N int

// String formats n with thousands separators.
func (n N) String() string { return thousands(int(n)) }

// Explain builds a Message from a fmt template. Counts given as N are
// written 1,234 in the text and kept as numbers in Params; days as
// YYYY-MM-DD.
func Explain(format string, args ...any) Message {
	m := Message{Text: fmt.Sprintf(format, args...), Template: format}
	for _, a := range args {
		switch v := a.(type) {
		case N:
			m.Params = append(m.Params, int(v))
		case string, int, int64, float64, bool:
			m.Params = append(m.Params, v)
		default:
			m.Params = append(m.Params, fmt.Sprint(v))
		}
	}
	return m
}

// JoinText joins the English text of messages with sep.
func JoinText(ms []Message, sep string) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Text
	}
	return strings.Join(parts, sep)
}
