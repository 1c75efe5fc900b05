package vaxtrace

import (
	"sync"
	"sync/atomic"
)

// Person records hold their few-valued strings (sex, region, priority
// group, language) as 4-byte codes into a process-wide table of such
// strings instead of 16-byte string headers. The table only grows (it holds
// the distinct values ever seen: a handful of each), is shared by every
// State of the process, and is read without a lock.

type symbol uint32

var symbols struct {
	mu    sync.Mutex // serialises additions
	codes map[string]symbol
	list  atomic.Pointer[[]string] // copy on write; code 0 is ""
}

func init() {
	l := []string{""}
	symbols.list.Store(&l)
	symbols.codes = map[string]symbol{"": 0}
}

// String returns the text of the code.
func (c symbol) String() string { return (*symbols.list.Load())[c] }

// symbolOf returns the code of v, adding it to the table if it is new.
func symbolOf(v string) symbol {
	if v == "" {
		return 0
	}
	symbols.mu.Lock()
	defer symbols.mu.Unlock()
	if c, ok := symbols.codes[v]; ok {
		return c
	}
	list := *symbols.list.Load()
	c := symbol(len(list))
	next := append(append(make([]string, 0, len(list)+1), list...), v)
	symbols.list.Store(&next)
	symbols.codes[v] = c
	return c
}
