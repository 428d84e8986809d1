package reproduce

import (
	"bytes"
	"context"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of a Chromium binary, or skips the test when
// there is none (it fails instead with NETGEOM_REQUIRE_CHROMIUM=1, as CI
// sets after installing Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("NETGEOM_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium is not installed and NETGEOM_REQUIRE_CHROMIUM=1 (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: the report's browser test needs it (apt-get install chromium; NETGEOM_REQUIRE_CHROMIUM=1 makes this a failure)")
	return ""
}

// headless runs chromium headless on page with extra flags and returns its
// standard output.
func headless(t *testing.T, bin, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir(), "--window-size=1280,4000"}, extra...)
	args = append(args, "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(extra, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// domNode is an element of the rendered DOM with its text.
type domNode struct {
	name  string
	attrs map[string]string
	text  string // all the text inside it
}

// parseDOM reads Chromium's serialised DOM with encoding/xml in its HTML
// mode (void elements auto-closed, HTML entities known) and returns every
// element with its text content.
func parseDOM(t *testing.T, dom []byte) []*domNode {
	t.Helper()
	// Scripts are code, not markup: drop them before parsing.
	dom = regexp.MustCompile(`(?s)<script.*?</script>`).ReplaceAll(dom, nil)
	d := xml.NewDecoder(bytes.NewReader(dom))
	d.Strict, d.AutoClose, d.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	var all, stack []*domNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("DOM: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &domNode{name: strings.ToLower(tk.Name.Local), attrs: map[string]string{}}
			for _, a := range tk.Attr {
				n.attrs[strings.ToLower(a.Name.Local)] = a.Value
			}
			all, stack = append(all, n), append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			for _, n := range stack {
				n.text += string(tk)
			}
		}
	}
	return all
}

// TestReportInBrowser renders the quick poole2016 report in headless
// Chromium: the DOM after the page loaded must have every figure's section,
// every check's row (with its verdict), every image loaded (the page's own
// script marks each one) and no empty element that should hold text; the
// screenshot must be the page's size and not blank.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	rep, dir := poole(t)
	page := filepath.Join(dir, "index.html")
	nodes := parseDOM(t, headless(t, bin, page, "--dump-dom", "--virtual-time-budget=10000"))

	sections, rows, imgs := map[string]bool{}, map[string]string{}, 0
	var body *domNode
	for _, n := range nodes {
		switch n.name {
		case "body":
			body = n
		case "section":
			sections[n.attrs["id"]] = true
		case "tr":
			if strings.HasPrefix(n.attrs["class"], "check ") {
				rows[n.attrs["data-check"]] = n.text
			}
		case "img":
			imgs++
			if n.attrs["data-loaded"] != "yes" {
				t.Errorf("image %s did not load (data-loaded %q)", n.attrs["src"], n.attrs["data-loaded"])
			}
		case "td", "th", "h1", "h2", "p", "li", "figcaption", "pre", "code", "strong", "a", "title":
			if strings.TrimSpace(n.text) == "" {
				t.Errorf("empty <%s> %v", n.name, n.attrs)
			}
		}
	}
	if body == nil || body.attrs["data-images"] != "loaded" {
		t.Errorf("the page's load script did not mark every image loaded: body %v", body)
	}
	want := 0
	for _, f := range rep.Figures {
		if !sections[f.ID] {
			t.Errorf("no section for %s", f.ID)
		}
		want += len(f.Images)
		for _, c := range f.Checks {
			text, ok := rows[c.Name]
			if !ok {
				t.Errorf("%s: no row for check %q", f.ID, c.Name)
				continue
			}
			if !strings.Contains(text, c.Verdict()) {
				t.Errorf("%s: the row of %q does not say %s", f.ID, c.Name, c.Verdict())
			}
		}
	}
	if imgs != want || len(rows) != len(rep.Checks()) {
		t.Errorf("%d images and %d check rows; want %d and %d", imgs, len(rows), want, len(rep.Checks()))
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	headless(t, bin, page, "--screenshot="+shot, "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bd := img.Bounds()
	if bd.Dx() != 1280 || bd.Dy() != 4000 {
		t.Errorf("screenshot %v; want 1280 x 4000", bd)
	}
	// Not blank: dark pixels (text, axes) and coloured ones (the figures'
	// lines, the verdict banner) must both be there.
	dark, colour, total := 0, 0, 0
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			total++
			if r+g+b < 200 {
				dark++
			}
			if max(r, g, b)-min(r, g, b) > 60 {
				colour++
			}
		}
	}
	if float64(dark) < 0.002*float64(total) || float64(colour) < 0.002*float64(total) {
		t.Errorf("screenshot looks blank: %d dark and %d coloured pixels of %d sampled", dark, colour, total)
	}
}
