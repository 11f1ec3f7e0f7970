package store_test

import (
	"context"
	"testing"

	"entraide/internal/store/storetest"
)

func TestOpenMigratesBothBackends(t *testing.T) {
	for _, backend := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			db := storetest.Open(t, backend)
			if got := db.Backend(); got != backend {
				t.Errorf("Backend() = %q, want %q", got, backend)
			}
			if _, _, err := db.Node(context.Background()); err == nil {
				t.Errorf("Node() on an empty database: want an error saying it is not initialised")
			}
		})
	}
}
