package vaxtrace

import (
	"fmt"
	"reflect"
	"sort"
	"time"
)

// Plain value structs of the rooms (the catalog's products, places, lots,
// the events a room keeps as they were decided, equipment, alarms,
// policies, requisitions) are written field by field in declaration
// order by value/decodeValue, so that a field added to one of them is
// written without anyone remembering to: the snapshot field inventory test
// lists their fields in order, and a change there is a change of the
// format (bump snapshotFormat). Only exported fields of supported kinds
// are allowed: a struct with an unexported field, an interface, a channel
// or a function is a programming error and panics on first use (the
// round-trip tests catch it), never on data.
//
// Slices, maps and pointers keep nil apart from empty (the reports encode
// them as JSON null and []), map keys are written in ascending order and
// must come back strictly ascending.

var timeType = reflect.TypeFor[time.Time]()

// value writes v.
func (e *snapEncoder) value(v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		e.bool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.varint(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.uvarint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.float(v.Float())
	case reflect.String:
		e.str(v.String())
	case reflect.Array:
		for i := range v.Len() {
			e.value(v.Index(i))
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.uvarint(0)
			return
		}
		e.uvarint(1)
		e.value(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			e.uvarint(0)
			return
		}
		e.uvarint(uint64(v.Len()) + 1)
		for i := range v.Len() {
			e.value(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			e.uvarint(0)
			return
		}
		e.uvarint(uint64(v.Len()) + 1)
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
		for _, k := range keys {
			e.value(k)
			e.value(v.MapIndex(k))
		}
	case reflect.Struct:
		if v.Type() == timeType {
			e.time(v.Interface().(time.Time))
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			mustCodec(t, i)
			e.value(v.Field(i))
		}
	default:
		panic(fmt.Sprintf("snapshot: cannot encode %s", v.Type()))
	}
}

// mustCodec panics on a struct field the value codec cannot restore.
func mustCodec(t reflect.Type, i int) {
	if f := t.Field(i); !f.IsExported() {
		panic(fmt.Sprintf("snapshot: %s.%s is unexported: encode %s by hand", t, f.Name, t))
	}
}

// keyLess orders map keys of the kinds the value codec accepts.
func keyLess(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.String:
		return a.String() < b.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() < b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() < b.Uint()
	}
	panic(fmt.Sprintf("snapshot: cannot order map keys of %s", a.Type()))
}

// decodeValue reads into v (settable) what value wrote.
func (d *snapDecoder) value(v reflect.Value) {
	if d.err != nil {
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(d.bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := d.varint()
		if v.OverflowInt(n) {
			d.fail("%d does not fit %s", n, v.Type())
			return
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := d.uvarint()
		if v.OverflowUint(n) {
			d.fail("%d does not fit %s", n, v.Type())
			return
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(d.float())
	case reflect.String:
		v.SetString(d.str())
	case reflect.Array:
		for i := range v.Len() {
			d.value(v.Index(i))
		}
	case reflect.Pointer:
		switch d.uvarint() {
		case 0:
			v.SetZero()
		case 1:
			p := reflect.New(v.Type().Elem())
			d.value(p.Elem())
			v.Set(p)
		default:
			d.fail("bad pointer mark for %s", v.Type())
		}
	case reflect.Slice:
		n, ok := d.optCount()
		if !ok {
			v.SetZero()
			return
		}
		s := reflect.MakeSlice(v.Type(), 0, min(n, 1024))
		for i := 0; i < n && d.err == nil; i++ {
			s = reflect.Append(s, reflect.Zero(v.Type().Elem()))
			d.value(s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		n, ok := d.optCount()
		if !ok {
			v.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), min(n, 1024))
		var prev reflect.Value
		for i := 0; i < n && d.err == nil; i++ {
			k := reflect.New(v.Type().Key()).Elem()
			d.value(k)
			if i > 0 && !keyLess(prev, k) {
				d.fail("map keys of %s out of order", v.Type())
				return
			}
			prev = k
			x := reflect.New(v.Type().Elem()).Elem()
			d.value(x)
			m.SetMapIndex(k, x)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == timeType {
			v.Set(reflect.ValueOf(d.time()))
			return
		}
		t := v.Type()
		for i := range t.NumField() {
			mustCodec(t, i)
			d.value(v.Field(i))
		}
	default:
		panic(fmt.Sprintf("snapshot: cannot decode %s", v.Type()))
	}
}

// encodeValue writes a plain value struct (see value).
func encodeValue[T any](e *snapEncoder, x *T) { e.value(reflect.ValueOf(x).Elem()) }

// decodeValue reads a plain value struct written by encodeValue.
func decodeValue[T any](d *snapDecoder, x *T) { d.value(reflect.ValueOf(x).Elem()) }
