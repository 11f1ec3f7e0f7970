package node

import "runtime/debug"

// DefaultGCPercent is the garbage collector's target (GOGC) in a process
// that runs nodes. A busy node's live heap is small (tens of megabytes:
// requests in flight, buffers of connections), so that Go's default of
// 100 collects it many times a second, and the collector took a tenth of
// the CPU of two nodes exchanging requests flat out; at 200 it collects
// half as often, for a heap that peaks at three times the live one
// rather than twice.
const DefaultGCPercent = 200

// TuneGC sets the garbage collector of a process that runs nodes to
// DefaultGCPercent, unless the operator chose a value with GOGC, which
// then stays. GOMEMLIMIT, if set, still bounds the heap.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(DefaultGCPercent)
}
