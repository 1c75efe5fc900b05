package monitor

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"vaxtrace"
)

// MQTT layout. A remote temperature monitoring device publishes its readings
// to
//
//	vaxtrace/v1/rtm/<device>
//
// where <device> is the id fitted to its equipment (equipment.device). The
// payload is JSON: one reading, or an array of readings (a device sending
// what it buffered while offline), oldest first:
//
//	{"t": "2021-03-20T10:00:00Z", "c": -19.5}
//	[{"t": 1616234400, "c": 4.5}, {"t": 1616235000, "c": 4.6}]
//
// t is RFC 3339 or Unix seconds; c is degrees Celsius. Publish with QoS 1:
// the subscriber keeps a persistent session, so readings sent while
// vaxtrace restarts are delivered when it is back.

// TopicPrefix is the topic level every device publishes under.
const TopicPrefix = "vaxtrace/v1/rtm/"

// TopicFilter subscribes to every device.
const TopicFilter = TopicPrefix + "+"

// Topic returns a device's topic.
func Topic(device string) string { return TopicPrefix + device }

// DeviceFromTopic returns the device of a topic ("" if it is not a device topic).
func DeviceFromTopic(topic string) string {
	d, ok := strings.CutPrefix(topic, TopicPrefix)
	if !ok || d == "" || strings.ContainsAny(d, "/+#") {
		return ""
	}
	return d
}

// MaxPayload bounds one message (a day of 1-minute readings fits easily).
const MaxPayload = 256 << 10

type wireReading struct {
	T json.RawMessage `json:"t"`
	C *float64        `json:"c"`
}

// ParsePayload decodes a message's readings.
func ParsePayload(b []byte) ([]vaxtrace.Reading, error) {
	if len(b) > MaxPayload {
		return nil, errors.New("payload larger than 256 KiB")
	}
	b = bytes.TrimSpace(b)
	var ws []wireReading
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &ws); err != nil {
			return nil, errors.New("payload is not a JSON array of readings")
		}
	default:
		var w wireReading
		if err := json.Unmarshal(b, &w); err != nil {
			return nil, errors.New("payload is not a JSON reading {\"t\":…,\"c\":…}")
		}
		ws = []wireReading{w}
	}
	out := make([]vaxtrace.Reading, 0, len(ws))
	for _, w := range ws {
		if w.C == nil || len(w.T) == 0 {
			return nil, errors.New("a reading needs t and c")
		}
		at, err := parseT(w.T)
		if err != nil {
			return nil, err
		}
		out = append(out, vaxtrace.Reading{At: at, C: *w.C})
	}
	return out, nil
}

func parseT(raw json.RawMessage) (time.Time, error) {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, errors.New("t is not a string")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("t is not RFC 3339")
		}
		return t.UTC(), nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, errors.New("t is not a time")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// HandleMessage ingests one MQTT message; it returns how many readings were
// refused (a message that cannot be read counts as one, malformed).
func (m *Monitor) HandleMessage(topic string, payload []byte) int {
	dev := DeviceFromTopic(topic)
	rs, err := ParsePayload(payload)
	if dev == "" || err != nil {
		m.Stats.Received.Add(1)
		m.Stats.refuse(vaxtrace.RefuseMalformed)
		return 1
	}
	n := 0
	for _, r := range m.Ingest(dev, rs, "mqtt") {
		if r != "" {
			n++
		}
	}
	return n
}
