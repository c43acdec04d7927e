package inventory

import (
	"math"
	"testing"
	"time"
)

func at(sec int) time.Time {
	return time.Unix(1_699_999_200, 0). /* a whole hour */ UTC().Add(time.Duration(sec) * time.Second)
}

func cpuSample(sec int, cpu float64) Sample {
	return Sample{Time: at(sec), CPUPercent: &cpu, MemoryUsedKiB: 1000, MemoryTotalKiB: 4000, MemoryRSSKiB: 5000}
}

// Every tick is kept in the finest tier; older ticks live on as averages,
// and a read returns each tier only before the next finer one begins.
func TestHistoryTiers(t *testing.T) {
	tiers := []Tier{{Step: 2 * time.Second, Span: 20 * time.Second}, {Step: 10 * time.Second, Span: 60 * time.Second}, {Step: 30 * time.Second, Span: 300 * time.Second}}
	h := newHistory(len(tiers))
	// 200 s of ticks every 2 s, cpu = the tick's second.
	for sec := 0; sec < 200; sec += 2 {
		h.add(cpuSample(sec, float64(sec)), tiers)
	}
	if n := len(h.rings[0].pts); n != 10 {
		t.Errorf("finest tier holds %d points, want its capacity 10", n)
	}
	all := h.samples(time.Time{})
	for i := 1; i < len(all); i++ {
		if !all[i].Time.After(all[i-1].Time) {
			t.Fatalf("samples out of order at %d: %v then %v", i, all[i-1].Time, all[i].Time)
		}
	}
	last := all[len(all)-1]
	if !last.Time.Equal(at(198)) || *last.CPUPercent != 198 {
		t.Errorf("newest sample = %v %v, want the last tick", last.Time, *last.CPUPercent)
	}
	// The 10-s bucket [140 s, 150 s): ticks 140, ..., 148 average to 144,
	// stamped with the bucket's end.
	var avg *Sample
	for i := range all {
		if all[i].Time.Equal(at(150)) {
			avg = &all[i]
		}
	}
	if avg == nil {
		t.Fatalf("no 10-s average ending at 150 s in %v", times(all))
	}
	if *avg.CPUPercent != 144 || avg.MemoryUsedKiB != 1000 || avg.MemoryTotalKiB != 4000 || avg.MemoryRSSKiB != 5000 {
		t.Errorf("average = cpu %v mem %d/%d rss %d; want cpu 144 and the memory unchanged", *avg.CPUPercent, avg.MemoryUsedKiB, avg.MemoryTotalKiB, avg.MemoryRSSKiB)
	}
	// The coarsest tier averages the 10-s averages: [0, 30) -> ticks 0..28 -> 14.
	if first := all[0]; !first.Time.Equal(at(30)) || *first.CPUPercent != 14 {
		t.Errorf("oldest sample = %v cpu %v, want the 30-s average ending at 30 s (14)", first.Time, *first.CPUPercent)
	}
	// since cuts the older ones off.
	recent := h.samples(at(180))
	if len(recent) != 10 || !recent[0].Time.Equal(at(180)) {
		t.Errorf("since 180 s: %v", times(recent))
	}
	if got := h.oldestTime(); !got.Equal(at(30)) {
		t.Errorf("oldestTime = %v", got)
	}
}

// Absent values stay absent (not zero) through the compact form and the
// averages.
func TestHistoryKeepsAbsence(t *testing.T) {
	tiers := []Tier{{Step: time.Second, Span: 2 * time.Second}, {Step: 10 * time.Second, Span: 100 * time.Second}}
	h := newHistory(len(tiers))
	for sec := 0; sec < 25; sec++ {
		h.add(Sample{Time: at(sec)}, tiers)
	}
	for _, s := range h.samples(time.Time{}) {
		if s.CPUPercent != nil || s.NetRxBps != nil || s.MemoryUsedKiB != 0 || s.MemoryRSSKiB != 0 {
			t.Errorf("sample at %v invented values: %+v", s.Time, s)
		}
	}
	if p := toPoint(Sample{}); !math.IsNaN(float64(p.cpu)) {
		t.Errorf("absent cpu stored as %v", p.cpu)
	}
}

// A day of default history stays within its fixed budget per VM.
func TestHistoryBounded(t *testing.T) {
	tiers := DefaultTiers(2 * time.Second)
	h := newHistory(len(tiers))
	for sec := 0; sec < 2*86400; sec += 2 {
		h.add(cpuSample(sec, 1), tiers)
	}
	total := 0
	for i, r := range h.rings {
		if len(r.pts) != capacity(tiers[i]) {
			t.Errorf("tier %d holds %d points, want %d", i, len(r.pts), capacity(tiers[i]))
		}
		total += len(r.pts)
	}
	if total != 150+120+144 {
		t.Errorf("%d points held", total)
	}
}

func times(s []Sample) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i].Time.Sub(at(0)).String()
	}
	return out
}
