package vaxtrace

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
)

// Registry records (people, doses) are written in blocks that decode
// independently of each other, so that loading a snapshot uses every
// core. A block holds the records of one slab chunk (chunkSize of them,
// the last one fewer) and is written as a length-prefixed byte string by
// an encoder of its own: its own string table (a repeated string is
// written in full once per block, a few hundred bytes in a block of
// 16,384 records), time deltas from zero at the block's start. The
// decoder reads a block's bytes (checking the payload's checksum as it
// goes, see snapshot.LoadFile), hands them to one of GOMAXPROCS workers
// with the chunk the records go into, and reads the next block while the
// workers decode. People are decoded by one worker (their text goes into
// the table's arena, which takes one writer), doses by all. The record fields inside a block are those of the
// sequential encoding (encodeDose, the person record's list).
//
// Every check of the sequential decoder holds inside a block, and a block
// must decode exactly its records with exactly its bytes. The first
// failure, by block order, is the error; no block after it is read, and
// no worker outlives the call. A slab chunk is allocated only once its
// block's bytes have been read, so a corrupt count costs no more memory
// than the input really holds.

// encodeBlocks writes records [0, n) as blocks of chunkSize, block(be,
// from, to) writing records [from, to) with a fresh encoder.
func encodeBlocks(e *snapEncoder, n int, block func(be *snapEncoder, from, to int)) {
	var out bytes.Buffer
	be := newSnapEncoder(&out)
	batches(n, func(from, to int) {
		if e.err != nil {
			return
		}
		out.Reset()
		be.buf, be.err = be.buf[:0], nil
		clear(be.strs)
		block(be, from, to)
		if err := be.flush(); err != nil {
			e.fail("%w", err)
			return
		}
		e.bytes(out.Bytes())
	})
}

// blockJob is one block handed to a worker.
type blockJob[T any] struct {
	k     int    // block number
	from  int    // its first record's position
	data  []byte // its bytes
	chunk []T    // where its records go (chunk k of the slab)
}

// blockWorkers is how many goroutines decode blocks.
func blockWorkers(blocks int) int { return max(1, min(runtime.GOMAXPROCS(0), blocks)) }

// decodeBlocks reads the blocks of n records that encodeBlocks wrote into
// slab sl (empty) and decodes them on a pool of workers (at most
// maxWorkers; 0: GOMAXPROCS) with decode(bd,
// chunk, from, to): bd reads the block's bytes, chunk[0:to-from] receives
// records [from, to). The slab holds n records when d has no error.
func decodeBlocks[T any](d *snapDecoder, sl *slab[T], n int, what string, maxWorkers int, decode func(bd *snapDecoder, chunk []T, from, to int)) {
	if d.err != nil {
		return
	}
	blocks := (n + chunkSize - 1) / chunkSize
	preChunks(sl, n)
	workers := blockWorkers(blocks)
	if maxWorkers > 0 {
		workers = min(workers, maxWorkers)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		failed  atomic.Bool
		errAt   = blocks // the first failed block
		firstEr error
	)
	fail := func(k int, err error) {
		mu.Lock()
		if k < errAt {
			errAt, firstEr = k, err
		}
		mu.Unlock()
		failed.Store(true)
	}
	jobs := make(chan blockJob[T], workers)
	free := make(chan []byte, workers+2) // block buffers: bounds the bytes in flight
	for range workers + 2 {
		free <- nil
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if !failed.Load() {
					bd := blockDecoder(j.data)
					to := min(j.from+chunkSize, n)
					decode(bd, j.chunk, j.from, to)
					if bd.err == nil && bd.pos != bd.end {
						bd.fail("%s block %d: %d bytes left after its records", what, j.k, bd.end-bd.pos)
					}
					if bd.err != nil {
						fail(j.k, bd.err)
					}
				}
				free <- j.data[:0]
			}
		}()
	}
	for k := 0; k < blocks && d.err == nil && !failed.Load(); k++ {
		buf := d.block(<-free)
		if d.err != nil {
			break
		}
		// every record takes a byte at least: the chunk is not allocated
		// for a block too short to fill it
		if records := min(n-k*chunkSize, chunkSize); len(buf) < records {
			d.fail("%s block %d: %d bytes for %d records", what, k, len(buf), records)
			break
		}
		sl.chunks = append(sl.chunks, make([]T, chunkSize))
		jobs <- blockJob[T]{k: k, from: k * chunkSize, data: buf, chunk: sl.chunks[k]}
	}
	close(jobs)
	wg.Wait()
	if firstEr != nil {
		d.failWith(firstEr)
	}
	if d.err != nil {
		return
	}
	sl.n = n
}

// blockDecoder reads a block's bytes held in memory.
func blockDecoder(b []byte) *snapDecoder {
	return &snapDecoder{buf: b, end: len(b), eof: true}
}

// block reads a byte string written by snapEncoder.bytes into buf (grown
// as the bytes arrive, so that a corrupt length costs no more memory than
// the input holds).
func (d *snapDecoder) block(buf []byte) []byte {
	n := d.count()
	if d.err != nil {
		return buf[:0]
	}
	w := appendWriter{buf[:0]}
	d.readN(n, &w)
	return w.b
}

// appendWriter appends what is written to it to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// failWith keeps err (already marked corrupt) as the decoder's error.
func (d *snapDecoder) failWith(err error) {
	if d.err == nil {
		d.err = err
	}
	d.pos, d.end, d.eof = 0, 0, true
}

// parallel runs fn(lo, hi) on ranges that split [0, n) among the workers
// and waits for them.
func parallel(n int, fn func(lo, hi int)) {
	w := max(1, min(runtime.GOMAXPROCS(0), n))
	if w == 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := n*i/w, n*(i+1)/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
