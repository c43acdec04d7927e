package snapschedule

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"
)

// items makes snapshots named by their time, "2026-12-07T20:00".
func items(times ...string) []Item {
	var out []Item
	for _, s := range times {
		t, err := time.Parse("2006-01-02T15:04", s)
		if err != nil {
			panic(err)
		}
		out = append(out, Item{Name: s, Created: t})
	}
	return out
}

func kept(m map[string]Mark) []string {
	var k []string
	for n, mk := range m {
		if mk != Remove {
			k = append(k, n)
		}
	}
	sort.Strings(k)
	return k
}

// everyDay returns n days of backups, at 08:00 and 20:00 each, ending on
// the given day.
func everyDay(last time.Time, n int) []string {
	var out []string
	for d := 0; d < n; d++ {
		day := last.AddDate(0, 0, -d)
		out = append(out, day.Add(8*time.Hour).Format("2006-01-02T15:04"), day.Add(20*time.Hour).Format("2006-01-02T15:04"))
	}
	return out
}

func TestPrune(t *testing.T) {
	dec20 := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		items []Item
		r     Retention
		want  []string
	}{
		{"no option keeps all", items("2026-12-01T00:00", "2026-12-02T00:00"), Retention{}, []string{"2026-12-01T00:00", "2026-12-02T00:00"}},
		{"keep-last 2", items("2026-12-01T00:00", "2026-12-02T00:00", "2026-12-03T00:00"), Retention{Last: 2}, []string{"2026-12-02T00:00", "2026-12-03T00:00"}},
		{
			// The options PVE's documentation gives as its example
			// (keep-last=3, keep-daily=13, keep-yearly=9), over 20 days of
			// two backups a day: the last 3 are the two of Dec 20 and the
			// evening one of Dec 19; keep-daily skips those two days (already
			// covered) and keeps the latest of each of the 13 days before;
			// keep-yearly finds 2026 covered and adds nothing.
			"PVE example keep-last=3,keep-daily=13,keep-yearly=9",
			items(everyDay(dec20, 20)...), Retention{Last: 3, Daily: 13, Yearly: 9},
			func() []string {
				w := []string{"2026-12-20T08:00", "2026-12-20T20:00", "2026-12-19T20:00"}
				for d := 18; d >= 6; d-- {
					w = append(w, fmt.Sprintf("2026-12-%02dT20:00", d))
				}
				return w
			}(),
		},
		{
			"keep-hourly keeps the latest of each hour",
			items("2026-12-07T20:00", "2026-12-07T20:30", "2026-12-07T21:10", "2026-12-07T21:50", "2026-12-07T22:05"),
			Retention{Hourly: 2}, []string{"2026-12-07T21:50", "2026-12-07T22:05"},
		},
		{
			"hours without snapshots do not count",
			items("2026-12-07T01:00", "2026-12-07T05:00", "2026-12-07T09:00"),
			Retention{Hourly: 3}, []string{"2026-12-07T01:00", "2026-12-07T05:00", "2026-12-07T09:00"},
		},
		{
			// 2020-12-31 (Thursday) and 2021-01-03 (Sunday) are both in ISO
			// week 2020-W53; 2021-01-04 (Monday) starts 2021-W01.
			"keep-weekly uses ISO weeks across the year end",
			items("2020-12-31T12:00", "2021-01-03T12:00", "2021-01-04T12:00"),
			Retention{Weekly: 2}, []string{"2021-01-03T12:00", "2021-01-04T12:00"},
		},
		{
			"keep-monthly after keep-last considers only other months",
			items("2026-10-05T00:00", "2026-10-20T00:00", "2026-11-05T00:00", "2026-11-20T00:00", "2026-12-01T00:00"),
			Retention{Last: 1, Monthly: 2}, []string{"2026-10-20T00:00", "2026-11-20T00:00", "2026-12-01T00:00"},
		},
		{
			"keep-daily then keep-weekly: weeks with a kept daily are covered",
			items("2026-11-30T12:00", "2026-12-01T12:00", "2026-12-02T12:00", "2026-12-06T12:00", "2026-12-07T12:00"),
			// Dec 7 is Monday (W50), Dec 6 Sunday (W49), Nov 30 Monday (W49).
			Retention{Daily: 1, Weekly: 2}, []string{"2026-12-06T12:00", "2026-12-07T12:00"},
		},
		{
			"keep-yearly",
			items("2024-06-01T00:00", "2024-12-01T00:00", "2025-03-01T00:00", "2026-01-01T00:00"),
			Retention{Yearly: 2}, []string{"2025-03-01T00:00", "2026-01-01T00:00"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := kept(Prune(c.items, c.r, time.UTC))
			want := slices.Clone(c.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("kept %v\nwant %v", got, want)
			}
		})
	}
}

func TestPrunePinned(t *testing.T) {
	it := items("2026-12-01T00:00", "2026-12-02T00:00", "2026-12-03T00:00", "2026-12-04T00:00")
	it[0].Pinned = true // the oldest
	it[3].Pinned = true // the newest: does not count towards keep-last
	m := Prune(it, Retention{Last: 1}, time.UTC)
	want := map[string]Mark{"2026-12-01T00:00": Pinned, "2026-12-02T00:00": Remove, "2026-12-03T00:00": Keep, "2026-12-04T00:00": Pinned}
	for n, mk := range want {
		if m[n] != mk {
			t.Errorf("%s: %s, want %s", n, m[n], mk)
		}
	}
}

func TestPruneLocalDays(t *testing.T) {
	// 23:30 UTC on Dec 6 is Dec 7 in Berlin: with keep-daily 1 in Berlin
	// time both are the same day, and only the later is kept.
	berlin := mustLoad(t, "Europe/Berlin")
	it := items("2026-12-06T23:30", "2026-12-07T10:00")
	if got := kept(Prune(it, Retention{Daily: 1}, berlin)); !slices.Equal(got, []string{"2026-12-07T10:00"}) {
		t.Errorf("Berlin: kept %v", got)
	}
	if got := kept(Prune(it, Retention{Daily: 1}, time.UTC)); len(got) != 1 || got[0] != "2026-12-07T10:00" {
		t.Errorf("UTC: kept %v", got)
	}
	if got := kept(Prune(it, Retention{Daily: 2}, time.UTC)); len(got) != 2 {
		t.Errorf("UTC, 2 days: kept %v", got)
	}
}
