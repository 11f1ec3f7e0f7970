package main

import (
	"context"
	"fmt"
	"time"
)

func cmdLogKey(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "log key", "[--json] [flags]   (the key that checks this node's audit-log checkpoints, to give a court or a peer)")
	st := addStorageFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the origin and the verifier key as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := n.LogKey(ctx)
	if err != nil {
		return fmt.Errorf("log key: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, k)
	}
	fmt.Fprintf(e.stdout, "Origin:        %s\nVerifier key:  %s\nWitness:       %s\nWitness key:   %s\n\n", k.Origin, k.VerifierKey, k.Witness, k.WitnessKey)
	fmt.Fprintln(e.stdout, "Give the verifier key to whoever checks this node's audit log: a court checking an")
	fmt.Fprintln(e.stdout, "evidence package, a peer witnessing the log. It checks the signed checkpoints the node")
	fmt.Fprintln(e.stdout, "serves at /log/checkpoint. The witness key checks this node's cosignatures of its")
	fmt.Fprintln(e.stdout, "peers' checkpoints. After entraide keys rotate, give the new ones.")
	return nil
}

func cmdLogCheckpoint(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "log checkpoint", "[flags]   (the audit log's latest signed checkpoint: origin, size, root and signature)")
	st := addStorageFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	head, err := db.LogHead(ctx)
	if err != nil {
		return fmt.Errorf("log checkpoint: %w", err)
	}
	if len(head.Checkpoint) == 0 {
		if head, err = n.IntegrateLog(ctx); err != nil {
			return fmt.Errorf("log checkpoint: %w", err)
		}
	}
	e.stdout.Write(head.Checkpoint)
	fmt.Fprintf(e.stdout, "The log held %d records when this checkpoint was signed, on %s UTC.\n", head.Size, head.SignedAt.Format(time.DateTime))
	return nil
}
