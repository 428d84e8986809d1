package cpu

import (
	"sync"
	"unsafe"
)

// The pool keeps large freed buffers for the next Alloc of the same length.
// A pass over a batch allocates its buffers afresh at every call (a random
// network's Run, a chunk of a curve); a fresh large buffer costs page
// faults on first touch (about 40 ms for 25 MB on a virtual machine) and
// its share of garbage collection, where a pooled one costs a clear (2 ms).
// The pool holds buffers of one length at a time, at most poolMax bytes:
// an Alloc of a length it does not hold empties it, so that it never keeps
// memory a run has moved on from.
const (
	poolMin = 1 << 20 // bytes: smaller buffers come from Go's allocator
	poolMax = 512 << 20
)

type pool[F float32 | float64] struct {
	mu   sync.Mutex
	n    int   // the length of the buffers held
	bufs [][]F // each of length n
}

// take returns a pooled buffer of length n (not cleared), or nil and
// empties the pool when it holds buffers of another length.
func (p *pool[F]) take(n int) []F {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n != n {
		p.n, p.bufs = n, nil
		return nil
	}
	k := len(p.bufs)
	if k == 0 {
		return nil
	}
	x := p.bufs[k-1]
	p.bufs[k-1] = nil
	p.bufs = p.bufs[:k-1]
	return x
}

// put keeps x when it has the pool's length and there is room, and
// reports whether it did.
func (p *pool[F]) put(x []F) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	var z F
	n, size := len(x), int(unsafe.Sizeof(z))
	if n == 0 || n != cap(x) || n*size < poolMin || (n != p.n && len(p.bufs) > 0) || (len(p.bufs)+1)*n*size > poolMax {
		return false
	}
	p.n = n
	p.bufs = append(p.bufs, x)
	return true
}

// empty drops every pooled buffer.
func (p *pool[F]) empty() {
	p.mu.Lock()
	p.bufs = nil
	p.mu.Unlock()
}
