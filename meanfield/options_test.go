package meanfield

import (
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
)

// TestOptionsRefuseNegatives: zero options mean the defaults, negative
// ones are refused (they used to mean the defaults too, silently).
func TestOptionsRefuseNegatives(t *testing.T) {
	tanh, _ := activation.Lookup("tanh")
	if _, err := New(tanh, 2, 0, Options{}); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Tol: -1}, "tolerance -1"},
		{Options{MaxIter: -5}, "MaxIter -5"},
		{Options{CriticalTol: -1e-8}, "CriticalTol -1e-08"},
	} {
		if _, err := New(tanh, 2, 0, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v; want %q", c.o, err, c.want)
		}
	}
}
