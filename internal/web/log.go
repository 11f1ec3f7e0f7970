package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"entraide/internal/node"
	"entraide/internal/tlog"
)

// The log's routes are public: the log holds hashes and record ids, no
// case contents (see internal/tlog), and peers, witnesses and courts read
// it without an account on the node. The tiles follow C2SP tlog-tiles,
// so that standard clients read them.

func (s *Server) logCheckpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cp, err := s.node.LogCheckpoint(r.Context())
		if errors.Is(err, node.ErrNoCheckpoint) {
			writeProblem(w, Problem{Type: typeNotFound, Status: http.StatusNotFound, Detail: err.Error(), Errors: []FieldError{{Field: "path", Message: err.Error()}}})
			return
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(cp)
	})
}

func (s *Server) logTile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := tlog.ParseTilePath("tile/" + r.PathValue("path"))
		if err != nil {
			msg := err.Error() + "; see C2SP tlog-tiles for the form of a tile's path"
			writeProblem(w, Problem{Type: typeNotFound, Status: http.StatusNotFound, Detail: msg, Errors: []FieldError{{Field: "path", Message: msg}}})
			return
		}
		data, err := s.node.LogTile(r.Context(), t)
		if errors.Is(err, tlog.ErrNoTile) {
			msg := "the log does not hold this tile yet: read /log/checkpoint for the tree's size, and ask for the partial tile of that size (.p/<width>)"
			writeProblem(w, Problem{Type: typeNotFound, Status: http.StatusNotFound, Detail: msg, Errors: []FieldError{{Field: "path", Message: msg}}})
			return
		}
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if t.W == tlog.TileWidth {
			// A full tile never changes.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=60")
		}
		w.Write(data)
	})
}

func (s *Server) logKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := s.node.LogKey(r.Context())
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, k)
	})
}

// int64Param reads the query parameter name, a whole number from min,
// or def if absent.
func int64Param(r *http.Request, name string, min, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min {
		return 0, badRequest(name, "%s is a whole number from %d", name, min)
	}
	return n, nil
}

// requiredInt64 is int64Param for a parameter that must be given; hint
// says what it is.
func requiredInt64(r *http.Request, name string, min int64, hint string) (int64, error) {
	if r.URL.Query().Get(name) == "" {
		return 0, badRequest(name, "%s is required: %s", name, hint)
	}
	return int64Param(r, name, min, 0)
}

func proofError(err error) error {
	if pe := (*node.ProofError)(nil); errors.As(err, &pe) {
		return badRequest(pe.Field, "%s", pe.Msg)
	}
	return err
}

func (s *Server) logInclusion() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		index, err := requiredInt64(r, "index", 0, "the leaf index, which GET /api/v1/audit gives each record as leaf_index")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		size, err := int64Param(r, "size", 1, 0)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		p, err := s.node.InclusionProof(r.Context(), index, size)
		if err != nil {
			writeError(w, r, s.log, proofError(err))
			return
		}
		encode(w, http.StatusOK, p)
	})
}

func (s *Server) logConsistency() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		old, err := requiredInt64(r, "old", 1, "the size of the checkpoint you hold")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		size, err := int64Param(r, "size", 1, 0)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		p, err := s.node.ConsistencyProof(r.Context(), old, size)
		if err != nil {
			writeError(w, r, s.log, proofError(err))
			return
		}
		encode(w, http.StatusOK, p)
	})
}

// addCheckpoint is the node's witness, in the C2SP tlog-witness protocol:
// the answer is the witness's cosignature lines, or a status the
// protocol gives meaning to (409 with the witness's size in
// text/x.tlog.size, 422 for a checkpoint that does not extend the last
// one it cosigned).
func (s *Server) addCheckpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, tlog.MaxAddCheckpointSize+1))
		if err != nil {
			writeError(w, r, s.log, badRequest("body", "the body could not be read: %v", err))
			return
		}
		lines, err := s.node.AddCheckpoint(r.Context(), body)
		var we *tlog.WitnessError
		switch {
		case errors.As(err, &we) && we.Status == http.StatusConflict:
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, "%d\n", we.Size)
		case errors.As(err, &we):
			writeProblem(w, Problem{Type: witnessProblem(we.Status), Status: we.Status, Detail: we.Msg, Errors: []FieldError{{Field: "body", Message: we.Msg}}})
		case err != nil:
			writeError(w, r, s.log, err)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(lines)
		}
	})
}

func witnessProblem(status int) string {
	switch status {
	case http.StatusNotFound:
		return typeNotFound
	case http.StatusForbidden:
		return typeForbidden
	case http.StatusUnprocessableEntity:
		return typeConflict
	}
	return typeInvalidBody
}
