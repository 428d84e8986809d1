package options

import (
	"errors"
	"io"
	"testing"
)

func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		e    *Error
		want string
	}{
		{&Error{Op: "manifold.Carve", Field: "Width", Value: 1, Want: "want at least 2"}, "manifold.Carve: Width 1: want at least 2"},
		{&Error{Op: "landscape.Connect", Field: "Data", Value: "wine", Want: "want iris"}, `landscape.Connect: Data "wine": want iris`},
		{&Error{Op: "landscape.Connect", Field: "WeightDecay", Want: "give the objective's"}, "landscape.Connect: WeightDecay: give the objective's"},
		{&Error{Op: "x.Y", Field: "Act", Value: "tanhh", Want: "want a known activation", Err: io.EOF}, `x.Y: Act "tanhh": want a known activation: EOF`},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	var e *Error
	err := error(&Error{Op: "a", Field: "b", Err: io.EOF})
	if !errors.As(err, &e) || !errors.Is(err, io.EOF) {
		t.Error("errors.As/Is do not see through *Error")
	}
}
