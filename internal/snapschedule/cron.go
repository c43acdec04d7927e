package snapschedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxSpecLen bounds a schedule's text.
const MaxSpecLen = 200

// Schedule is a parsed cron schedule: the five standard fields (minute,
// hour, day of month, month, day of week) or one of the shorthands
// @hourly, @daily (@midnight), @weekly, @monthly. A test-only form
// "@every <duration>" exists when the scheduler is built to allow it.
type Schedule struct {
	spec                         string
	minute, hour, dom, month, dw uint64 // bit i set: value i matches
	domStar, dowStar             bool
	every                        time.Duration
}

// ScheduleRule is what every refusal of a schedule repeats.
const ScheduleRule = `use five cron fields "minute hour day-of-month month day-of-week" (numbers, *, ranges a-b, steps */n, lists a,b; ` +
	`months jan-dec and days sun-sat by name too), or @hourly, @daily, @weekly or @monthly`

type field struct {
	name     string
	min, max int
	names    []string // index 0 is min
}

var fields = [5]field{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// ParseSchedule parses spec. allowEvery admits "@every 5s" and the like
// (at least one second), which only tests may use: a real policy runs at
// most once a minute.
func ParseSchedule(spec string, allowEvery bool) (Schedule, error) {
	s := Schedule{spec: strings.TrimSpace(spec)}
	if len(spec) > MaxSpecLen {
		return s, fmt.Errorf("the schedule is longer than %d characters", MaxSpecLen)
	}
	text := strings.ToLower(s.spec)
	switch text {
	case "@hourly":
		text = "0 * * * *"
	case "@daily", "@midnight":
		text = "0 0 * * *"
	case "@weekly":
		text = "0 0 * * 0"
	case "@monthly":
		text = "0 0 1 * *"
	}
	if rest, ok := strings.CutPrefix(text, "@every "); ok {
		if !allowEvery {
			return s, fmt.Errorf("%q is only allowed for tests", "@every")
		}
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second || d > 24*time.Hour {
			return s, fmt.Errorf("@every needs a duration from 1s to 24h")
		}
		s.every = d
		return s, nil
	}
	if strings.HasPrefix(text, "@") {
		return s, fmt.Errorf("%q is not a known shorthand", problemClip(s.spec))
	}
	parts := strings.Fields(text)
	if len(parts) != 5 {
		return s, fmt.Errorf("it has %d fields, not 5", len(parts))
	}
	dst := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dw}
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return s, err
		}
		*dst[i] = set
	}
	// Sunday is 0 or 7.
	if s.dw&(1<<7) != 0 {
		s.dw = s.dw&^(1<<7) | 1
	}
	s.domStar = parts[2] == "*" || parts[2] == "?"
	s.dowStar = parts[4] == "*" || parts[4] == "?"
	// A day-of-month no month has (Feb 30, or the 31st in 30-day months
	// only) would never run: refuse it now rather than never run.
	if s.dowStar && !s.domStar {
		possible := false
		for m := 1; m <= 12 && !possible; m++ {
			if s.month&(1<<m) == 0 {
				continue
			}
			days := daysIn(time.Month(m), 2024) // a leap year: Feb 29 runs every 4 years
			possible = s.dom&(1<<(days+1)-1) != 0
		}
		if !possible {
			return s, fmt.Errorf("no month of the schedule has such a day")
		}
	}
	return s, nil
}

func problemClip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func parseField(p string, f field) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(p, ",") {
		lo, hi, step := f.min, f.max, 1
		rng, stepText, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > f.max+1 {
				return 0, fmt.Errorf("the %s step %q is not a number from 1 to %d", f.name, problemClip(stepText), f.max+1)
			}
			step = n
		}
		switch {
		case rng == "*" || rng == "?":
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return 0, err
			}
			hi = lo
			if isRange {
				if hi, err = value(b, f); err != nil {
					return 0, err
				}
				if hi < lo {
					return 0, fmt.Errorf("the %s range %q runs backwards", f.name, problemClip(rng))
				}
			} else if hasStep {
				hi = f.max
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func value(t string, f field) (int, error) {
	for i, n := range f.names {
		if t == n {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(t)
	if err != nil || v < f.min || v > f.max || len(t) > 2 {
		return 0, fmt.Errorf("the %s %q is not a value from %d to %d", f.name, problemClip(t), f.min, f.max)
	}
	return v, nil
}

// wall is t's wall-clock reading, comparable across offsets.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String returns the schedule as given.
func (s Schedule) String() string { return s.spec }

// Every returns the interval of a test-only "@every" schedule, or 0.
func (s Schedule) Every() time.Duration { return s.every }

func (s Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<t.Day()) != 0
	dow := s.dw&(1<<int(t.Weekday())) != 0
	// cron: when both fields are restricted, either one matching is enough.
	switch {
	case s.domStar && s.dowStar:
		return true
	case s.domStar:
		return dow
	case s.dowStar:
		return dom
	}
	return dom || dow
}

// maxSteps bounds Next's search; five years of day steps plus the hour and
// minute steps of one day need far fewer.
const maxSteps = 100000

// Next returns the first time after 'after' that the schedule names, in
// after's location, or the zero time when there is none within five years.
// Times skipped by a daylight-saving change do not run, and the wall-clock
// times of a repeated hour run only once (at their first occurrence), so
// that names made from the time do not repeat.
func (s Schedule) Next(after time.Time) time.Time {
	if s.every > 0 {
		return after.Truncate(s.every).Add(s.every)
	}
	if s.minute == 0 {
		return time.Time{}
	}
	loc := after.Location()
	t := after.Truncate(time.Minute).Add(time.Minute)
	if t.Second() != 0 { // zones whose offset is not whole minutes
		t = t.Add(-time.Duration(t.Second()) * time.Second)
		if !t.After(after) {
			t = t.Add(time.Minute)
		}
	}
	wallAfter := wall(after)
	limit := after.Year() + 5
	for i := 0; i < maxSteps && t.Year() <= limit; i++ {
		var next time.Time
		switch {
		case s.month&(1<<int(t.Month())) == 0:
			next = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !s.dayMatches(t):
			next = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case s.hour&(1<<t.Hour()) == 0:
			next = t.Add(time.Duration(60-t.Minute()) * time.Minute)
		case s.minute&(1<<t.Minute()) == 0, !wall(t).After(wallAfter):
			next = t.Add(time.Minute)
		default:
			return t
		}
		if !next.After(t) { // a daylight-saving change moved the wall clock back
			next = t.Add(time.Hour)
		}
		t = next
	}
	return time.Time{}
}

// Describe says the schedule in words, e.g. "at 02:30 on Monday to Friday".
func (s Schedule) Describe() string {
	if s.every > 0 {
		return "every " + s.every.String() + " (test only)"
	}
	var out []string
	minutes, hours := values(s.minute, 0, 59), values(s.hour, 0, 23)
	switch {
	case len(minutes) == 60:
		if len(hours) == 24 {
			out = append(out, "every minute")
		} else {
			out = append(out, "every minute during hour "+listWords(hours, nil))
		}
	case len(hours) == 24:
		if st := stepOf(minutes, 0, 59); st > 1 {
			out = append(out, fmt.Sprintf("every %d minutes", st))
		} else if len(minutes) == 1 && minutes[0] == 0 {
			out = append(out, "every hour, on the hour")
		} else {
			out = append(out, "every hour at minute "+listWords(minutes, nil))
		}
	case len(hours) <= 6 && len(minutes) <= 4:
		var ts []string
		for _, h := range hours {
			for _, m := range minutes {
				ts = append(ts, fmt.Sprintf("%02d:%02d", h, m))
			}
		}
		out = append(out, "at "+strings.Join(ts, ", "))
	default:
		if st := stepOf(hours, 0, 23); st > 1 {
			out = append(out, fmt.Sprintf("every %d hours", st))
		} else {
			out = append(out, "during hour "+listWords(hours, nil))
		}
		out = append(out, "at minute "+listWords(minutes, nil))
	}
	days := values(s.dw, 0, 6)
	doms := values(s.dom, 1, 31)
	weekdays := []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	switch {
	case !s.domStar && !s.dowStar:
		out = append(out, "on day "+listWords(doms, nil)+" of the month and on "+listWords(days, weekdays))
	case !s.domStar:
		out = append(out, "on day "+listWords(doms, nil)+" of the month")
	case !s.dowStar:
		out = append(out, "on "+listWords(days, weekdays))
	}
	if months := values(s.month, 1, 12); len(months) < 12 {
		names := []string{"", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
		out = append(out, "in "+listWords(months, names))
	}
	return strings.Join(out, " ")
}

func values(set uint64, lo, hi int) []int {
	var v []int
	for i := lo; i <= hi; i++ {
		if set&(1<<i) != 0 {
			v = append(v, i)
		}
	}
	return v
}

// stepOf returns n when vs is exactly lo, lo+n, lo+2n... up to hi, else 0.
func stepOf(vs []int, lo, hi int) int {
	if len(vs) < 2 || vs[0] != lo {
		return 0
	}
	n := vs[1] - vs[0]
	for i := 1; i < len(vs); i++ {
		if vs[i]-vs[i-1] != n {
			return 0
		}
	}
	if vs[len(vs)-1]+n <= hi {
		return 0
	}
	return n
}

// listWords says a list of values, runs of three or more as "a to b".
func listWords(vs []int, names []string) string {
	say := func(v int) string {
		if names != nil {
			return names[v]
		}
		return strconv.Itoa(v)
	}
	var parts []string
	for i := 0; i < len(vs); {
		j := i
		for j+1 < len(vs) && vs[j+1] == vs[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, say(vs[i])+" to "+say(vs[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, say(vs[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
