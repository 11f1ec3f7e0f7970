package keeper_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"entraide/internal/keeper"
)

func TestCreateKeepsAnExistingFile(t *testing.T) {
	dir := t.TempDir()
	if created, err := keeper.Create(dir); err != nil || !created {
		t.Fatalf("Create in an empty directory = %v, %v; want a new file", created, err)
	}
	first, err := os.ReadFile(keeper.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if created, err := keeper.Create(dir); err != nil || created {
		t.Fatalf("Create again = %v, %v; want the file kept", created, err)
	}
	again, err := os.ReadFile(keeper.Path(dir))
	if err != nil || !bytes.Equal(first, again) {
		t.Errorf("the keeper file changed on a second Create")
	}

	k, err := keeper.Open(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := k.Encrypt(t.Context(), []byte("a private key"))
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if _, err := keeper.Create(other); err != nil {
		t.Fatal(err)
	}
	k2, err := keeper.Open(t.Context(), other, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Decrypt(t.Context(), wrapped); err == nil {
		t.Errorf("another keeper file unwrapped the key")
	}
	if _, err := keeper.Open(t.Context(), t.TempDir(), ""); !errors.Is(err, keeper.ErrMissing) {
		t.Errorf("Open without a keeper file = %v, want ErrMissing", err)
	}
}
