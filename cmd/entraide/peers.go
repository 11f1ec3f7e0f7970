package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// maxDescriptorFile bounds a descriptor file read from disk or stdin.
const maxDescriptorFile = 1 << 20

func cmdDescriptor(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "descriptor", "[flags]   (prints this node's signed descriptor, for its peers' administrators)")
	st := addStorageFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := n.Descriptor(ctx)
	if err != nil {
		return fmt.Errorf("descriptor: %w", err)
	}
	return writeJSON(e.stdout, d)
}

func cmdPeerAdd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "peer add", "FILE [flags]   (a descriptor from entraide descriptor on the peer; - reads stdin)")
	st := addStorageFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("peer add: name one descriptor file\nnext: on the other State's node, entraide descriptor > peer.json prints it; then entraide peer add peer.json here")
	}
	in := e.stdin
	if fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("peer add: %w", err)
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, maxDescriptorFile))
	if err != nil {
		return fmt.Errorf("peer add: %w", err)
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := n.AddPeer(ctx, n.Admin(), data)
	if err != nil {
		return fmt.Errorf("peer add %s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "Added the node of %s at %s (signing key %s, valid until %s).\n", d.State, d.BaseURL, d.SigningKeys[0].ID, d.ValidUntil.Format(time.DateOnly))
	return nil
}

func cmdPeerList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "peer list", "[--json] [flags]")
	st := addStorageFlags(fs, e)
	asJSON := fs.Bool("json", false, "print the descriptors as JSON")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	peers, err := n.Peers(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(peers)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tBASE URL\tSIGNING KEYS\tVALID UNTIL\t24/7 CONTACT")
	missing := false
	for _, d := range peers {
		var ids []string
		for _, k := range d.SigningKeys {
			ids = append(ids, k.ID)
		}
		contact := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{d.Contact247.Name, d.Contact247.Phone, d.Contact247.Email}, func(s string) bool { return s == "" }), ", "))
		if contact == "" {
			contact = "- (none in its descriptor)"
			missing = true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.State, d.BaseURL, strings.Join(ids, ","), d.ValidUntil.Format(time.DateOnly), contact)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if missing {
		fmt.Fprintln(e.stdout, "\nA peer's 24/7 contact comes from its descriptor: ask its administrators for a new one (entraide descriptor), made after they recorded their profile's 24/7 contact, and add it with entraide peer add.")
	}
	return nil
}

func cmdPeerRemove(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "peer remove", "STATE [flags]")
	st := addStorageFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("peer remove: name one State, e.g. VNM")
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := n.RemovePeer(ctx, n.Admin(), strings.ToUpper(fs.Arg(0))); err != nil {
		return fmt.Errorf("peer remove: %w", err)
	}
	fmt.Fprintf(e.stdout, "Removed the node of %s; messages to it wait until it is added again.\n", strings.ToUpper(fs.Arg(0)))
	return nil
}

func cmdKeysRotate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "keys rotate", "[flags]   (new signing and encryption keys; old public keys still verify old messages)")
	st := addStorageFlags(fs, e)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := n.RotateKeys(ctx, n.Admin()); err != nil {
		return fmt.Errorf("keys rotate: %w", err)
	}
	fmt.Fprintln(e.stdout, "New keys made. Send the new descriptor (entraide descriptor) to every peer: it is signed by the old key too, so they can accept it.")
	return nil
}
