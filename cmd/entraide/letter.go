package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"entraide/internal/letter"
)

func cmdRequestLetter(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "request letter", "ID [-o FILE] [--lang LANG]   (writes the request's formal letter as a PDF)")
	addClientFlags(fs, e)
	out := fs.String("o", "", "the file to write (default: request-ID-LANG.pdf in this directory)")
	lang := fs.String("lang", "", "the language of the letter's form: "+strings.Join(letter.Languages, ", ")+" (default: the first the requested State accepts)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: entraide request letter ID [-o FILE] [--lang LANG]

Writes the formal letter of a request as a PDF: requests are made in
writing, in a language acceptable to the requested State (art. 40(14)). The
form's labels are in that language; the contents are as they were written.
The letter carries the SHA-256 and the leaf index of the request's record in
the node's audit log, and says how to check them.

Flags:
`)
		fs.PrintDefaults()
	}
	if help, err := parse(e, fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("request letter: give the request's id, e.g. entraide request letter ID -o letter.pdf (entraide request list shows them)")
	}
	id := fs.Arg(0)
	c, err := clientFor(fs)
	if err != nil {
		return err
	}
	path := "/api/v1/requests/" + url.PathEscape(id) + "/letter.pdf"
	if *lang != "" {
		path += "?lang=" + url.QueryEscape(*lang)
	}
	target, answered, n, err := savePDF(ctx, c, path, *out, "request-"+id, "request letter", "the letter",
		"entraide request list gives the ids of your State's requests")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote %s: the letter of request %s, its form in %s, %d bytes.\n", target, id, answered, n)
	return nil
}

// savePDF downloads the PDF at path to out, or, when out is empty, to
// name-LANG.pdf in the language the node answered in. It writes to a
// .part file first and renames it only once every byte arrived and is
// synced, so that a cut download leaves nothing that looks whole. cmd
// and what name the command and the document in errors; next is the step
// to suggest when the node refuses.
func savePDF(ctx context.Context, c *apiClient, path, out, name, cmd, what, next string) (target, lang string, n int64, err error) {
	res, err := c.stream(ctx, path)
	if err != nil {
		return "", "", 0, withNext(cmd, err, next)
	}
	defer res.Body.Close()
	lang = res.Header.Get("Content-Language")
	target = out
	if target == "" {
		target = name + "-" + lang + ".pdf"
	}
	file, err := os.OpenFile(target+".part", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", "", 0, fmt.Errorf("%s: %w", cmd, err)
	}
	defer os.Remove(target + ".part")
	defer file.Close()
	n, err = io.Copy(file, res.Body)
	if err != nil {
		return "", "", n, fmt.Errorf("%s: %s stopped after %d bytes (%v): nothing was kept; run the command again", cmd, what, n, err)
	}
	if err := errors.Join(file.Sync(), file.Close(), os.Rename(target+".part", target)); err != nil {
		return "", "", n, fmt.Errorf("%s: %w", cmd, err)
	}
	return target, lang, n, nil
}
