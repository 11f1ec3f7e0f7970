package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"entraide/internal/evidence"
)

const evidenceAddHelp = `FILE...   (uploads each file as an item of evidence of request REQUEST)

Each file is sent to the node, which computes its SHA-256, encrypts it and
records who added it. A dropped connection is resumed by itself; run the
same command again after an interruption and it goes on where it stopped.
The flags describe how the files were collected; they go into the custody
record of each item.`

func cmdEvidenceAdd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence add", "REQUEST "+evidenceAddHelp)
	addClientFlags(fs, e)
	by := fs.String("collected-by", "", "who collected the files, e.g. \"Lt. Martin, OCLCTIC\"")
	where := fs.String("collected-where", "", "where they were collected, e.g. \"Lyon, hospital server room\"")
	when := fs.String("collected-at", "", "when, as 2026-03-01T10:00:00Z (RFC 3339)")
	source := fs.String("source", "", "what they were collected from: a device, an account, a provider")
	tool := fs.String("tool", "", "the tool used, with its version, e.g. \"FTK Imager 4.7\"")
	mediaType := fs.String("type", "", "the files' media type, e.g. application/pdf (default: guessed from the file name)")
	retain := fs.String("retain-until", "", "the day the items are disposed of, YYYY-MM-DD (art. 36); none: until disposed of by hand")
	pd := personalDataFlags(fs, "the files")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if _, err := pd.marking("evidence add"); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return errors.New("evidence add: give the request's id and at least one file, e.g. entraide evidence add REQUEST photo.jpg")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	request := fs.Arg(0)
	for _, path := range fs.Args()[1:] {
		meta := []string{"filename", filepath.Base(path)}
		mt := *mediaType
		if mt == "" {
			mt = mime.TypeByExtension(filepath.Ext(path))
		}
		for _, kv := range [][2]string{{"filetype", mt}, {"collected_by", *by}, {"collected_where", *where}, {"collected_at", *when},
			{"source", *source}, {"tool", *tool}, {"retain_until", *retain},
			{"personal_data", *pd.carried}, {"data_categories", *pd.categories}, {"persons_concerned", *pd.persons}} {
			if kv[1] != "" {
				meta = append(meta, kv[0], kv[1])
			}
		}
		it, err := uploadFile(ctx, e, c, request, path, meta)
		if err != nil {
			return fmt.Errorf("evidence add %s: %w", path, err)
		}
		fmt.Fprintf(e.stdout, "Added %s as item %s: %d bytes, SHA-256 %s\n", path, it.ID, it.Size, it.SHA256)
		// The same bytes added twice are two items: say so, for the
		// official who ran the command again by mistake.
		var items []evidence.Item
		if c.do(ctx, "GET", "/api/v1/requests/"+url.PathEscape(request)+"/evidence", nil, &items) == nil {
			for _, other := range items {
				if other.ID != it.ID && other.SHA256 == it.SHA256 && other.Status == evidence.Available {
					fmt.Fprintf(e.stderr, "note: item %s (%s) of this request holds the same bytes; if this one was added by mistake, dispose of it: entraide evidence dispose %s %s --reason \"added twice\"\n",
						other.ID, other.Name, request, it.ID)
					break
				}
			}
		}
	}
	return nil
}

// uploadState is where an upload's address is kept until it ends, so
// that the same command run again resumes it.
func uploadState(e env, base, request, path string, info os.FileInfo) (string, error) {
	dir := e.getenv("ENTRAIDE_UPLOAD_STATE")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no directory to remember uploads in: set ENTRAIDE_UPLOAD_STATE to one (%w)", err)
		}
		dir = filepath.Join(cache, "entraide", "uploads")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(path)
	key := sha256.Sum256([]byte(strings.Join([]string{base, request, abs, strconv.FormatInt(info.Size(), 10), info.ModTime().UTC().String()}, "\n")))
	return filepath.Join(dir, hex.EncodeToString(key[:16])), nil
}

// maxUploadRetries bounds how often a dropped connection is resumed in
// one run.
const maxUploadRetries = 30

func uploadFile(ctx context.Context, e env, c *apiClient, request, path string, meta []string) (evidence.Item, error) {
	var it evidence.Item
	f, err := os.Open(path)
	if err != nil {
		return it, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return it, fmt.Errorf("not a regular file: give the path of a file")
	}
	state, err := uploadState(e, c.base, request, path, info)
	if err != nil {
		return it, err
	}
	long := *c.http
	long.Timeout = 0 // a PATCH lasts as long as the file takes to send
	tus := func(method, u string, header http.Header, body io.Reader, length int64) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return nil, err
		}
		req.Header = header
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Authorization", "Bearer "+c.token)
		if body != nil {
			req.ContentLength = length
			req.Header.Set("Content-Type", "application/offset+octet-stream")
		}
		res, err := long.Do(req)
		if err != nil {
			return nil, c.unreachable(err)
		}
		return res, nil
	}
	location := ""
	if b, err := os.ReadFile(state); err == nil {
		location = strings.TrimSpace(string(b))
	}
	var bar *progressbar.ProgressBar
	if out, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(out.Fd())) {
		bar = progressbar.NewOptions64(info.Size(), progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(filepath.Base(path)), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(e.stderr) }))
	}
	offset := int64(-1)
	for attempt := 0; ; attempt++ {
		if attempt > maxUploadRetries {
			return it, fmt.Errorf("the connection kept dropping: run the same command again to resume from byte %d", max(offset, 0))
		}
		if ctx.Err() != nil {
			return it, fmt.Errorf("stopped: run the same command again to resume from byte %d", max(offset, 0))
		}
		if attempt > 0 {
			// A new connection: the dropped one's may be in any state.
			long.CloseIdleConnections()
			wait := min(time.Duration(attempt)*time.Second, 15*time.Second)
			fmt.Fprintf(e.stderr, "connection lost; resuming in %s\n", wait)
			select {
			case <-ctx.Done():
				return it, ctx.Err()
			case <-time.After(wait):
			}
		}
		if location == "" {
			var pairs []string
			for i := 0; i+1 < len(meta); i += 2 {
				pairs = append(pairs, meta[i]+" "+base64.StdEncoding.EncodeToString([]byte(meta[i+1])))
			}
			res, err := tus("POST", c.base+"/api/v1/requests/"+url.PathEscape(request)+"/uploads",
				http.Header{"Upload-Length": {strconv.FormatInt(info.Size(), 10)}, "Upload-Metadata": {strings.Join(pairs, ",")}}, nil, 0)
			if err != nil {
				continue
			}
			if res.StatusCode != http.StatusCreated {
				return it, responseProblem(res)
			}
			res.Body.Close()
			loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
			if err != nil || res.Header.Get("Location") == "" {
				return it, errors.New("the node gave no address for the upload")
			}
			location = loc.String()
			if err := os.WriteFile(state, []byte(location+"\n"), 0o600); err != nil {
				return it, fmt.Errorf("remember the upload in %s: %w", state, err)
			}
		}
		res, err := tus("HEAD", location, http.Header{}, nil, 0)
		if err != nil {
			continue
		}
		res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			os.Remove(state) // the node no longer knows it: begin again
			location = ""
			continue
		}
		if res.StatusCode == http.StatusConflict || res.StatusCode == http.StatusLocked || res.StatusCode == http.StatusServiceUnavailable {
			continue // the cut request still holds the upload: ask again
		}
		if res.StatusCode != http.StatusOK {
			return it, fmt.Errorf("ask the upload's offset: %s", res.Status)
		}
		if offset, err = strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); err != nil || offset > info.Size() {
			return it, fmt.Errorf("the node answered an offset of %q", res.Header.Get("Upload-Offset"))
		}
		if bar != nil {
			bar.Set64(offset)
		}
		if offset < info.Size() {
			var body io.Reader = io.NewSectionReader(f, offset, info.Size()-offset)
			if bar != nil {
				body = io.TeeReader(body, bar)
			}
			res, err := tus("PATCH", location, http.Header{"Upload-Offset": {strconv.FormatInt(offset, 10)}}, body, info.Size()-offset)
			if err != nil {
				continue
			}
			if res.StatusCode != http.StatusNoContent {
				if res.StatusCode == http.StatusConflict || res.StatusCode >= 500 || res.StatusCode == http.StatusLocked {
					res.Body.Close()
					continue // ask the offset again
				}
				return it, responseProblem(res)
			}
			res.Body.Close()
			if o, _ := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64); o < info.Size() {
				continue
			}
		}
		break
	}
	os.Remove(state)
	id := location[strings.LastIndex(location, "/")+1:]
	// Read from the request's list, not the item itself: that would
	// record in the item's custody that it was viewed, which nobody did.
	var items []evidence.Item
	if err := c.do(ctx, "GET", "/api/v1/requests/"+url.PathEscape(request)+"/evidence", nil, &items); err != nil {
		return it, err
	}
	i := slices.IndexFunc(items, func(x evidence.Item) bool { return x.ID == id })
	if i < 0 {
		return it, fmt.Errorf("the node does not list item %s on request %s once its upload ended: run `entraide evidence list %s` to see what it holds, and add the file again if it is missing", id, request, request)
	}
	it = items[i]
	// The node's hash, against the file's own: what was sent is what is kept.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return it, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return it, err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != it.SHA256 {
		return it, fmt.Errorf("the node holds SHA-256 %s for item %s, but the file's is %s: the file changed while it was sent, or was damaged on the way; add it again", it.SHA256, it.ID, sum)
	}
	return it, nil
}

func cmdEvidenceList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence list", "REQUEST [flags]   (lists a request's items of evidence: id, name, size, SHA-256, status)")
	addClientFlags(fs, e)
	asJSON := fs.Bool("json", false, "print JSON, with how each item was collected")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("evidence list: give the request's id, e.g. entraide evidence list REQUEST (entraide request list shows them)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var items []evidence.Item
	if err := c.do(ctx, "GET", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/evidence", nil, &items); err != nil {
		return withNext("evidence list", err, "entraide request list gives the ids of your State's requests")
	}
	if *asJSON {
		return writeJSON(e.stdout, items)
	}
	if len(items) == 0 {
		fmt.Fprintf(e.stdout, "No evidence on request %s yet: add some with entraide evidence add %s FILE\n", fs.Arg(0), fs.Arg(0))
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tNAME\tSIZE\tSTATUS\tSHA-256\tRETAIN UNTIL\tCONDITIONS")
	for _, it := range items {
		status := string(it.Status)
		if it.Status == evidence.Uploading {
			status = fmt.Sprintf("uploading (%d%%)", it.Received*100/max(it.Size, 1))
		}
		if it.Damaged != "" {
			status = "damaged"
		}
		retain := "-"
		if it.RetainUntil != nil {
			retain = it.RetainUntil.Format(time.DateOnly)
		}
		conds := "-"
		if len(it.Conditions) > 0 {
			var kinds []string
			for _, k := range it.Conditions.Kinds() {
				kinds = append(kinds, string(k))
			}
			conds = strings.Join(kinds, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", it.ID, it.Name, it.Size, status, or(it.SHA256, "-"), retain, conds)
	}
	return tw.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func cmdEvidenceGet(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence get", "REQUEST ITEM [-o FILE]   (downloads an item, checking its SHA-256 as it writes; the download is recorded in its custody)")
	addClientFlags(fs, e)
	out := fs.String("o", "", "the file to write (default: the item's name, in this directory; - writes to the standard output)")
	force := fs.Bool("force", false, "replace the file if it exists")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("evidence get: give the request's id and the item's, e.g. entraide evidence get REQUEST ITEM (entraide evidence list REQUEST shows them)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	base := "/api/v1/requests/" + url.PathEscape(fs.Arg(0)) + "/evidence/" + url.PathEscape(fs.Arg(1))
	var it evidence.Item
	if err := c.do(ctx, "GET", base, nil, &it); err != nil {
		return withNext("evidence get", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	target := *out
	if target == "" {
		target = filepath.Base(it.Name)
	}
	if target != "-" && !*force {
		// Evidence is not written over a file that may be other evidence.
		if _, err := os.Lstat(target); err == nil {
			return fmt.Errorf("evidence get: %s exists\nnext: give another file with -o FILE, or add --force to replace it", target)
		}
	}
	res, err := c.stream(ctx, base+"/content")
	if err != nil {
		return withNext("evidence get", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	defer res.Body.Close()
	var w io.Writer = e.stdout
	var file *os.File
	if target != "-" {
		if file, err = os.OpenFile(target+".part", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return withNext("evidence get", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
		}
		defer os.Remove(target + ".part")
		defer file.Close()
		w = file
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), res.Body)
	if err != nil {
		return fmt.Errorf("evidence get: the download stopped after %d of %d bytes (%v): run the command again; if it stops again, the node may hold damaged bytes: entraide evidence list %s says so", n, it.Size, err, fs.Arg(0))
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != it.SHA256 || n != it.Size {
		return fmt.Errorf("evidence get: the bytes received (%d, SHA-256 %s) are not item %s (%d, SHA-256 %s): nothing was kept; run the command again, and tell the node's administrators if it fails again", n, sum, it.ID, it.Size, it.SHA256)
	}
	if file == nil {
		return nil
	}
	if err := errors.Join(file.Sync(), file.Close()); err != nil {
		return withNext("evidence get", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	if err := os.Rename(target+".part", target); err != nil {
		return withNext("evidence get", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	fmt.Fprintf(e.stderr, "Wrote %s: %d bytes, SHA-256 %s (checked)\n", target, n, it.SHA256)
	return nil
}

func cmdEvidenceSend(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence send", "REQUEST ITEM   (sends an item with your answer to the State that asked: the requested State's central authority or 24/7 point of contact)\n\n"+
		"The item travels to the requesting State's node in pieces, encrypted to that node, and resumes by\n"+
		"itself if the network or that node is down. That node checks its size and SHA-256 and says whether\n"+
		"it kept it: entraide evidence list shows the transfer in the item's custody.\n\n"+
		"Each --condition binds the item at the other State from its arrival, with those your State set on its\n"+
		"answer (request transition --action execute --condition ...): that State may then not give it to a\n"+
		"third State or use it in other proceedings without your consent (entraide consent list).")
	addClientFlags(fs, e)
	var conds conditionFlag
	fs.Var(&conds, "condition", conditionHelp)
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("evidence send: give the request's id and the item's, e.g. entraide evidence send REQUEST ITEM (entraide evidence list REQUEST shows them)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var it evidence.Item
	var body any
	if len(conds.cs) > 0 {
		body = map[string]any{"conditions": conds.cs}
	}
	if err := c.do(ctx, "POST", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/evidence/"+url.PathEscape(fs.Arg(1))+"/send", body, &it); err != nil {
		return withNext("evidence send", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	fmt.Fprintf(e.stdout, "Sending item %s (%s, %d bytes, SHA-256 %s) to the requesting State; its custody will say when it arrived: entraide evidence list %s --json\n",
		it.ID, it.Name, it.Size, it.SHA256, fs.Arg(0))
	return nil
}

func cmdEvidenceRetain(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence retain", "REQUEST ITEM --until DATE   (sets the day an item of evidence is disposed of, art. 36; --until \"\" clears it)")
	addClientFlags(fs, e)
	until := fs.String("until", "", "the day from which the item is disposed of, YYYY-MM-DD (required; \"\" clears it)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "until" })
	if fs.NArg() != 2 || !set {
		return errors.New("evidence retain: give the request's id, the item's and --until\nnext: entraide evidence retain REQUEST ITEM --until 2031-01-01 (entraide evidence list REQUEST shows the items)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var it evidence.Item
	if err := c.do(ctx, "PUT", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/evidence/"+url.PathEscape(fs.Arg(1))+"/retention", map[string]string{"retain_until": *until}, &it); err != nil {
		return withNext("evidence retain", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	if it.RetainUntil == nil {
		fmt.Fprintf(e.stdout, "Item %s (%s) has no retention date now: it is kept until someone disposes of it.\n", it.ID, it.Name)
		return nil
	}
	fmt.Fprintf(e.stdout, "Item %s (%s) is disposed of from %s (art. 36).\n", it.ID, it.Name, it.RetainUntil.Format(time.DateOnly))
	return nil
}

func cmdEvidenceDispose(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "evidence dispose", "REQUEST ITEM --reason TEXT   (deletes an item's bytes for good, art. 36; its hash and custody stay, so that what was held can still be proved)")
	addClientFlags(fs, e)
	reason := fs.String("reason", "", "why the item is disposed of, for its custody (required)")
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 || strings.TrimSpace(*reason) == "" {
		return errors.New("evidence dispose: give the request's id, the item's and --reason\nnext: entraide evidence dispose REQUEST ITEM --reason \"retention period ended\" (entraide evidence list REQUEST shows the items)")
	}
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	var it evidence.Item
	if err := c.do(ctx, "POST", "/api/v1/requests/"+url.PathEscape(fs.Arg(0))+"/evidence/"+url.PathEscape(fs.Arg(1))+"/dispose", map[string]string{"reason": *reason}, &it); err != nil {
		return withNext("evidence dispose", err, "entraide evidence list REQUEST gives the ids of a request's items; entraide request list, those of your State's requests")
	}
	fmt.Fprintf(e.stdout, "Item %s (%s) is disposed of: its bytes are deleted; its SHA-256 %s and its custody stay.\n", it.ID, it.Name, it.SHA256)
	return nil
}
