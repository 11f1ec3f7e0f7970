package localnet

import "net/http"

// Server returns the HTTP server of nd, for tests of its settings.
func (nd *Node) Server() *http.Server { return nd.server }
