package web

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"entraide/internal/directory"
	"entraide/internal/store"
)

const (
	// IdempotencyTTL is how long the answer to a call made with an
	// Idempotency-Key is replayed to retries.
	IdempotencyTTL = 24 * time.Hour
	// idempotencyLease is how long a call in flight holds its key: past
	// it, the node that ran the call is taken to have stopped, and a retry
	// runs the call again.
	idempotencyLease = 2 * time.Minute
	// MaxIdempotencyKeyLength bounds an Idempotency-Key; a UUID takes 36.
	MaxIdempotencyKeyLength = 128
	// maxReplayBytes bounds an answer kept for replay; the answers of
	// POST routes are single resources, far smaller.
	maxReplayBytes = 1 << 20
	// maxIdempotentBody bounds the body read before the handler runs: the
	// largest any POST route takes.
	maxIdempotentBody = max(MaxBodyBytes, directory.MaxTreatyStatusBytes)
)

// replayedHeaders are the headers of an answer a replay gives back; the
// others are set again by the server, or depend on the moment.
var replayedHeaders = []string{"Content-Type", "Location", "ETag", "X-Content-Type-Options"}

const (
	typeKeyReused   = "urn:entraide:problem:idempotency-key-reused"
	typeKeyInFlight = "urn:entraide:problem:idempotency-key-in-flight"
	typeKeySealed   = "urn:entraide:problem:idempotency-key-other-token"
)

// parseIdempotencyKey returns the key of an Idempotency-Key header, given
// as a token or, as the IETF draft writes it, a quoted string. A key is 1
// to MaxIdempotencyKeyLength characters among letters, digits and
// - _ . : ~ + / =, enough for UUIDs and base64.
func parseIdempotencyKey(values []string) (string, error) {
	const field = "Idempotency-Key"
	if len(values) != 1 {
		return "", badRequest(field, "send one Idempotency-Key header, not %d", len(values))
	}
	key := values[0]
	if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
		key = key[1 : len(key)-1]
	}
	if key == "" || len(key) > MaxIdempotencyKeyLength {
		return "", badRequest(field, "an Idempotency-Key has 1 to %d characters; a new UUID for each operation is best", MaxIdempotencyKeyLength)
	}
	for i := range len(key) {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:~+/=", c) >= 0) {
			return "", badRequest(field, "an Idempotency-Key has only letters, digits and - _ . : ~ + / = (found %q at %d); a new UUID for each operation is best", rune(c), i)
		}
	}
	return key, nil
}

// idempotent makes a POST route safe to retry. A call with an
// Idempotency-Key header runs once: a retry with the same key and body,
// by the same official on the same path, within IdempotencyTTL, gets the
// first answer again (status, body, and the headers that matter, with
// Idempotent-Replayed: true), and the effect is not repeated. The same
// key with another body is a 422; a retry while the first call is still
// running is a 409. A call that ends in a server error frees its key, so
// that a retry runs again; so does a public call that does not succeed,
// so that strangers cannot fill the table. A call without the header
// runs as usual.
//
// The answers are kept in the database, sealed with a key derived from
// the caller's API token, which the database does not hold: an answer
// may carry case data, or a new token.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Idempotency-Key")
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		key, err := parseIdempotencyKey(values)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxIdempotentBody+1))
		if err != nil {
			writeError(w, r, s.log, jsonError(err, nil))
			return
		}
		if len(body) > maxIdempotentBody {
			// Too large for any route: the handler refuses it, and a
			// refusal needs no replay.
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			next.ServeHTTP(w, r)
			return
		}
		hash := sha256.Sum256(body)
		by := actorFrom(r.Context())
		k := store.IdempotencyKey{State: by.State, User: by.ID, Method: r.Method, Path: r.URL.Path, Key: key}
		secret, _ := bearerToken(r.Header.Get("Authorization"))
		public := by.ID == ""
		if public {
			// A public call (redeeming an enrolment code): the body holds
			// the credential, so it names the caller and seals the
			// answer. Another body is another caller, not a 422. Anyone
			// may make one: an address past its budget of wrong codes
			// writes nothing, and only a redeemed code's answer is kept.
			if s.guessesBlocked(w, clientAddress(r), time.Now(), "code") {
				return
			}
			k.User = "body:" + hex.EncodeToString(hash[:])
			secret = string(body)
		}
		seal := newAnswerSeal(secret, k)
		now := s.node.Now()
		claim, live, err := s.node.DB().ClaimIdempotencyKey(r.Context(), k, hash[:], now, now.Add(-IdempotencyTTL), now.Add(-idempotencyLease))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if live != nil {
			s.replay(w, live, hash[:], seal)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		done := false
		defer func() {
			// Also when the handler panics: the key must not stay in
			// flight until its lease ends.
			ctx := context.WithoutCancel(r.Context())
			if !done || rec.status >= 500 || rec.status == 0 || rec.overflow || public && rec.status >= 300 {
				if err := s.node.DB().ReleaseIdempotencyKey(ctx, k, claim); err != nil && !errors.Is(err, store.ErrClaimLost) {
					s.log.ErrorContext(ctx, "release idempotency key", "path", k.Path, "err", err)
				}
				return
			}
			sealed, err := seal.seal(rec.status, w.Header(), rec.body.Bytes())
			if err == nil {
				err = s.node.DB().CompleteIdempotentCall(ctx, k, claim, rec.status, sealed)
			}
			if err != nil {
				s.log.ErrorContext(ctx, "keep the answer of an idempotent call", "path", k.Path, "err", err)
			}
		}()
		next.ServeHTTP(rec, r)
		done = true
	})
}

// replay answers a retry with the call that holds its key.
func (s *Server) replay(w http.ResponseWriter, live *store.IdempotentCall, hash []byte, seal answerSeal) {
	const field = "Idempotency-Key"
	if !bytes.Equal(live.BodyHash, hash) {
		msg := "this Idempotency-Key was used with another body at " + live.CreatedAt.Format(time.RFC3339) + "; use a new key for a new operation"
		writeProblem(w, Problem{Type: typeKeyReused, Status: http.StatusUnprocessableEntity, Title: "Idempotency-Key reused with another body",
			Detail: msg, Errors: []FieldError{{Field: field, Message: msg}}})
		return
	}
	if live.Status == 0 {
		w.Header().Set("Retry-After", "1")
		msg := "the first call with this Idempotency-Key is still running; retry shortly with the same key"
		writeProblem(w, Problem{Type: typeKeyInFlight, Status: http.StatusConflict, Title: "Idempotency-Key in use",
			Detail: msg, Errors: []FieldError{{Field: field, Message: msg}}})
		return
	}
	ans, err := seal.open(live.Status, live.Response)
	if err != nil {
		msg := "the first call with this Idempotency-Key was made with another of your API tokens, and only that token reads its answer; see the resource with a GET, or use a new key"
		writeProblem(w, Problem{Type: typeKeySealed, Status: http.StatusConflict, Title: "Idempotency-Key answer sealed for another token",
			Detail: msg, Errors: []FieldError{{Field: field, Message: msg}}})
		return
	}
	for _, name := range replayedHeaders {
		if v := ans.Header.Get(name); v != "" {
			w.Header().Set(name, v)
		}
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(live.Status)
	w.Write(ans.Body)
}

// answerSeal seals the answers to one key's calls, with AES-256-GCM
// under a key derived from the caller's API token. The store holds only
// the token's digest, so a copy of the database alone reads no answer.
type answerSeal struct {
	token string
	scope string // the key, bound to the sealed answer
}

func newAnswerSeal(token string, k store.IdempotencyKey) answerSeal {
	return answerSeal{token: token, scope: strings.Join([]string{k.State, k.User, k.Method, k.Path, k.Key}, "\x00")}
}

func (s answerSeal) aead() (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, []byte(s.token), nil, "entraide idempotency v1\x00"+s.scope, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealedAnswer is what a sealed answer holds.
type sealedAnswer struct {
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// seal seals an answer of status, keeping the replayed headers only.
func (s answerSeal) seal(status int, header http.Header, body []byte) ([]byte, error) {
	a, err := s.aead()
	if err != nil {
		return nil, err
	}
	kept := http.Header{}
	for _, name := range replayedHeaders {
		if v := header.Get(name); v != "" {
			kept.Set(name, v)
		}
	}
	plain, err := json.Marshal(sealedAnswer{Header: kept, Body: body})
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, plain, s.additional(status)), nil
}

// open reads an answer of status sealed with the same token for the same
// key; it fails for any other.
func (s answerSeal) open(status int, sealed []byte) (sealedAnswer, error) {
	var ans sealedAnswer
	a, err := s.aead()
	if err != nil {
		return ans, err
	}
	if len(sealed) < a.NonceSize() {
		return ans, errors.New("sealed answer too short")
	}
	plain, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], s.additional(status))
	if err != nil {
		return ans, err
	}
	err = json.Unmarshal(plain, &ans)
	return ans, err
}

func (s answerSeal) additional(status int) []byte {
	return []byte(s.scope + "\x00" + strconv.Itoa(status))
}

// recorder passes an answer through while keeping a copy of it.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.body.Len()+len(p) > maxReplayBytes {
		rec.overflow = true
	} else if !rec.overflow {
		rec.body.Write(p)
	}
	return rec.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the writer underneath.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
