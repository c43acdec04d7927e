package inventory

import (
	"math"
	"time"
)

// A VM's stats history is kept in tiers of fixed-size rings: every tick for
// the last minutes, then averages over longer and longer buckets, so that a
// day of history costs about as much memory as five minutes did when every
// tick was kept as a Sample (pointers and all). A ring point is 40 bytes;
// with the default tiers a VM holds at most 414 of them (16.6 KB).

// Tier is one resolution of the stats history: points Step apart, as many
// as cover Span.
type Tier struct {
	Step time.Duration
	Span time.Duration
}

// TierInfo is a Tier as the API shows it, in seconds.
type TierInfo struct {
	StepSeconds int64 `json:"stepSeconds"`
	SpanSeconds int64 `json:"spanSeconds"`
}

// HistoryInfo says how far a VM's history goes: the tiers kept and the
// oldest sample actually held (absent when none).
type HistoryInfo struct {
	Tiers  []TierInfo `json:"tiers"`
	Oldest *time.Time `json:"oldest,omitempty"`
}

// DefaultTiers keeps every tick (at the inventory's Interval) for 5 minutes,
// 30-second averages for an hour and 10-minute averages for a day.
func DefaultTiers(interval time.Duration) []Tier {
	return []Tier{
		{Step: interval, Span: 5 * time.Minute},
		{Step: 30 * time.Second, Span: time.Hour},
		{Step: 10 * time.Minute, Span: 24 * time.Hour},
	}
}

// point is one compact sample: NaN marks a value the tick did not have,
// memory is in KiB (uint32 holds up to 4 TiB), 0 meaning "not reported".
type point struct {
	unixMs                    int64
	cpu, dr, dw, rx, tx       float32
	memUsed, memTotal, memRSS uint32
}

func f32(p *float64) float32 {
	if p == nil {
		return float32(math.NaN())
	}
	return float32(*p)
}

func kib32(v uint64) uint32 { return uint32(min(v, math.MaxUint32)) }

func toPoint(s Sample) point {
	return point{
		unixMs: s.Time.UnixMilli(),
		cpu:    f32(s.CPUPercent), dr: f32(s.DiskReadBps), dw: f32(s.DiskWriteBps), rx: f32(s.NetRxBps), tx: f32(s.NetTxBps),
		memUsed: kib32(s.MemoryUsedKiB), memTotal: kib32(s.MemoryTotalKiB), memRSS: kib32(s.MemoryRSSKiB),
	}
}

func ptr(v float32) *float64 {
	if math.IsNaN(float64(v)) {
		return nil
	}
	f := float64(v)
	return &f
}

func (p point) sample() Sample {
	return Sample{
		Time:       time.UnixMilli(p.unixMs).UTC(),
		CPUPercent: ptr(p.cpu), DiskReadBps: ptr(p.dr), DiskWriteBps: ptr(p.dw), NetRxBps: ptr(p.rx), NetTxBps: ptr(p.tx),
		MemoryUsedKiB: uint64(p.memUsed), MemoryTotalKiB: uint64(p.memTotal), MemoryRSSKiB: uint64(p.memRSS),
	}
}

// ring is a fixed-capacity ring of points, oldest first after unwrap. Its
// slice grows up to its capacity as points come, so a VM that ran for a
// minute does not hold a day's worth of memory.
type ring struct {
	pts  []point
	next int
}

func (r *ring) add(p point, capacity int) {
	if len(r.pts) < capacity {
		if len(r.pts) == cap(r.pts) {
			// Grow by hand: append's doubling would overshoot the
			// capacity (150 points would take 256).
			grown := make([]point, len(r.pts), min(capacity, max(16, 2*cap(r.pts))))
			copy(grown, r.pts)
			r.pts = grown
		}
		r.pts = append(r.pts, p)
		return
	}
	r.pts[r.next] = p
	r.next = (r.next + 1) % capacity
}

// each calls fn with the points oldest first.
func (r *ring) each(fn func(point)) {
	for _, p := range r.pts[r.next:] {
		fn(p)
	}
	for _, p := range r.pts[:r.next] {
		fn(p)
	}
}

func (r *ring) oldest() (point, bool) {
	if len(r.pts) == 0 {
		return point{}, false
	}
	return r.pts[r.next%len(r.pts)], true
}

// bucket averages the points of one step of a coarser tier. Each field is
// averaged over the points that had it.
type bucket struct {
	start int64 // unix ms of the bucket's start
	used  bool
	sum   [8]float64
	n     [8]uint16
}

func (b *bucket) add(p point) {
	for i, v := range [8]float64{float64(p.cpu), float64(p.dr), float64(p.dw), float64(p.rx), float64(p.tx),
		float64(p.memUsed), float64(p.memTotal), float64(p.memRSS)} {
		if math.IsNaN(v) || (i >= 5 && v == 0) {
			continue
		}
		b.sum[i] += v
		b.n[i]++
	}
}

// point returns the bucket's average, stamped with the bucket's end (the
// time its last tick could have been taken).
func (b *bucket) point(step int64) point {
	avg := func(i int) float64 {
		if b.n[i] == 0 {
			return math.NaN()
		}
		return b.sum[i] / float64(b.n[i])
	}
	mem := func(i int) uint32 {
		if b.n[i] == 0 {
			return 0
		}
		return uint32(math.Round(avg(i)))
	}
	return point{
		unixMs: b.start + step,
		cpu:    float32(avg(0)), dr: float32(avg(1)), dw: float32(avg(2)), rx: float32(avg(3)), tx: float32(avg(4)),
		memUsed: mem(5), memTotal: mem(6), memRSS: mem(7),
	}
}

// history is one VM's tiers: rings[0] takes every tick, rings[i] the
// averages of buckets[i-1], each bucket fed by the closed buckets of the
// tier below it (whole multiples of its step).
type history struct {
	rings   []ring
	buckets []bucket
}

func newHistory(tiers int) *history {
	return &history{rings: make([]ring, tiers), buckets: make([]bucket, max(0, tiers-1))}
}

// add records one tick in the finest tier and folds it into the coarser ones.
func (h *history) add(s Sample, tiers []Tier) {
	p := toPoint(s)
	h.rings[0].add(p, capacity(tiers[0]))
	if len(tiers) > 1 {
		h.fold(1, p, p.unixMs, tiers)
	}
}

// fold adds p, taken at time at (unix ms), to tier i's bucket, first closing
// that bucket into ring i (and folding the closed average into tier i+1)
// when at belongs to a later bucket.
func (h *history) fold(i int, p point, at int64, tiers []Tier) {
	step := tiers[i].Step.Milliseconds()
	b := &h.buckets[i-1]
	start := at - at%step
	if b.used && b.start != start {
		closed := b.point(step)
		*b = bucket{}
		h.rings[i].add(closed, capacity(tiers[i]))
		if i+1 < len(tiers) {
			// Stamped with its bucket's end: 1 ms earlier is inside it.
			h.fold(i+1, closed, closed.unixMs-1, tiers)
		}
	}
	b.start, b.used = start, true
	b.add(p)
}

func capacity(t Tier) int { return max(1, int(t.Span/t.Step)) }

// samples returns the points newer than since, oldest first: each tier
// only for the time before the next finer tier's oldest point, so that
// recent minutes keep their full resolution.
func (h *history) samples(since time.Time) []Sample {
	cut := since.UnixMilli()
	var out []Sample
	for i := len(h.rings) - 1; i >= 0; i-- {
		until := int64(math.MaxInt64)
		for j := i - 1; j >= 0; j-- {
			if o, ok := h.rings[j].oldest(); ok {
				until = o.unixMs
				break
			}
		}
		h.rings[i].each(func(p point) {
			if p.unixMs >= cut && p.unixMs < until {
				out = append(out, p.sample())
			}
		})
	}
	if out == nil {
		out = []Sample{}
	}
	return out
}

// oldestTime is the time of the oldest point held, zero when none.
func (h *history) oldestTime() time.Time {
	var t int64
	for i := range h.rings {
		if o, ok := h.rings[i].oldest(); ok && (t == 0 || o.unixMs < t) {
			t = o.unixMs
		}
	}
	if t == 0 {
		return time.Time{}
	}
	return time.UnixMilli(t).UTC()
}
