//go:build !unix

package localnet_test

import "time"

// cpuTime reads zero where the process's own processor time is not
// read: the benchmark then reports 0 cpu-ms/req.
func cpuTime() time.Duration { return 0 }
