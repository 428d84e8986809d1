package energy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/internal/outfile"
)

// TestDatabaseFile: a basin-hopping run and two Connects on Müller-Brown
// written to a file read back as the same database (minima, transition
// states and hits, every float exact: JSON's shortest decimal form
// round-trips); a half-written last line is dropped on resume and the
// database continues; a different header is refused; an existing file is
// not overwritten unless asked.
func TestDatabaseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mb.jsonl")
	h := Header{Dim: 2, EnergyTol: 1e-6, DistanceTol: 1e-4, Objective: "Müller-Brown"}
	db, err := OpenDatabase(path, h, nil, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj := MullerBrown()
	if _, err := BasinHop(context.Background(), obj, []float64{0.2, 0.3}, db, HopOptions{Seed: 1, Steps: 1000, Patience: 300, StepSize: 1, Temperature: 40}); err != nil {
		t.Fatal(err)
	}
	for _, pr := range [][2]int{{0, 1}, {1, 2}} {
		if _, err := Connect(obj, db, pr[0], pr[1], ConnectOptions{Search: SearchOptions{MaxStep: 0.05}}); err != nil {
			t.Fatal(err)
		}
	}
	var held *outfile.HeldError
	if _, err := OpenDatabase(path, h, nil, FileOptions{Resume: true}); !errors.As(err, &held) {
		t.Errorf("a second open while the first holds the lock: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDatabase(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Minima(), db.Minima()) || !reflect.DeepEqual(back.TransitionStates(), db.TransitionStates()) {
		t.Fatalf("read back differs:\n%+v\n%+v\nagainst\n%+v\n%+v", back.Minima(), back.TransitionStates(), db.Minima(), db.TransitionStates())
	}
	if len(db.Minima()) != 3 || len(db.TransitionStates()) != 2 {
		t.Fatalf("%d minima, %d transition states; want 3 and 2", len(db.Minima()), len(db.TransitionStates()))
	}
	if _, err := OpenDatabase(path, h, nil, FileOptions{}); err == nil {
		t.Error("an existing file opened without Resume or Overwrite")
	}
	h2 := h
	h2.EnergyTol = 1e-3
	if _, err := OpenDatabase(path, h2, nil, FileOptions{Resume: true}); err == nil || !strings.Contains(err.Error(), "energy_tol") {
		t.Errorf("resume with another energy tolerance: %v", err)
	}
	// A killed writer's half line.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"hit":`)
	f.Close()
	hits := db.Hits()
	db2, err := OpenDatabase(path, h, nil, FileOptions{Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(db2.Hits(), hits) {
		t.Errorf("resumed hits %v, want %v", db2.Hits(), hits)
	}
	if _, _, err := db2.AddMinimum(db.Minima()[0].Point); err != nil {
		t.Fatal(err)
	}
	db2.Close()
	back, err = ReadDatabase(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hits[0]++
	if !reflect.DeepEqual(back.Hits(), hits) {
		t.Errorf("after resume and one more hit: %v, want %v", back.Hits(), hits)
	}
	// A malformed line before the last is an error.
	raw, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(raw), "\n")
	lines[1] = "{\"nonsense\":1}\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	if _, err := ReadDatabase(path, nil); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a malformed second line: %v", err)
	}
}
