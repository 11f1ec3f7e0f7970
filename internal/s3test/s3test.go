// Package s3test serves an S3 bucket in-process, for tests of what keeps
// evidence in an object store: gofakes3 speaks the S3 wire protocol over
// HTTP, and the bucket is reached as `entraide serve --blob` reaches one,
// through gocloud.dev/blob/s3blob and an s3:// URL.
package s3test

import (
	"encoding/xml"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The credentials the server accepts, which Start puts in the
// environment as the AWS SDK reads them.
const (
	AccessKeyID     = "ENTRAIDETESTKEY"
	SecretAccessKey = "entraide-test-secret"
)

// MinPartSize is the size S3 requires of every part of a multipart upload
// but the last: a writer that cuts its parts smaller has its upload
// refused, by AWS as by this server.
const MinPartSize = 5 << 20

// Server is an S3 endpoint holding one bucket.
type Server struct {
	// URL opens the bucket with gocloud.dev/blob: s3://BUCKET?endpoint=...
	URL string
	// Endpoint is the server's http:// address.
	Endpoint string

	mu       sync.Mutex
	requests map[string]int           // served, by method
	parts    map[string]map[int]int64 // by upload id: part number → size
}

// Start serves a bucket named bucket until the test ends, and sets the
// variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which the test
// must therefore not run in parallel. The AWS configuration files of the
// machine are kept out of the way.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(mem, gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &Server{requests: map[string]int{}, parts: map[string]map[int]int64{}}
	srv := httptest.NewUnstartedServer(s.check(fake.Server()))
	// gofakes3 complains of every client that stops reading an object
	// before its end, as a reader seeking elsewhere does.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	s.Endpoint = srv.URL
	s.URL = "s3://" + bucket + "?" + url.Values{
		"endpoint":       {srv.URL},
		"region":         {"eu-west-3"},
		"use_path_style": {"true"},
	}.Encode()
	return s
}

// Requests returns how many requests of method the server has served.
func (s *Server) Requests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[method]
}

// check refuses what S3 refuses and gofakes3 lets through: a request not
// signed with the credentials Start set, and a multipart upload one of
// whose parts but the last is under MinPartSize.
func (s *Server) check(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+AccessKeyID+"/") {
			s3Error(w, http.StatusForbidden, "InvalidAccessKeyId", "the request is not signed with the test's access key")
			return
		}
		q := r.URL.Query()
		upload := q.Get("uploadId")
		s.mu.Lock()
		s.requests[r.Method]++
		if upload != "" && r.Method == http.MethodPut {
			n, _ := strconv.Atoi(q.Get("partNumber"))
			if s.parts[upload] == nil {
				s.parts[upload] = map[int]int64{}
			}
			s.parts[upload][n] = r.ContentLength
		}
		var small bool
		if upload != "" && r.Method == http.MethodPost {
			last := 0
			for n := range s.parts[upload] {
				last = max(last, n)
			}
			for n, size := range s.parts[upload] {
				small = small || (n != last && size < MinPartSize)
			}
			delete(s.parts, upload)
		}
		s.mu.Unlock()
		if small {
			s3Error(w, http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: message})
}
