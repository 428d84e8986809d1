// Package outfile is how netgeom writes files: every output is checked
// before any work starts (Check), written whole or not at all (Write), and
// files that are appended to during a run are held under an exclusive lock
// (Acquire), so that an output is never lost, half-written or spliced.
package outfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Kind describes the files a writer writes.
type Kind struct {
	// Name says what the files are, in error messages: "netgeom model".
	Name string
	// Exts are the extensions the writer supports, lower case with the
	// dot (".png"); the writer picks the format by them or the files are
	// always of one format. Empty: any name.
	Exts []string
	// Is recognises an existing file of this kind by its extension and
	// its first bytes (up to HeadBytes of them; never empty). Check
	// refuses to replace an existing file that Is rejects, unless forced.
	// nil: any file may be replaced.
	Is func(ext string, head []byte) bool
}

// HeadBytes is how much of an existing file Check reads to recognise it.
const HeadBytes = 512

// ForeignError is Check's error about an existing file that is not of the
// writer's kind.
type ForeignError struct {
	Kind string // the Kind's Name
	Head []byte // the start of the file's first line
}

func (e *ForeignError) Error() string {
	return fmt.Sprintf("exists and is not a %s (it starts with %q)", e.Kind, e.Head)
}

// Check tells whether path can be written as a file of kind k, without
// writing it: the name has one of k's extensions, it is not a directory
// nor any other non-regular file, its folder exists and a file can be
// created there, an existing file may be written (not read-only), and an
// existing non-empty file is of kind k (unless force; else the error is a
// *ForeignError). It returns whether
// path exists (so that the caller can say it replaced it). The errors do
// not repeat path; the caller names it.
func Check(path string, k Kind, force bool) (exists bool, err error) {
	if path == "" {
		return false, errors.New("empty file name")
	}
	if os.IsPathSeparator(path[len(path)-1]) {
		return false, errors.New("names a directory; give a file name")
	}
	ext := strings.ToLower(filepath.Ext(path))
	st, statErr := os.Stat(path)
	if errors.Is(statErr, syscall.ENOTDIR) {
		statErr = os.ErrNotExist // a "folder" on the way is a file: checkDir says so
	}
	switch {
	case statErr == nil && st.IsDir():
		return false, errors.New("is a directory; give a file name")
	case statErr == nil && !st.Mode().IsRegular():
		return false, fmt.Errorf("is not a regular file (%s); give a file name", st.Mode().Type())
	case statErr != nil && !errors.Is(statErr, os.ErrNotExist):
		return false, unwrapPath(statErr)
	}
	if len(k.Exts) > 0 && !slices.Contains(k.Exts, ext) {
		if ext == "" {
			return false, fmt.Errorf("no extension: name the file %s", strings.Join(k.Exts, " or "))
		}
		return false, fmt.Errorf("unknown extension %q: use %s", filepath.Ext(path), strings.Join(k.Exts, " or "))
	}
	if dir := filepath.Dir(path); statErr != nil {
		// A new file: its folder must exist and take a file.
		if err := checkDir(dir); err != nil {
			return false, err
		}
		return false, nil
	}
	// An existing file: the rename that replaces it needs its folder
	// writable; it must be writable itself, and of this kind.
	if err := syscall.Access(path, 2 /* W_OK */); err != nil {
		return true, fmt.Errorf("exists and cannot be written (%v)", err)
	}
	if err := checkDir(filepath.Dir(resolve(path))); err != nil {
		return true, err
	}
	if k.Is == nil || force || st.Size() == 0 {
		return true, nil
	}
	head, err := ReadHead(path)
	if err != nil {
		return true, fmt.Errorf("exists and cannot be read to check what it is: %w", unwrapPath(err))
	}
	if !k.Is(ext, head) {
		return true, &ForeignError{Kind: k.Name, Head: preview(head)}
	}
	return true, nil
}

// checkDir checks that dir is an existing folder in which a file can be
// created, by creating and removing one.
// CheckDir tells whether dir can take the files of an output folder (a
// report): an existing folder that takes files, or a new one whose parent
// exists and takes them; a file in its place is refused. It creates
// nothing.
func CheckDir(dir string) error {
	if dir == "" {
		return errors.New("empty folder name")
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return errors.New("is a file, not a folder")
	case err == nil:
		return checkDir(dir)
	case errors.Is(err, os.ErrNotExist):
		return checkDir(filepath.Dir(filepath.Clean(dir)))
	}
	return unwrapPath(err)
}

func checkDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("folder %s does not exist", dir)
		}
		return fmt.Errorf("folder %s: %v", dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := createTemp(dir, "write-check")
	if err != nil {
		return fmt.Errorf("cannot write in folder %s: %v", dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("folder %s: %v", dir, unwrapPath(err))
	}
	return nil
}

// ReadHead returns the first HeadBytes bytes of the file at path (fewer
// when it is shorter), by which a kind recognises its files.
func ReadHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, HeadBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// preview is the start of a file for a message: its first line, at most 24
// bytes.
func preview(head []byte) []byte {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	if len(head) > 24 {
		head = head[:24]
	}
	return head
}

// unwrapPath returns the system error inside a *PathError or *LinkError
// (the caller names the path itself).
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// resolve returns path with its symbolic links followed, or path itself
// when that fails (it does not exist yet).
func resolve(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return path
}

// createTemp creates a new file for writing in dir, named after base and
// hidden, with permissions 0666 less the umask (os.CreateTemp makes 0600).
func createTemp(dir, base string) (*os.File, error) {
	var err error
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		var f *os.File
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
	}
	return nil, err
}

// Write writes a file atomically: fill writes its content to a new file in
// path's folder, which is synced to disk and renamed onto path (through
// symbolic links: a link's target is replaced). A reader sees the old file
// or the whole new one, never a part; if fill or any step fails, path is
// untouched and the temporary file removed. A replaced file keeps its
// permissions; a new one gets 0666 less the umask.
func Write(path string, fill func(w io.Writer) error) (err error) {
	target := resolve(path)
	mode := os.FileMode(0)
	if st, err := os.Stat(target); err == nil {
		if st.IsDir() {
			return fmt.Errorf("write %s: is a directory", path)
		}
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(target)
	tmp, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPath(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			// Errors about the temporary file name the file being written.
			err = fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if mode != 0 {
		if err := tmp.Chmod(mode); err != nil {
			return err
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// WriteFile writes data to path atomically (see Write).
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// syncDir makes a rename in dir durable (best effort: not every file
// system can sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
