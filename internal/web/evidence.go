package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	expslog "golang.org/x/exp/slog"

	"entraide/internal/casework"
	"entraide/internal/convention"
	"entraide/internal/evidence"
	"entraide/internal/node"
	"entraide/internal/store"
)

// uploadsPath is where an item's upload lives, for the tus protocol: the
// Location of POST /api/v1/requests/{id}/uploads.
const uploadsPath = "/api/v1/uploads/"

// tusNetworkTimeout is how long an upload's body may stall before the
// node stops waiting and keeps what it received.
const tusNetworkTimeout = 60 * time.Second

type uploadKey int

const (
	uploadRequest uploadKey = iota // the request an upload is created for
	uploadSpec                     // what the official declared
	uploadFailure                  // *error: the node's refusal, to answer it as a problem
)

// newTus returns the tus protocol handler (tus.io, v1.0.0: creation,
// creation-with-upload) whose uploads are stored by the node's vault.
func newTus(n *node.Node) *tusd.UnroutedHandler {
	composer := tusd.NewStoreComposer()
	composer.UseCore(tusStore{node: n})
	memorylocker.New().UseIn(composer)
	h, err := tusd.NewUnroutedHandler(tusd.Config{
		BasePath: uploadsPath, StoreComposer: composer,
		DisableDownload: true, DisableTermination: true, DisableConcatenation: true,
		// Officials' tools speak to the API with a token, and the UI's
		// pages from the node's own origin: never a browser from another.
		Cors:           &tusd.CorsConfig{Disable: true},
		NetworkTimeout: tusNetworkTimeout,
		Logger:         expslog.New(expslog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err) // the configuration above is valid
	}
	return h
}

// tusStore is the tus handler's data store: each call is the node's, on
// behalf of the official the request carries.
type tusStore struct{ node *node.Node }

// refuse keeps the node's error for the answer, and gives the tus
// handler an error of the status writeError will answer with.
func refuse(ctx context.Context, err error) error {
	if slot, ok := ctx.Value(uploadFailure).(*error); ok && *slot == nil {
		*slot = err
	}
	return tusd.NewError("ERR_ENTRAIDE", err.Error(), http.StatusBadRequest)
}

func (st tusStore) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	requestID, _ := ctx.Value(uploadRequest).(string)
	spec, ok := ctx.Value(uploadSpec).(evidence.Spec)
	if !ok || info.SizeIsDeferred {
		return nil, refuse(ctx, badRequest("Upload-Length", "required: the file's size in bytes"))
	}
	it, err := st.node.StartEvidence(ctx, actorFrom(ctx), requestID, spec, info.Size)
	if err != nil {
		return nil, refuse(ctx, err)
	}
	return tusUpload{node: st.node, item: it}, nil
}

func (st tusStore) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	it, err := st.node.EvidenceUpload(ctx, actorFrom(ctx), id)
	if err != nil {
		return nil, refuse(ctx, err)
	}
	return tusUpload{node: st.node, item: it}, nil
}

type tusUpload struct {
	node *node.Node
	item evidence.Item
}

func (u tusUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	n, err := u.node.AppendEvidence(ctx, actorFrom(ctx), u.item.ID, offset, src)
	if err != nil {
		return n, refuse(ctx, err)
	}
	return n, nil
}

func (u tusUpload) GetInfo(ctx context.Context) (tusd.FileInfo, error) {
	it, err := u.node.EvidenceUpload(ctx, actorFrom(ctx), u.item.ID)
	if err != nil {
		return tusd.FileInfo{}, refuse(ctx, err)
	}
	return tusd.FileInfo{ID: it.ID, Size: it.Size, Offset: it.Received, MetaData: tusd.MetaData{"filename": it.Name, "filetype": it.MediaType}}, nil
}

func (u tusUpload) GetReader(context.Context) (io.ReadCloser, error) {
	return nil, tusd.ErrNotImplemented
}

func (u tusUpload) FinishUpload(ctx context.Context) error {
	if _, err := u.node.CompleteEvidence(ctx, actorFrom(ctx), u.item.ID); err != nil {
		return refuse(ctx, err)
	}
	return nil
}

// tusWriter answers the tus handler's refusals as the API's problem
// documents: it holds back a status of 400 or more, and what the
// handler writes after it.
type tusWriter struct {
	http.ResponseWriter
	// https says the client reached the node over HTTPS through a proxy
	// that ends TLS.
	https  bool
	failed int
	msg    bytes.Buffer
}

func (w *tusWriter) WriteHeader(code int) {
	if code >= 400 {
		w.failed = code
		return
	}
	// tusd writes the upload's address with the scheme the node sees:
	// behind a proxy that ends TLS, http, which a page served over HTTPS
	// may not call.
	if loc, ok := strings.CutPrefix(w.Header().Get("Location"), "http://"); ok && w.https {
		w.Header().Set("Location", "https://"+loc)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tusWriter) Write(p []byte) (int, error) {
	if w.failed != 0 {
		if w.msg.Len() < 1024 {
			w.msg.Write(p)
		}
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController, with which the tus handler
// extends the connection's deadlines as bytes come, the writer beneath.
func (w *tusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// tusHints say what to do after each refusal of the tus handler's own.
var tusHints = map[string]struct{ field, hint string }{
	"ERR_MISMATCHED_OFFSET":    {"Upload-Offset", "ask for the upload's offset with HEAD and send the bytes from there"},
	"ERR_UPLOAD_SIZE_EXCEEDED": {"Upload-Length", "the body holds more bytes than the upload declared: send only the rest of the file"},
	"ERR_UNSUPPORTED_VERSION":  {"Tus-Resumable", "send Tus-Resumable: 1.0.0"},
	"ERR_INVALID_CONTENT_TYPE": {"Content-Type", "send the bytes as Content-Type: application/offset+octet-stream"},
	"ERR_UPLOAD_LOCKED":        {"upload", "another request is writing to this upload: wait for it to end, ask for the offset with HEAD, and go on"},
	"ERR_LOCK_TIMEOUT":         {"upload", "another request is writing to this upload: wait for it to end, ask for the offset with HEAD, and go on"},
	"ERR_UPLOAD_INTERRUPTED":   {"upload", "a newer request took over this upload: ask for the offset with HEAD and go on from there"},
	"ERR_READ_TIMEOUT":         {"body", "the bytes stopped coming: ask for the offset with HEAD and send the rest"},
	"ERR_UNEXPECTED_EOF":       {"body", "the connection ended before the body did: ask for the offset with HEAD and send the rest"},
	"ERR_CONNECTION_RESET":     {"body", "the connection was reset: ask for the offset with HEAD and send the rest"},
}

// serveTus runs the tus handler's step h with the request's checks done,
// and answers its refusals as problems.
func (s *Server) serveTus(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	var failure error
	r = r.WithContext(context.WithValue(r.Context(), uploadFailure, &failure))
	tw := &tusWriter{ResponseWriter: w, https: s.behindTLSProxy}
	s.tus.Middleware(h).ServeHTTP(tw, r)
	if tw.failed == 0 {
		return
	}
	for _, name := range []string{"Content-Length", "Content-Type", "Upload-Offset", "Upload-Length", "Location"} {
		w.Header().Del(name)
	}
	if failure != nil {
		if errors.Is(failure, context.Canceled) && r.Context().Err() == nil {
			// The tus handler cancelled this request's work to hand the
			// upload to another request (a cut one still finishing, or a
			// newer one): nothing failed, the upload is busy.
			writeProblem(w, Problem{Type: typeConflict, Status: http.StatusConflict, Detail: "another request holds this upload for now: ask for the offset with HEAD again, and go on",
				Errors: []FieldError{{Field: "upload", Message: "another request holds this upload for now"}}})
			return
		}
		writeError(w, r, s.log, failure)
		return
	}
	code, msg, _ := bytes.Cut(bytes.TrimSpace(tw.msg.Bytes()), []byte(": "))
	field, hint := "upload", "ask for the upload's offset with HEAD, and try again"
	if h, ok := tusHints[string(code)]; ok {
		field, hint = h.field, h.hint
	}
	detail := string(msg)
	if detail == "" {
		detail = http.StatusText(tw.failed)
	}
	detail += ": " + hint
	if tw.failed >= 500 {
		s.log.ErrorContext(r.Context(), "upload", "method", r.Method, "path", r.URL.Path, "err", detail)
		writeProblem(w, Problem{Type: typeInternal, Status: tw.failed, Detail: "the node could not complete the upload; it has been logged: ask for the offset with HEAD and go on"})
		return
	}
	status := tw.failed
	if string(code) == "ERR_UPLOAD_INTERRUPTED" {
		// tusd answers 400, but nothing in the request was wrong: another
		// one holds the upload for now. A 409 is what tus clients, and
		// entraide evidence add, retry after asking the offset again.
		status = http.StatusConflict
	}
	writeProblem(w, Problem{Type: typeInvalidBody, Status: status, Detail: detail, Errors: []FieldError{{Field: field, Message: detail}}})
}

// stripUploads gives the tus handler, which reads the upload's id as the
// whole path, the path after uploadsPath.
func stripUploads(h http.HandlerFunc) http.HandlerFunc {
	return http.StripPrefix(uploadsPath, h).ServeHTTP
}

// checkTusVersion refuses a call that does not speak tus 1.0.0.
func checkTusVersion(r *http.Request) error {
	if v := r.Header.Get("Tus-Resumable"); v != "1.0.0" {
		msg := fmt.Sprintf("Tus-Resumable %.20q: this node speaks tus 1.0.0; send Tus-Resumable: 1.0.0 (any tus client does)", v)
		return &badInput{status: http.StatusPreconditionFailed, msg: msg, fields: []FieldError{{Field: "Tus-Resumable", Message: msg}}}
	}
	return nil
}

func fieldProblem(err error) error {
	var fe *evidence.FieldError
	if errors.As(err, &fe) {
		return badRequest(fe.Field, "%s", fe.Message)
	}
	return err
}

// createUpload begins the upload of an item of evidence to a request, by
// the tus protocol: Upload-Length gives its size, Upload-Metadata its
// name, media type, collection and retention.
func (s *Server) createUpload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkUploadCreation(r, s.node.Now()); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		spec, _ := evidence.ParseMetadata(r.Header.Get("Upload-Metadata"), s.node.Now())
		ctx := context.WithValue(r.Context(), uploadRequest, r.PathValue("id"))
		ctx = context.WithValue(ctx, uploadSpec, spec)
		s.serveTus(w, r.WithContext(ctx), s.tus.PostFile)
	})
}

// checkUploadCreation checks the headers of an upload's creation.
func checkUploadCreation(r *http.Request, now time.Time) error {
	if err := checkTusVersion(r); err != nil {
		return err
	}
	for _, h := range []string{"Upload-Defer-Length", "Upload-Concat"} {
		if r.Header.Get(h) != "" {
			return badRequest(h, "this node does not take %s: give the file's size in Upload-Length, and upload it whole", h)
		}
	}
	if _, err := evidence.ParseLength("Upload-Length", r.Header.Get("Upload-Length")); err != nil {
		return fieldProblem(err)
	}
	_, err := evidence.ParseMetadata(r.Header.Get("Upload-Metadata"), now)
	return fieldProblem(err)
}

// uploadOffset answers the offset of an upload: the bytes stored, from
// which the client goes on.
func (s *Server) uploadOffset() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveTus(w, r, stripUploads(s.tus.HeadFile))
	})
}

// appendUpload stores the bytes of an upload's body at its offset.
func (s *Server) appendUpload() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkUploadPatch(r); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		s.serveTus(w, r, stripUploads(s.tus.PatchFile))
	})
}

// checkUploadPatch checks the headers of a PATCH of an upload.
func checkUploadPatch(r *http.Request) error {
	if err := checkTusVersion(r); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/offset+octet-stream" {
		msg := fmt.Sprintf("Content-Type %.60q: send the bytes as application/offset+octet-stream", ct)
		return &badInput{status: http.StatusUnsupportedMediaType, msg: msg, fields: []FieldError{{Field: "Content-Type", Message: msg}}}
	}
	if r.Header.Get("Upload-Length") != "" {
		return badRequest("Upload-Length", "the upload's size was given when it began: leave Upload-Length out")
	}
	_, err := evidence.ParseLength("Upload-Offset", r.Header.Get("Upload-Offset"))
	return fieldProblem(err)
}

func (s *Server) listEvidence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items, err := s.node.EvidenceItems(r.Context(), actorFrom(r.Context()), r.PathValue("id"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, items)
	})
}

func (s *Server) getEvidence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		it, err := s.node.EvidenceItem(r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("item"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, it)
	})
}

func (s *Server) evidenceCustody() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entries, err := s.node.EvidenceCustody(r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("item"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, entries)
	})
}

// disposeInput is the body of a disposal.
type disposeInput struct {
	Reason string `json:"reason"`
}

func (s *Server) disposeEvidence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[disposeInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		it, err := s.node.DisposeEvidence(r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("item"), in.Reason)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, it)
	})
}

// retentionInput is the body of a retention change: a day, YYYY-MM-DD,
// or empty to keep the item until disposed of by hand.
type retentionInput struct {
	RetainUntil string `json:"retain_until"`
}

func (s *Server) setRetention() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[retentionInput](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		var until *time.Time
		if in.RetainUntil != "" {
			t, err := evidence.ParseRetention(in.RetainUntil, s.node.Now())
			if err != nil {
				writeError(w, r, s.log, &badInput{status: http.StatusUnprocessableEntity, msg: err.Error(), fields: []FieldError{{Field: "retain_until", Message: err.Error()}}})
				return
			}
			until = &t
		}
		it, err := s.node.SetEvidenceRetention(r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("item"), until)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, it)
	})
}

// evidenceContent serves an item's bytes in clear, decrypted as they are
// sent, with HTTP range requests. Its SHA-256 travels in the Digest-like
// header Repr-Digest (RFC 9530), so that a client checks what it wrote.
// Stored bytes that fail their integrity check are refused with a problem
// when found before the answer began, and cut the answer short when
// found during it: the client's own SHA-256 check tells it so.
func (s *Server) evidenceContent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		by := actorFrom(r.Context())
		detail := map[string]any{}
		if rg := r.Header.Get("Range"); rg != "" {
			detail["range"] = clip(rg, 200)
		}
		rd, it, err := s.node.OpenEvidence(r.Context(), by, r.PathValue("id"), r.PathValue("item"), evidence.ActionDownloaded, detail)
		if err != nil {
			s.writeEvidenceError(w, r, err)
			return
		}
		defer rd.Close()
		h := w.Header()
		// Never the declared type: bytes from the field are not for a
		// browser to render. The item gives its media type.
		h.Set("Content-Type", "application/octet-stream")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", contentDisposition(it.Name))
		if sum, err := hexToBase64(it.SHA256); err == nil {
			h.Set("Repr-Digest", "sha-256=:"+sum+":")
		}
		h.Set("ETag", `"sha256:`+it.SHA256+`"`)
		lw := &lazyWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
		fr := &failReader{r: rd}
		http.ServeContent(lw, r, "", time.Time{}, fr)
		if fr.err == nil {
			return
		}
		if errors.Is(fr.err, evidence.ErrDamaged) {
			s.node.EvidenceDamaged(r.Context(), it, fr.err)
		}
		if !lw.started {
			for _, name := range []string{"Content-Length", "Content-Range", "Content-Type", "Content-Disposition", "Repr-Digest", "ETag", "Accept-Ranges", "Last-Modified"} {
				h.Del(name)
			}
			s.writeEvidenceError(w, r, fr.err)
			return
		}
		// The answer began: only cutting it tells the client.
		panic(http.ErrAbortHandler)
	})
}

func (s *Server) writeEvidenceError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, evidence.ErrDamaged) {
		msg := err.Error() + ": the node's administrators are told; they restore the item's objects from a backup of the evidence store"
		writeProblem(w, Problem{Type: typeConflict, Status: http.StatusConflict, Title: "The stored evidence is damaged", Detail: msg, Errors: []FieldError{{Field: "item", Message: msg}}})
		return
	}
	// A conflict about the item (disposed of, still uploading, sent
	// already) is the item's state, not the request's.
	if ce, ok := errors.AsType[*casework.Error](err); ok && errors.Is(ce.Kind, casework.ErrConflict) && len(ce.Problems) > 0 && ce.Problems[0].Field == "item" {
		writeProblem(w, Problem{Type: typeConflict, Status: http.StatusConflict, Title: "The item's state does not allow this", Detail: ce.Problems.Error(), Errors: fieldErrors(ce.Problems)})
		return
	}
	writeError(w, r, s.log, err)
}

// failReader keeps the error of the reader it wraps, which
// http.ServeContent does not report.
type failReader struct {
	r   io.ReadSeeker
	err error
}

func (f *failReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF && f.err == nil {
		f.err = err
	}
	return n, err
}

func (f *failReader) Seek(off int64, whence int) (int64, error) { return f.r.Seek(off, whence) }

// lazyWriter holds back the status until the first byte of the body, so
// that a failure found before it is answered as a problem; it extends
// the write deadline as bytes go, so that a large item is not cut off
// by the server's WriteTimeout while it flows.
type lazyWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	status  int
	started bool
}

func (w *lazyWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	if code == http.StatusNotModified || code == http.StatusRequestedRangeNotSatisfiable || code >= 400 {
		w.start()
	}
}

func (w *lazyWriter) start() {
	if !w.started {
		w.started = true
		if w.status == 0 {
			w.status = http.StatusOK
		}
		w.ResponseWriter.WriteHeader(w.status)
	}
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	w.start()
	w.rc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	return w.ResponseWriter.Write(p)
}

func (w *lazyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func contentDisposition(name string) string {
	return `attachment; filename*=UTF-8''` + pathEscape(name)
}

func pathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func clip(s string, n int) string { return store.ClipText(s, n) }

func hexToBase64(h string) (string, error) {
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// sendInput is what an official gives with an item sent: the conditions
// their State sets on it. The body is optional: an item sent without one
// is bound by the answer's conditions alone.
type sendInput struct {
	Conditions convention.Conditions `json:"conditions,omitempty"`
}

func (s *Server) sendEvidence() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in sendInput
		if r.ContentLength != 0 {
			var err error
			if in, err = decode[sendInput](w, r); err != nil {
				writeError(w, r, s.log, err)
				return
			}
		}
		it, err := s.node.SendEvidence(r.Context(), actorFrom(r.Context()), r.PathValue("id"), r.PathValue("item"), in.Conditions)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusAccepted, it)
	})
}

// evidencePackage streams the request's evidence package as it is built:
// memory stays bounded whatever the items' sizes. An error before the
// first byte is answered as a problem; after it, only cutting the answer
// tells the client, whose copy is then no package.
func (s *Server) evidencePackage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		by := actorFrom(r.Context())
		id := r.PathValue("id")
		h := w.Header()
		h.Set("Content-Type", "application/x-tar")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", contentDisposition("evidence-"+id+".tar"))
		lw := &lazyWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
		q := r.URL.Query()
		use := convention.Use{ToState: q.Get("for_state"), Proceedings: q.Get("proceedings")}
		_, err := s.node.ExportEvidence(r.Context(), by, id, use, lw)
		if err == nil {
			return
		}
		if !lw.started {
			for _, name := range []string{"Content-Type", "Content-Disposition"} {
				h.Del(name)
			}
			s.writeEvidenceError(w, r, err)
			return
		}
		s.log.ErrorContext(r.Context(), "evidence package cut short", "request", id, "err", err)
		panic(http.ErrAbortHandler)
	})
}

func (s *Server) listConsents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := s.node.Consents(r.Context(), actorFrom(r.Context()), "")
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, cs)
	})
}

func (s *Server) requestConsents() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := s.node.Consents(r.Context(), actorFrom(r.Context()), r.PathValue("id"))
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, cs)
	})
}

func (s *Server) askConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[node.ConsentAsk](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		c, err := s.node.AskConsent(r.Context(), actorFrom(r.Context()), r.PathValue("id"), in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusCreated, c)
	})
}

func (s *Server) answerConsent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := decode[node.ConsentAnswer](w, r)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		c, err := s.node.AnswerConsent(r.Context(), actorFrom(r.Context()), r.PathValue("consent"), in)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		encode(w, http.StatusOK, c)
	})
}
