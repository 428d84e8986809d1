package outfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var testKind = Kind{Name: "test file", Exts: []string{".tst"}, Is: func(_ string, head []byte) bool { return bytes.HasPrefix(head, []byte("TST")) }}

// entries lists dir's names, hidden ones included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestWriteReplacesWholeOrNothing: a failing writer leaves the old file
// as it was and no temporary file behind; a successful one replaces it,
// keeping its permissions.
func TestWriteReplacesWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.tst")
	if err := os.WriteFile(path, []byte("TST old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("x"), 1<<17)) // more than the buffer: bytes reach the temporary file
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("failing writer: err = %v; want boom, naming %s", err, path)
	}
	if got, _ := os.ReadFile(path); string(got) != "TST old" {
		t.Errorf("after a failed write the file holds %q; want the old content", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("after a failed write the folder holds %v; want only a.tst", names)
	}
	if err := WriteFile(path, []byte("TST new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "TST new" {
		t.Errorf("file holds %q; want the new content", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("replaced file has mode %v; want the old 0640", st.Mode().Perm())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("after a write the folder holds %v; want only a.tst", names)
	}
}

// TestWriteThroughLink: writing to a symbolic link replaces its target and
// leaves the link; a directory is refused.
func TestWriteThroughLink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target.tst"), filepath.Join(dir, "link.tst")
	os.WriteFile(target, []byte("TST old"), 0o644)
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if err := WriteFile(link, []byte("TST new")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "TST new" {
		t.Errorf("target holds %q", got)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	if err := WriteFile(dir, nil); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("writing a directory: %v", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own, foreign, empty := write("own.tst", "TST data"), write("foreign.tst", "{\"format\":\"x\"}\nmore"), write("empty.tst", "")
	plain := write("plain.txt", "x")
	for _, c := range []struct {
		path   string
		force  bool
		exists bool
		want   string // "" for no error
	}{
		{filepath.Join(dir, "new.tst"), false, false, ""},
		{own, false, true, ""},
		{empty, false, true, ""},
		{foreign, true, true, ""},
		{foreign, false, true, `exists and is not a test file (it starts with "{\"format\":\"x\"}")`},
		{filepath.Join(dir, "new.png"), false, false, `unknown extension ".png": use .tst`},
		{filepath.Join(dir, "new"), false, false, "no extension: name the file .tst"},
		{dir, false, false, "is a directory"},
		{filepath.Join(dir, "sub.tst") + "/", false, false, "names a directory"},
		{filepath.Join(dir, "none", "a.tst"), false, false, "folder " + filepath.Join(dir, "none") + " does not exist"},
		{filepath.Join(plain, "a.tst"), false, false, plain + " is not a folder"},
		{"", false, false, "empty file name"},
		{"/dev/null", false, false, "not a regular file"},
	} {
		exists, err := Check(c.path, testKind, c.force)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Check(%q, force %v): %v", c.path, c.force, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("Check(%q, force %v): err = %v; want one containing %q", c.path, c.force, err, c.want)
		case err == nil && exists != c.exists:
			t.Errorf("Check(%q): exists = %v", c.path, exists)
		}
	}
	var fe *ForeignError
	if _, err := Check(foreign, testKind, false); !errors.As(err, &fe) {
		t.Errorf("a foreign file's error %v is not a *ForeignError", err)
	}
	// A folder nobody may write in (sysfs refuses new files even to root).
	if st, err := os.Stat("/sys/kernel"); err == nil && st.IsDir() {
		if _, err := Check("/sys/kernel/netgeom.tst", testKind, false); err == nil || !strings.Contains(err.Error(), "cannot write in folder /sys/kernel") {
			t.Errorf("Check in /sys/kernel: %v", err)
		}
	}
	if entries := entries(t, dir); len(entries) != 4 {
		t.Errorf("Check left files behind: %v", entries)
	}
}

// TestLock: a second lock on a held file fails at once naming the holder's
// PID (flock conflicts between two open files of one process as between
// processes); released, the lock can be taken again and its file is gone;
// a stale lock file (its holder killed) does not block.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.jsonl")
	l, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path + ".lock"); strings.TrimSpace(string(got)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q; want this process's ID %d", got, os.Getpid())
	}
	_, err = Acquire(path)
	var he *HeldError
	if !errors.As(err, &he) || he.PID != os.Getpid() || !strings.Contains(err.Error(), "in use by process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second Acquire: %v; want a HeldError naming PID %d", err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left after Release: %v", err)
	}
	os.WriteFile(path+".lock", []byte("999999999\n"), 0o644) // left by a killed holder
	l, err = Acquire(path)
	if err != nil {
		t.Fatalf("a stale lock file blocked: %v", err)
	}
	if got, _ := os.ReadFile(path + ".lock"); strings.TrimSpace(string(got)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("stale lock file not rewritten: %q", got)
	}
	// Another name of the same file shares its lock.
	link := filepath.Join(dir, "link.jsonl")
	os.WriteFile(path, nil, 0o644)
	if err := os.Symlink(path, link); err == nil {
		if _, err := Acquire(link); !errors.As(err, &he) {
			t.Errorf("lock through a link: %v; want HeldError", err)
		}
	}
	l.Release()
}

// TestCheckReadOnly: a read-only file is not replaced (the rename would
// go through, the folder being writable). Root may write any file, so the
// test needs another user.
func TestCheckReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write a read-only file")
	}
	path := filepath.Join(t.TempDir(), "ro.tst")
	os.WriteFile(path, []byte("TST"), 0o444)
	if _, err := Check(path, testKind, true); err == nil || !strings.Contains(err.Error(), "cannot be written") {
		t.Errorf("read-only file: %v", err)
	}
}
