package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/netgeom/netgeom/energy"
)

// mullerBrownGraph maps Müller-Brown: basin-hopping for its minima, a
// Connect between every pair for its transition states, and the graph at
// 12 levels from -30 down.
func mullerBrownGraph(t *testing.T) (*energy.Database, *energy.Graph) {
	t.Helper()
	obj := energy.MullerBrown()
	db, err := energy.NewDatabase(energy.Header{Dim: 2, EnergyTol: 1e-6, DistanceTol: 1e-4, Objective: "Müller-Brown"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := energy.BasinHop(context.Background(), obj, []float64{0.2, 0.3}, db, energy.HopOptions{Seed: 1, Steps: 1000, Patience: 300, StepSize: 1, Temperature: 40}); err != nil {
		t.Fatal(err)
	}
	n := len(db.Minima())
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			if _, err := energy.Connect(obj, db, a, b, energy.ConnectOptions{Search: energy.SearchOptions{MaxStep: 0.05}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e, _ := db.Energies()
	g, err := db.Graph(energy.EvenLevels(e, -30, 12))
	if err != nil {
		t.Fatal(err)
	}
	return db, g
}

// TestDisconnectivityPlot: the Müller-Brown graph, leaves coloured by the
// log-determinant of the Hessian, draws as PNG and SVG, and without
// colours; an empty graph and too few colours are errors.
func TestDisconnectivityPlot(t *testing.T) {
	db, g := mullerBrownGraph(t)
	var logdet []float64
	for _, m := range db.Minima() {
		logdet = append(logdet, m.LogAbsDet)
	}
	dir := t.TempDir()
	for ext, magic := range map[string][]byte{".png": []byte("\x89PNG"), ".svg": []byte("<?xml")} {
		path := filepath.Join(dir, "dg"+ext)
		if err := DisconnectivityPlot(path, g, DisconnectivityStyle{Title: "Müller-Brown", Color: logdet, ColorLabel: "log det H"}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, magic) {
			t.Errorf("%s: %v, starts %q", path, err, b[:min(8, len(b))])
		}
	}
	if err := DisconnectivityPlot(filepath.Join(dir, "plain.png"), g, DisconnectivityStyle{}); err != nil {
		t.Error(err)
	}
	if err := DisconnectivityPlot(filepath.Join(dir, "x.png"), &energy.Graph{}, DisconnectivityStyle{}); err == nil {
		t.Error("an empty graph: no error")
	}
	if err := DisconnectivityPlot(filepath.Join(dir, "x.png"), g, DisconnectivityStyle{Color: []float64{1}}); err == nil {
		t.Error("one colour for three minima: no error")
	}
}
