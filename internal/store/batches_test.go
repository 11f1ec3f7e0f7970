package store

import "testing"

// TestBatches: every row is in one batch, in order, and the batches
// have few sizes, each a power of two up to rowsPerInsert.
func TestBatches(t *testing.T) {
	sizes := map[int]bool{}
	for n := range 3*rowsPerInsert + 2 {
		next := 0
		for lo, hi := range batches(n) {
			if lo != next || hi <= lo || hi > n {
				t.Fatalf("batches(%d): [%d, %d) after %d", n, lo, hi, next)
			}
			if size := hi - lo; size&(size-1) != 0 || size > rowsPerInsert {
				t.Fatalf("batches(%d): a batch of %d rows, want a power of two up to %d", n, size, rowsPerInsert)
			}
			sizes[hi-lo] = true
			next = hi
		}
		if next != n {
			t.Fatalf("batches(%d) covers %d rows", n, next)
		}
	}
	if len(sizes) > 9 {
		t.Errorf("%d sizes of batch, want at most 9", len(sizes))
	}
}
