package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"entraide/internal/web"
)

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", "[--addr HOST:PORT] [flags]")
	st := addStorageFlags(fs, e)
	addr := fs.String("addr", envOr(e, "ENTRAIDE_ADDR", "127.0.0.1:8080"), "address to listen on (env ENTRAIDE_ADDR)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	n, db, err := st.openNode(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Serving the node of %s on http://%s (%s)\n", n.Home(), ln.Addr(), db.Backend())
	return serve(ctx, ln, web.NewServer(n, slog.New(slog.NewJSONHandler(e.stderr, nil))))
}

// serve serves h on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func cmdSandbox(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "sandbox", "[--addr HOST:PORT] [--data-dir DIR]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	dir := fs.String("data-dir", "", "keep the sandbox's data here (default: a temporary directory, removed at exit)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	dataDir := *dir
	if dataDir == "" {
		tmp, err := os.MkdirTemp("", "entraide-sandbox-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dataDir = tmp
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: %w (choose another with --addr 127.0.0.1:0)", err)
	}
	sb, err := startSandbox(ctx, dataDir)
	if err != nil {
		ln.Close()
		return fmt.Errorf("sandbox: %w", err)
	}
	defer sb.db.Close()
	sb.print(e.stdout, "http://"+ln.Addr().String())
	return serve(ctx, ln, web.NewServer(sb.node, slog.New(slog.NewJSONHandler(e.stderr, nil))))
}
