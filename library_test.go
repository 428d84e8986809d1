package netgeom_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// libraryProgram turns Example (example_test.go) into the stand-alone
// program the README shows: package main, func main, without the Output
// comment; it returns the program and the expected output.
func libraryProgram(t *testing.T) (program, output string) {
	t.Helper()
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i := strings.Index(s, "\t// Output:\n")
	if i < 0 {
		t.Fatal("example_test.go has no Output block")
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSuffix(s[i:], "\n"), "\n")[1:] {
		if l == "}" {
			break
		}
		want = append(want, strings.TrimPrefix(l, "\t// "))
	}
	s = s[:i] + "}\n"
	s = strings.Replace(s, "package netgeom_test", "package main", 1)
	s = regexp.MustCompile(`(?s)// The library in one program.*?\nfunc Example\(\) \{`).ReplaceAllString(s, "func main() {")
	return s, strings.Join(want, "\n") + "\n"
}

// TestLibraryFromAnotherModule: a separate module that imports netgeom
// by its module path (through a replace directive to this checkout, as a
// user's go.mod would before the module is published) builds and runs the
// README's library program, which prints exactly Example's output; and the
// README shows that program verbatim.
func TestLibraryFromAnotherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a separate module")
	}
	program, want := libraryProgram(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```go\n"+program+"```\n")) {
		t.Errorf("README.md does not show the library program (Example in example_test.go as package main):\n%s", program)
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/netgeomuser\n\ngo 1.26\n\nrequire github.com/netgeom/netgeom v0.0.0\n\nreplace github.com/netgeom/netgeom => " + root + "\n"
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(program)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goTool, "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run in a separate module: %v\n%s", err, errb.String())
	}
	if out.String() != want {
		t.Errorf("the separate module printed\n%s\nExample's output is\n%s", out.String(), want)
	}
}
