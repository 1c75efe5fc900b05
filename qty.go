package vaxtrace

import "math"

// MaxQty is the largest quantity of doses the domain accepts anywhere: a
// receipt, a shipment line, a write-off, a count, a tally, a contract, a
// lot's or a place's running total. 10^12 doses is far above any real
// quantity (the world has made about 10^10 COVID-19 doses) and far below
// 2^63, so that sums and products of a few bounded quantities can be
// computed in int64 without wrapping and then checked against the bound.
const MaxQty Qty = 1_000_000_000_000

// Qty is a quantity of doses. Its arithmetic is checked: Add, Sub and Mul
// return a FieldError naming the field instead of wrapping or leaving the
// range 0..MaxQty. Payload fields stay int64 (the journal's encoding does
// not change); every stock rule converts to Qty before it computes.
type Qty int64

// Check returns a FieldError naming field unless 0 <= q <= MaxQty.
func (q Qty) Check(field string) error {
	if q < 0 {
		return FieldError(field, "must not be negative")
	}
	if q > MaxQty {
		return FieldError(field, "%d is more than the largest quantity accepted (%d doses)", int64(q), int64(MaxQty))
	}
	return nil
}

// CheckPositive returns a FieldError naming field unless 0 < q <= MaxQty.
func (q Qty) CheckPositive(field string) error {
	if q <= 0 {
		return FieldError(field, "must be positive")
	}
	return q.Check(field)
}

// Add returns q+r, or a FieldError naming field when an operand or the sum
// lies outside 0..MaxQty.
func (q Qty) Add(field string, r Qty) (Qty, error) {
	if err := q.Check(field); err != nil {
		return 0, err
	}
	if err := r.Check(field); err != nil {
		return 0, err
	}
	s := q + r // both at most 10^12: cannot wrap
	if s > MaxQty {
		return 0, FieldError(field, "the total %d is more than the largest quantity accepted (%d doses)", int64(s), int64(MaxQty))
	}
	return s, nil
}

// Sub returns q-r, or a FieldError naming field when an operand lies
// outside 0..MaxQty or r exceeds q.
func (q Qty) Sub(field string, r Qty) (Qty, error) {
	if err := q.Check(field); err != nil {
		return 0, err
	}
	if err := r.Check(field); err != nil {
		return 0, err
	}
	if r > q {
		return 0, FieldError(field, "cannot take %d from %d", int64(r), int64(q))
	}
	return q - r, nil
}

// Mul returns q*n, or a FieldError naming field when q or n is negative or
// the product exceeds MaxQty.
func (q Qty) Mul(field string, n int64) (Qty, error) {
	if err := q.Check(field); err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, FieldError(field, "must not be negative")
	}
	if n != 0 && int64(q) > math.MaxInt64/n || n != 0 && q*Qty(n) > MaxQty {
		return 0, FieldError(field, "%d × %d is more than the largest quantity accepted (%d doses)", int64(q), n, int64(MaxQty))
	}
	return q * Qty(n), nil
}

// SumQty adds quantities with Add, naming field on the first failure.
func SumQty(field string, qs ...int64) (Qty, error) {
	var s Qty
	for _, q := range qs {
		var err error
		if s, err = s.Add(field, Qty(q)); err != nil {
			return 0, err
		}
	}
	return s, nil
}
