package web

import (
	"crypto/tls"
	"log"
	"net/http"
	"time"
)

// The timeouts of every server a node runs, `serve` and the sandbox's
// alike. A client that trickles its headers or body is cut off instead of
// holding a connection for ever. The alert stream, open for hours by
// design, sets a write deadline of its own for each event.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// HTTPServer returns the http.Server that serves h, with the node's
// timeouts. With a TLS configuration, serve it with ServeTLS(ln, "", ""):
// it offers HTTP/2 and HTTP/1.1 by ALPN. errorLog takes the server's own
// complaints (TLS handshakes that fail, for one); nil is the standard
// logger.
func HTTPServer(h http.Handler, tlsConfig *tls.Config, errorLog *log.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
	}
	if tlsConfig != nil {
		cfg := tlsConfig.Clone()
		if len(cfg.NextProtos) == 0 {
			cfg.NextProtos = []string{"h2", "http/1.1"}
		}
		srv.TLSConfig = cfg
	}
	return srv
}
