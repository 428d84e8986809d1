package main

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

type finiteInner struct {
	X float64   `json:"x"`
	Y []float64 `json:"y,omitempty"`
}

type finiteOuter struct {
	finiteInner
	Name  string              `json:"name"`
	P     *float64            `json:"p"`
	Rows  []finiteInner       `json:"rows"`
	M     map[string]float64  `json:"m,omitempty"`
	Xi    jsonFloat           `json:"xi"`
	Skip  float64             `json:"-"`
	Empty []int               `json:"empty,omitempty"`
	Deep  map[string][]string `json:"deep"`
}

// TestNonFiniteResults: the first Inf or NaN of a result is found with its
// JSON path, a jsonFloat (which writes an infinity on purpose) and fields
// not in the JSON are left alone, and the sanitised result encodes exactly
// as encoding/json encodes a finite one, with the non-finite numbers as
// marked strings.
func TestNonFiniteResults(t *testing.T) {
	p := 2.5
	v := finiteOuter{finiteInner: finiteInner{X: 1, Y: []float64{2}}, Name: "n", P: &p,
		Rows: []finiteInner{{X: 3}, {X: 4, Y: []float64{5, 6}}}, Xi: jsonFloat(math.Inf(1)), Skip: math.NaN(),
		Deep: map[string][]string{"a": {"b"}}}
	if path, _ := nonFinite(v); path != "" {
		t.Errorf("a finite result reported non-finite at %s", path)
	}
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(sanitize(reflect.ValueOf(v)))
	if err != nil || string(got) != string(want) {
		t.Errorf("sanitised\n%s\nencoding/json\n%s (%v)", got, want, err)
	}
	v.Rows[1].Y[1] = math.Inf(-1)
	v.M = map[string]float64{"k": math.NaN()}
	if path, x := nonFinite(v); path != "rows[1].y[1]" || !math.IsInf(x, -1) {
		t.Errorf("first non-finite at %q (%v), want rows[1].y[1]", path, x)
	}
	got, err = json.Marshal(sanitize(reflect.ValueOf(&v)))
	if err != nil || !json.Valid(got) {
		t.Fatalf("%s: %v", got, err)
	}
	var back map[string]any
	json.Unmarshal(got, &back)
	if y := back["rows"].([]any)[1].(map[string]any)["y"].([]any)[1]; y != "overflow" {
		t.Errorf("rows[1].y[1] encoded as %v, want \"overflow\"", y)
	}
	if back["m"].(map[string]any)["k"] != "NaN" {
		t.Errorf("m.k encoded as %v, want \"NaN\"", back["m"])
	}
}
