//go:build !linux

package evidence

import (
	"errors"
	"os"
)

// startWriteback does nothing where the system cannot start writeback
// early: the final sync does all the work.
func startWriteback(*os.File, int64, int64) {}

// setDirect is refused where direct I/O is not switched this way: the
// file stays buffered.
func setDirect(*os.File, bool) error { return errors.ErrUnsupported }
