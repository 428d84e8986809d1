package cpu

import "testing"

// TestPoolReuse: a freed large buffer comes back from the next Alloc of
// its length, cleared to zero as every Alloc must be; an Alloc of another
// length empties the pool; small buffers and buffers beyond the pool's cap
// are not kept; Close empties it.
func TestPoolReuse(t *testing.T) {
	b := &kernels[float64]{threads: 2}
	n := poolMin / 8 * 3 // three chunks of elementwise work: the clear runs in parallel
	x, err := b.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		x[i] = 7
	}
	if err := b.Free(x); err != nil {
		t.Fatal(err)
	}
	y, _ := b.Alloc(n)
	if &y[0] != &x[0] {
		t.Fatal("the freed buffer was not reused")
	}
	for i, v := range y {
		if v != 0 {
			t.Fatalf("reused buffer [%d] = %v; Alloc must return zeros", i, v)
		}
	}
	b.Free(y)
	z, _ := b.Alloc(n + 1) // another length: the pool lets go
	if len(b.pool.bufs) != 0 || &z[0] == &x[0] {
		t.Fatalf("an Alloc of another length left %d pooled buffers", len(b.pool.bufs))
	}
	small := make([]float64, poolMin/8-1)
	if b.pool.put(small) {
		t.Error("a buffer under poolMin was pooled")
	}
	b.pool.empty()
	big := poolMax / 8 / 2
	if !b.pool.put(make([]float64, big)) || !b.pool.put(make([]float64, big)) || b.pool.put(make([]float64, big)) {
		t.Errorf("the pool keeps %d buffers of %d bytes; want 2 under its cap of %d", len(b.pool.bufs), big*8, poolMax)
	}
	if b.pool.put(make([]float64, big+1)) {
		t.Error("a buffer of another length joined a non-empty pool")
	}
	b.Close()
	if len(b.pool.bufs) != 0 {
		t.Error("Close left pooled buffers")
	}
}
