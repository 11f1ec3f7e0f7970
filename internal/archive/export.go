package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Source is what a node gives to export a package: the items' contents,
// and its log, which records the export and then proves every record.
type Source interface {
	Contents
	// LogExport writes the export record, whose detail holds detail (see
	// Builder.ExportDetail), and returns its canonical bytes.
	LogExport(ctx context.Context, detail map[string]string) ([]byte, error)
	// Prove returns, once the log holds every one of records (canonical
	// bytes), signed checkpoints (the latest that witnesses cosigned among
	// them, if any), for each record in order its proof under one of them,
	// and consistency proofs between them. Export fills in Log.Export.
	Prove(ctx context.Context, records [][]byte) (Log, error)
}

// Export writes the package of p to w: it fixes the manifest, has src log
// the export record that holds the manifest's hash, gathers the proofs,
// checks each one against its checkpoint before anything is written, and
// writes the archive sealed by signer, the log's key. On an error, what
// was written to w is no package and must be discarded.
func Export(ctx context.Context, w io.Writer, p Package, src Source, signer note.Signer) error {
	b, err := NewBuilder(p)
	if err != nil {
		return err
	}
	export, err := src.LogExport(ctx, b.ExportDetail())
	if err != nil {
		return fmt.Errorf("logging the export: %w", err)
	}
	records := make([][]byte, 0, len(p.Custody)+1)
	for _, c := range p.Custody {
		records = append(records, c.Canonical)
	}
	records = append(records, export)
	lg, err := src.Prove(ctx, records)
	if err != nil {
		return fmt.Errorf("proving the custody records: %w", err)
	}
	lg.Export = export
	if err := b.checkLog(lg); err != nil {
		return err
	}
	if err := checkProofs(records, lg); err != nil {
		return err
	}
	return b.Write(ctx, w, lg, src, signer)
}

// checkProofs checks each proof against its checkpoint's root as written
// (the signature is the log's own), so that a package whose proofs would
// fail in court is never written.
func checkProofs(records [][]byte, lg Log) error {
	roots := make([]cpText, len(lg.Checkpoints))
	for i, c := range lg.Checkpoints {
		text, _, ok := bytes.Cut(c, []byte("\n\n"))
		if !ok {
			return fmt.Errorf("log: checkpoint %d is not a signed note", i+1)
		}
		cp, err := parseCheckpoint(string(text) + "\n")
		if err != nil {
			return fmt.Errorf("log: checkpoint %d: %w", i+1, err)
		}
		roots[i] = cp
	}
	var errs []error
	for i, c := range lg.Consistency {
		from, to := roots[c.From], roots[c.To]
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, from.size, to.size, c.Hashes, from.root, to.root); err != nil {
			errs = append(errs, fmt.Errorf("log: consistency proof %d does not join checkpoint %d to %d: %w", i+1, c.From+1, c.To+1, err))
		}
	}
	for i, rec := range records {
		p := lg.Proofs[i]
		cp := roots[p.Checkpoint]
		if p.TreeSize != cp.size {
			errs = append(errs, fmt.Errorf("log: proof %d is for a tree of %d, its checkpoint of %d", i+1, p.TreeSize, cp.size))
			continue
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.LeafIndex, p.TreeSize, LeafHash(Entry(rec)), p.Hashes, cp.root); err != nil {
			errs = append(errs, fmt.Errorf("log: record %d is not at index %d of the checkpoint's tree: %w", i+1, p.LeafIndex, err))
		}
	}
	return errors.Join(errs...)
}
