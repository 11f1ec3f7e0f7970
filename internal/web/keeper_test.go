package web

import (
	"testing"

	"entraide/internal/keeper"
	"entraide/internal/node"
)

// newKeeper is a local key keeper in a directory of the test's, as
// entraide init makes one.
func newKeeper(tb testing.TB) node.Keeper {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := keeper.Create(dir); err != nil {
		tb.Fatalf("keeper.Create: %v", err)
	}
	k, err := keeper.Open(tb.Context(), dir, "")
	if err != nil {
		tb.Fatalf("keeper.Open: %v", err)
	}
	return k
}
