package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/landscape"
)

// The robustness suite: testdata/robustness.txt lists bad inputs to every
// command and every file reader, each with the outcome it must have, and
// TestRobustness runs each as the netgeom program in a child process.
//
// A line of the file is
//
//	OUTCOME "PHRASE" :: ARGS...
//
// OUTCOME is one of
//
//	error  exit status 1, and stderr is one line, "netgeom: ..." containing
//	       PHRASE (no Go trace, no panic)
//	warn   exit status 0, stdout one JSON document, every stderr line a
//	       "netgeom: " line and one of them containing PHRASE
//	ok     exit status 0, stdout one JSON document containing PHRASE, every
//	       stderr line a "netgeom: " line
//
// ARGS are the command line (--format json is added to warn and ok cases
// that do not give --format). An argument in double quotes is a Go string
// literal. $NAME is the path of the fixture NAME (robustFixtures), $TMP a
// new empty folder of the case's own, $COPY(NAME) a copy of fixture NAME in
// $TMP (for cases that replace a file), $PID the ID of the test process
// (which holds the lock of fixture LOCKED); env:KEY=VALUE before the
// command sets an environment variable. Every fixture must be unchanged
// after every case.

type robustCase struct {
	line    int
	outcome string
	phrase  string
	env     []string
	args    []string
}

func readRobustCases(t *testing.T) []robustCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "robustness.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []robustCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, rest, ok := strings.Cut(line, " :: ")
		if !ok {
			t.Fatalf("robustness.txt:%d: no ' :: ' between the outcome and the command", n)
		}
		outcome, quoted, _ := strings.Cut(strings.TrimSpace(head), " ")
		phrase, err := strconv.Unquote(strings.TrimSpace(quoted))
		if err != nil || !slices.Contains([]string{"error", "warn", "ok"}, outcome) {
			t.Fatalf("robustness.txt:%d: want OUTCOME \"PHRASE\" with OUTCOME error, warn or ok: %q", n, head)
		}
		c := robustCase{line: n, outcome: outcome, phrase: phrase}
		args, err := splitArgs(rest)
		if err != nil {
			t.Fatalf("robustness.txt:%d: %v", n, err)
		}
		for len(args) > 0 && strings.HasPrefix(args[0], "env:") {
			c.env = append(c.env, strings.TrimPrefix(args[0], "env:"))
			args = args[1:]
		}
		c.args = args
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// splitArgs splits s at spaces; an argument starting with a double quote
// is a Go string literal.
func splitArgs(s string) ([]string, error) {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("bad quoted argument in %q", s)
			}
			u, _ := strconv.Unquote(q)
			out = append(out, u)
			s = s[len(q):]
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out, nil
}

// robustFixtures makes the files the cases read in a temporary folder: a
// few small trained models and a census, made by netgeom itself, and
// damaged or foreign versions of them and of curve and IDX files. It holds
// the lock of fixture LOCKED until the test ends.
func robustFixtures(t *testing.T) map[string]string {
	t.Helper()
	fx, lock, err := makeFixtures(t, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Release() })
	return fx
}

func makeFixtures(t *testing.T, dir string) (map[string]string, *outfile.Lock, error) {
	fx := map[string]string{}
	path := func(name, file string) string {
		p := filepath.Join(dir, file)
		fx[name] = p
		return p
	}
	write := func(name, file string, data []byte) error {
		return os.WriteFile(path(name, file), data, 0o644)
	}
	run := func(args ...string) error {
		if _, errOut, code := runCLI(t, nil, args...); code != 0 {
			return fmt.Errorf("fixture %v: exit %d: %s", args, code, errOut)
		}
		return nil
	}
	// Models and a census, by the program itself.
	for _, m := range []struct {
		name, file string
		args       []string
	}{
		{"MODEL", "iris.ngm", []string{"--data", "iris", "--arch", "4-8-3", "--steps", "30"}},
		{"MODEL_WIDE", "iris-wide.ngm", []string{"--data", "iris", "--arch", "4-5-3", "--steps", "20"}},
		{"MODEL_SPLIT", "iris-split.ngm", []string{"--data", "iris", "--arch", "4-8-3", "--steps", "20", "--seed", "9"}},
		{"MODEL_SUBSET", "iris-subset.ngm", []string{"--data", "iris", "--arch", "4-8-3", "--steps", "20", "--subset", "60"}},
		{"MODEL_WINE", "wine.ngm", []string{"--data", "wine", "--arch", "13-5-3", "--steps", "20"}},
	} {
		if err := run(append([]string{"train", "--out", path(m.name, m.file)}, m.args...)...); err != nil {
			return nil, nil, err
		}
	}
	if err := run("census", "--data", "iris", "--budget", "100", "--depths", "1", "--restarts", "2", "--adam-steps", "50",
		"--workers", "1", "--out", path("CENSUS", "census.jsonl")); err != nil {
		return nil, nil, err
	}

	// Damaged models.
	model, err := os.ReadFile(fx["MODEL"])
	if err != nil {
		return nil, nil, err
	}
	hlen := int(binary.LittleEndian.Uint32(model[12:]))
	var hdr map[string]any
	if err := json.Unmarshal(model[48:48+hlen], &hdr); err != nil {
		return nil, nil, err
	}
	params := model[48+hlen:]
	// rebuild writes a model file with header h and parameter bytes p and a
	// correct checksum, so that the reader's later checks are reached.
	rebuild := func(h map[string]any, p []byte) []byte {
		js, _ := json.Marshal(h)
		out := append(append(bytes.Clone(model[:48]), js...), p...)
		binary.LittleEndian.PutUint32(out[12:], uint32(len(js)))
		sum := sha256.Sum256(out[48:])
		copy(out[16:48], sum[:])
		return out
	}
	withHeader := func(key string, v any) []byte {
		h := map[string]any{}
		for k, x := range hdr {
			h[k] = x
		}
		if v == nil {
			delete(h, key)
		} else {
			h[key] = v
		}
		return rebuild(h, params)
	}
	withData := func(key string, v any) []byte {
		d := map[string]any{}
		for k, x := range hdr["data"].(map[string]any) {
			d[k] = x
		}
		d[key] = v
		return withHeader("data", d)
	}
	flipped := bytes.Clone(model)
	flipped[len(flipped)-3] ^= 0x40
	badMagic := bytes.Clone(model)
	badMagic[0] = 'X'
	version2 := bytes.Clone(model)
	binary.LittleEndian.PutUint32(version2[8:], 2)
	hugeHeader := bytes.Clone(model)
	binary.LittleEndian.PutUint32(hugeHeader[12:], math.MaxUint32)
	nanParams := bytes.Clone(params)
	binary.LittleEndian.PutUint64(nanParams[8:], math.Float64bits(math.NaN()))
	garbled := bytes.Clone(model)
	copy(garbled[48:], "#!garbage")
	sum := sha256.Sum256(garbled[48:])
	copy(garbled[16:48], sum[:])
	for _, d := range []struct {
		name string
		data []byte
	}{
		{"NGM_EMPTY", nil},
		{"NGM_TEXT", []byte("widths: 4-8-3\n")},
		{"NGM_MAGIC_ONLY", model[:5]},
		{"NGM_PREFIX_ONLY", model[:30]},
		{"NGM_TRUNC", model[:len(model)/2]},
		{"NGM_TRUNC_PARAMS", model[:len(model)-8]},
		{"NGM_TRAILING", append(bytes.Clone(model), "tail"...)},
		{"NGM_FLIP", flipped},
		{"NGM_BADMAGIC", badMagic},
		{"NGM_VERSION2", version2},
		{"NGM_HUGEHEADER", hugeHeader},
		{"NGM_GARBLED", garbled},
		{"NGM_NAN", rebuild(hdr, nanParams)},
		{"NGM_ACT", withHeader("activation", "nonsense")},
		{"NGM_LOSS", withHeader("loss", "hinge")},
		{"NGM_WIDTHS", withHeader("widths", []int{4, 9, 3})},
		{"NGM_NEGWIDTH", withHeader("widths", []int{4, -8, 3})},
		{"NGM_FORMAT", withHeader("format", "pytorch")},
		{"NGM_NODATA", withHeader("data", nil)},
		{"NGM_DATANAME", withData("name", "nonsense")},
		{"NGM_DATAWINE", withData("name", "wine")},
		{"NGM_SUBSET", withData("subset", 100000)},
		{"NGM_TESTFRAC", withData("test_fraction", 1.5)},
		{"NGM_DATAHASH", withData("sha256", strings.Repeat("0", 64))},
		{"NGM_ZEROSTD", withData("std", []float64{1, 0, 1, 1})},
	} {
		if err := write(d.name, strings.ToLower(d.name)+".ngm", d.data); err != nil {
			return nil, nil, err
		}
	}

	// Damaged censuses.
	census, err := os.ReadFile(fx["CENSUS"])
	if err != nil {
		return nil, nil, err
	}
	lines := bytes.SplitAfter(census, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty string after the last newline
	if len(lines) != 3 {
		return nil, nil, fmt.Errorf("census fixture has %d lines, want 3", len(lines))
	}
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	for _, d := range []struct {
		name string
		data []byte
	}{
		{"CENSUS_EMPTY", nil},
		{"CENSUS_HALF", join(lines[0], lines[1], lines[2][:len(lines[2])/2])},
		{"CENSUS_MIDBAD", join(lines[0], lines[1][:20], []byte("\n"), lines[2])},
		{"CENSUS_DUP", join(lines[0], lines[1], lines[1])},
		{"CENSUS_FOREIGN", []byte(`{"format":"something-else"}` + "\n")},
		{"CENSUS_HEADERLESS", join(lines[1], lines[2])},
	} {
		if err := write(d.name, strings.ToLower(d.name)+".jsonl", d.data); err != nil {
			return nil, nil, err
		}
	}

	// Curves: a circle of 16 points in R^3 (point, velocity, acceleration),
	// and damaged ones.
	var circle strings.Builder
	for i := range 16 {
		s := 2 * math.Pi * float64(i) / 16
		c, sn := math.Cos(s), math.Sin(s)
		fmt.Fprintf(&circle, "%g,%g,0,%g,%g,0,%g,%g,0\n", c, sn, -sn, c, -c, -sn)
	}
	okCurve := circle.String()
	first := okCurve[:strings.IndexByte(okCurve, '\n')+1]
	for _, d := range []struct{ name, data string }{
		{"CURVE", okCurve},
		{"CURVE_EMPTY", ""},
		{"CURVE_COMMENTS", "# nothing but a comment\n\n"},
		{"CURVE_ONE", first},
		{"CURVE_NOT3N", "1,2,3,4\n5,6,7,8\n"},
		{"CURVE_RAGGED", okCurve + "1,2,3\n"},
		{"CURVE_NAN", okCurve + "NaN,0,0,0,1,0,0,0,0\n"},
		{"CURVE_INF", "1e999,0,0,0,1,0,0,0,0\n" + okCurve},
		{"CURVE_TEXT", "x,y,z,vx,vy,vz,ax,ay,az\n" + okCurve},
		{"CURVE_STILL", strings.Repeat("1,0,0,0,0,0,0,0,0\n", 8)},
		{"CURVE_LONGLINE", strings.Repeat("1,", 1<<21) + "1\n"},
	} {
		if err := write(d.name, strings.ToLower(d.name)+".csv", []byte(d.data)); err != nil {
			return nil, nil, err
		}
	}

	// Fashion-MNIST folders: files that are not IDX, and IDX files cut
	// short after their headers.
	garbage := path("FMNIST_GARBAGE", "fmnist-garbage")
	short := path("FMNIST_SHORT", "fmnist-short")
	path("FMNIST_MISSING", "fmnist-missing")
	for _, d := range []string{fx["FMNIST_GARBAGE"], fx["FMNIST_SHORT"], fx["FMNIST_MISSING"]} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	for i, base := range fashionBaseNames {
		if err := os.WriteFile(filepath.Join(garbage, base), []byte("not an IDX file at all"), 0o644); err != nil {
			return nil, nil, err
		}
		dims := []uint32{60000, 28, 28}
		if i%2 == 1 {
			dims = []uint32{60000}
		}
		if i >= 2 {
			dims[0] = 10000
		}
		h := []byte{0, 0, 8, byte(len(dims))}
		for _, d := range dims {
			h = binary.BigEndian.AppendUint32(h, d)
		}
		if err := os.WriteFile(filepath.Join(short, base), append(h, 1, 2, 3), 0o644); err != nil {
			return nil, nil, err
		}
	}

	// Files of other kinds where netgeom writes.
	for _, d := range []struct{ name, file, data string }{
		{"FOREIGN_NGM", "notes.ngm", "my notes, not a model\n"},
		{"FOREIGN_PNG", "figure.png", "{\"a\": 1}\n"},
		{"FOREIGN_SVG", "figure.svg", "plain text\n"},
		{"FOREIGN_JSONL", "data.jsonl", "{\"x\": 1}\n{\"x\": 2}\n"},
		{"NOT_A_DIR", "plain.txt", "a file\n"},
	} {
		if err := write(d.name, d.file, []byte(d.data)); err != nil {
			return nil, nil, err
		}
	}
	if err := os.Mkdir(path("DIR_NGM", "folder.ngm"), 0o755); err != nil {
		return nil, nil, err
	}
	if err := write("CENSUS_AS_NGM", "census.ngm", census); err != nil {
		return nil, nil, err
	}
	if err := syscall.Mkfifo(path("FIFO_PNG", "fifo.png"), 0o644); err != nil {
		return nil, nil, err
	}
	// PyTorch's files: a safetensors state dict and the numpy arrays it was
	// trained on (package pytorch's fixtures), and a truncated copy.
	st, err := os.ReadFile(filepath.Join("..", "..", "pytorch", "testdata", "mlp_tanh.safetensors"))
	if err != nil {
		return nil, nil, err
	}
	if err := write("SAFETENSORS", "mlp.safetensors", st); err != nil {
		return nil, nil, err
	}
	if err := write("SAFETENSORS_CUT", "cut.safetensors", st[:len(st)-100]); err != nil {
		return nil, nil, err
	}
	for _, a := range []string{"x", "y"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "pytorch", "testdata", a+".npy"))
		if err != nil {
			return nil, nil, err
		}
		if err := write("NPY_"+strings.ToUpper(a), a+".npy", raw); err != nil {
			return nil, nil, err
		}
	}
	if err := run("import", "--safetensors", fx["SAFETENSORS"], "--arch", "4-8-6-3", "--out", path("IMPORTED", "imported.ngm")); err != nil {
		return nil, nil, err
	}
	// CSV tables: a classification table with named classes, a regression
	// table, damaged ones, and models trained on the first two.
	var tbl, reg strings.Builder
	tbl.WriteString("sepal_length,sepal_width,petal_length,petal_width,species\n")
	reg.WriteString("x1,x2,y\n")
	for i := range 30 {
		fmt.Fprintf(&tbl, "%g,%g,%g,%g,%s\n", 5+float64(i%7)/3, 3+float64(i%5)/4, 1+float64(i%3), float64(i%4)/2, []string{"setosa", "versicolor", "virginica"}[i%3])
		fmt.Fprintf(&reg, "%g,%g,%g\n", float64(i%7)/3, float64(i%5)/4, float64(i%7)/3-float64(i%5)/2)
	}
	okTable := tbl.String()
	for _, d := range []struct{ name, data string }{
		{"TABLE", okTable},
		{"TABLE_REG", reg.String()},
		{"TABLE_EMPTY", ""},
		{"TABLE_HEADER_ONLY", "a,b,label\n"},
		{"TABLE_RAGGED", okTable + "5,3,1\n"},
		{"TABLE_TEXT", strings.Replace(okTable, "\n5,3,1,0,", "\n5,abc,1,0,", 1)},
		{"TABLE_NAN", okTable + "5,3,NaN,0,setosa\n"},
		{"TABLE_ONECLASS", "a,b,label\n1,2,x\n3,4,x\n"},
		{"TABLE_QUOTE", okTable + "5,3,1,0,\"setosa\n"},
	} {
		if err := write(d.name, strings.ToLower(d.name)+".csv", []byte(d.data)); err != nil {
			return nil, nil, err
		}
	}
	if err := run("train", "--data", "csv:"+fx["TABLE"], "--label-column", "species", "--arch", "4-5-3", "--steps", "20", "--out", path("MODEL_TABLE", "table.ngm")); err != nil {
		return nil, nil, err
	}
	if err := run("train", "--data", "csv:"+fx["TABLE_REG"], "--target", "y", "--arch", "2-5-1", "--steps", "20", "--out", path("MODEL_TABLE_REG", "table-reg.ngm")); err != nil {
		return nil, nil, err
	}
	// A census whose lock this process holds for the whole suite.
	if err := write("LOCKED", "locked.jsonl", census); err != nil {
		return nil, nil, err
	}
	lock, err := outfile.Acquire(fx["LOCKED"])
	return fx, lock, err
}

// fashionBaseNames are the four Fashion-MNIST files datasets looks for.
var fashionBaseNames = []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

var placeholder = regexp.MustCompile(`\$COPY\(([A-Z0-9_]+)\)|\$([A-Z][A-Z0-9_]*)`)

// expand replaces the placeholders of s (see the top of this file).
func expand(t *testing.T, s string, fx map[string]string, tmp string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		if name := sub[1]; name != "" {
			src, ok := fx[name]
			if !ok {
				t.Fatalf("no fixture %s", name)
			}
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(tmp, filepath.Base(src))
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return dst
		}
		switch name := sub[2]; name {
		case "TMP":
			return tmp
		case "PID":
			return strconv.Itoa(os.Getpid())
		default:
			p, ok := fx[name]
			if !ok {
				t.Fatalf("no fixture %s", name)
			}
			return p
		}
	})
}

// fixtureSums maps every fixture file to its SHA-256.
func fixtureSums(t *testing.T, fx map[string]string) map[string][32]byte {
	sums := map[string][32]byte{}
	for _, p := range fx {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			sums[p] = sha256.Sum256(data)
		}
	}
	return sums
}

func TestRobustness(t *testing.T) {
	fx := robustFixtures(t)
	cases := readRobustCases(t)
	if len(cases) < 80 {
		t.Errorf("%d cases; the suite promises at least 80", len(cases))
	}
	before := fixtureSums(t, fx)
	commands := map[string]bool{}
	for _, c := range cases {
		t.Run(fmt.Sprintf("line%d", c.line), func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			var args, env []string
			for _, a := range c.args {
				args = append(args, expand(t, a, fx, tmp))
			}
			for _, e := range c.env {
				env = append(env, expand(t, e, fx, tmp))
			}
			phrase := expand(t, c.phrase, fx, tmp)
			if c.outcome != "error" && !slices.Contains(args, "--format") {
				args = append(args, "--format", "json")
			}
			stdout, stderr, code := runCLIWithin(t, robustTimeout, tmp, env, args...)
			if testing.Verbose() {
				t.Logf("robustness.txt:%d: exit %d, stderr %q", c.line, code, stderr)
			}
			desc := fmt.Sprintf("robustness.txt:%d: netgeom %s", c.line, strings.Join(c.args, " "))
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("%s: crashed:\n%s", desc, stderr)
			}
			errLines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if stderr == "" {
				errLines = nil
			}
			for _, l := range errLines {
				if !strings.HasPrefix(l, "netgeom: ") {
					t.Errorf("%s: stderr line %q does not start with \"netgeom: \"", desc, l)
				}
			}
			switch c.outcome {
			case "error":
				if code != 1 || len(errLines) != 1 || !strings.Contains(stderr, phrase) {
					t.Errorf("%s: exit %d, stderr %q; want exit 1 and one line containing %q", desc, code, stderr, phrase)
				}
			case "warn", "ok":
				if code != 0 {
					t.Fatalf("%s: exit %d, stderr %q; want exit 0", desc, code, stderr)
				}
				if !json.Valid([]byte(stdout)) {
					t.Errorf("%s: stdout is not one JSON document:\n%s", desc, stdout)
				}
				if c.outcome == "warn" && !strings.Contains(stderr, phrase) {
					t.Errorf("%s: stderr %q; want a line containing %q", desc, stderr, phrase)
				}
				if c.outcome == "ok" && !strings.Contains(stdout, phrase) {
					t.Errorf("%s: stdout lacks %q:\n%s", desc, phrase, stdout)
				}
			}
		})
		for _, a := range c.args {
			if !strings.HasPrefix(a, "-") {
				commands[a] = true
				break
			}
		}
	}
	t.Cleanup(func() {
		after := fixtureSums(t, fx)
		for p, s := range before {
			if after[p] != s {
				t.Errorf("fixture %s changed during the suite", p)
			}
		}
		// Every command appears in the suite.
		for _, c := range newRootCmd().Commands() {
			if n := c.Name(); !commands[n] && n != "help" && n != "completion" && n != "__complete" && n != "__completeNoDesc" {
				t.Errorf("no case runs %s", n)
			}
		}
	})
}

// robustTimeout bounds each case: every one takes well under a second, and
// a hang must fail the case, not stall the suite.
const robustTimeout = 60 * time.Second

// runCLIWithin is runCLI with a time limit, in the folder dir.
func runCLIWithin(t *testing.T, limit time.Duration, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(append(os.Environ(), "NETGEOM_TEST_AS_MAIN=1"), env...)
	cmd.Dir = dir // a file written by default (census.jsonl, DATA.ngm) lands there
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("netgeom %s: still running after %v", strings.Join(args, " "), limit)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestEveryOutputIsChecked: every flag named out, plot or npy is an output flag
// (checked before the command runs), so that no command writes a file the
// check has not seen.
func TestEveryOutputIsChecked(t *testing.T) {
	for _, c := range newRootCmd().Commands() {
		for _, name := range []string{"out", "plot", "npy"} {
			if c.Flags().Lookup(name) != nil && !slices.Contains(outputFlagNames(c), name) {
				t.Errorf("%s --%s is not made by outputFlag", c.Name(), name)
			}
		}
	}
}

// TestConcurrentCensusRefused: while one census process runs, a second on
// the same file (with --resume, which used to append its records into the
// first one's file) exits at once naming the first one's PID. The first
// one, killed, leaves a stale lock file that does not stop a later
// --resume, which ends with every record once.
func TestConcurrentCensusRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "c.jsonl")
	args := []string{"census", "--data", "iris", "--budget", "100", "--depths", "1", "--adam-steps", "50", "--workers", "1", "--out", out}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	first := exec.Command(exe, append(args, "--restarts", "400")...)
	first.Env = append(os.Environ(), "NETGEOM_TEST_AS_MAIN=1")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	pid := strconv.Itoa(first.Process.Pid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(out + ".lock"); strings.TrimSpace(string(b)) == pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first census never took its lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, stderr, code := runCLIWithin(t, robustTimeout, dir, nil, append(args, "--restarts", "400", "--resume")...)
	if code != 1 || !strings.Contains(stderr, "c.jsonl is in use by process "+pid) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("second census: exit %d, stderr %q; want exit 1 and one line naming process %s", code, stderr, pid)
	}
	first.Process.Kill()
	first.Wait()
	if _, err := os.Stat(out + ".lock"); err != nil {
		t.Fatalf("a killed census leaves its lock file behind, stale: %v", err)
	}
	_, stderr, code = runCLIWithin(t, robustTimeout, dir, nil, append(args, "--restarts", "3", "--resume", "--format", "json")...)
	if code != 0 {
		t.Fatalf("resume after the kill: exit %d: %s", code, stderr)
	}
	c, err := landscape.ReadCensus(out)
	if err != nil {
		t.Fatal(err)
	}
	for r := range 3 {
		if _, ok := c.Find(1, r); !ok {
			t.Errorf("restart %d missing from the resumed census", r)
		}
	}
	if _, err := os.Stat(out + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the finished census left its lock file: %v", err)
	}
}
