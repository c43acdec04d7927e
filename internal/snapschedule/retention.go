package snapschedule

import (
	"fmt"
	"sort"
	"time"
)

// MaxKeep bounds each retention count.
const MaxKeep = 1000

// Retention says which of a policy's snapshots to keep, as Proxmox Backup
// Server prunes: keep-last keeps the newest N; keep-hourly, -daily,
// -weekly, -monthly and -yearly each keep the newest snapshot of each of
// the last N periods that have one (periods without a snapshot do not
// count), and each option only considers snapshots older than those the
// options before it already keep. Weeks are ISO weeks (Monday to Sunday).
// A policy with no option set keeps everything.
type Retention struct {
	Last    int `json:"keepLast"`
	Hourly  int `json:"keepHourly"`
	Daily   int `json:"keepDaily"`
	Weekly  int `json:"keepWeekly"`
	Monthly int `json:"keepMonthly"`
	Yearly  int `json:"keepYearly"`
}

// Validate checks every count.
func (r Retention) Validate() error {
	for _, c := range []struct {
		name string
		v    int
	}{{"keepLast", r.Last}, {"keepHourly", r.Hourly}, {"keepDaily", r.Daily}, {"keepWeekly", r.Weekly}, {"keepMonthly", r.Monthly}, {"keepYearly", r.Yearly}} {
		if c.v < 0 || c.v > MaxKeep {
			return fmt.Errorf("%s is %d: use 0 to %d", c.name, c.v, MaxKeep)
		}
	}
	return nil
}

// KeepsAll reports whether no option is set.
func (r Retention) KeepsAll() bool { return r == Retention{} }

// Item is one snapshot retention decides about.
type Item struct {
	Name    string
	Created time.Time
	// Pinned snapshots are never removed, and do not count towards any
	// option (PBS's "protected").
	Pinned bool
}

// Mark is retention's decision about one item.
type Mark string

// Marks.
const (
	Keep   Mark = "keep"
	Remove Mark = "remove"
	Pinned Mark = "pinned"
)

// Prune decides, for each item, whether to keep or remove it. Periods are
// taken in loc (the server's time zone, as PBS uses local time).
func Prune(items []Item, r Retention, loc *time.Location) map[string]Mark {
	list := append([]Item(nil), items...)
	// Newest first; equal times by name, so that the result is stable.
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.After(list[j].Created)
		}
		return list[i].Name > list[j].Name
	})
	mark := make(map[string]Mark, len(list))
	if r.KeepsAll() {
		for _, it := range list {
			mark[it.Name] = Keep
			if it.Pinned {
				mark[it.Name] = Pinned
			}
		}
		return mark
	}
	selectors := []struct {
		keep int
		id   func(time.Time) string
	}{
		{r.Last, nil},
		{r.Hourly, func(t time.Time) string { return t.Format("2006/01/02/15") }},
		{r.Daily, func(t time.Time) string { return t.Format("2006/01/02") }},
		{r.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d/%02d", y, w) }},
		{r.Monthly, func(t time.Time) string { return t.Format("2006/01") }},
		{r.Yearly, func(t time.Time) string { return t.Format("2006") }},
	}
	for _, sel := range selectors {
		if sel.keep > 0 {
			markSelections(mark, list, sel.keep, sel.id, loc)
		}
	}
	for _, it := range list {
		switch _, ok := mark[it.Name]; {
		case it.Pinned:
			mark[it.Name] = Pinned
		case !ok:
			mark[it.Name] = Remove
		}
	}
	return mark
}

// markSelections is PBS's mark_selections: periods already holding a kept
// snapshot are covered; then, newest first, the first snapshot of each new
// period is kept until keep periods are, and later ones in a period
// already chosen are removed.
func markSelections(mark map[string]Mark, list []Item, keep int, id func(time.Time) string, loc *time.Location) {
	selID := func(it Item) string {
		if id == nil {
			return it.Name // keep-last: every snapshot is its own period
		}
		return id(it.Created.In(loc))
	}
	included := map[string]bool{}
	already := map[string]bool{}
	for _, it := range list {
		if mark[it.Name] == Keep {
			already[selID(it)] = true
		}
	}
	for _, it := range list {
		if _, ok := mark[it.Name]; ok {
			continue
		}
		if it.Pinned {
			mark[it.Name] = Pinned
			continue
		}
		sid := selID(it)
		if already[sid] {
			continue
		}
		if !included[sid] {
			if len(included) >= keep {
				break
			}
			included[sid] = true
			mark[it.Name] = Keep
		} else {
			mark[it.Name] = Remove
		}
	}
}
