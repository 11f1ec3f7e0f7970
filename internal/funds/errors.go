package funds

import "errors"

// Errors a caller tells apart.
var (
	ErrUnknownTransfer = errors.New("no such transfer")
	ErrNoRate          = errors.New("no exchange rate")
)
