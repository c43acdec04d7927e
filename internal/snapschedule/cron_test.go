package snapschedule

import (
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s: %v", name, err)
	}
	return loc
}

func TestParseScheduleErrors(t *testing.T) {
	for _, spec := range []string{
		"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *", "* * * * 8",
		"5-1 * * * *", "*/0 * * * *", "*/61 * * * *", "a * * * *", "@yearly-ish", "@every 5s", "0 0 30 feb *", "0 0 31 4,6,9,11 *",
		"1,,2 * * * *", "-1 * * * *", "001 * * * *", strings.Repeat("1,", 120) + "1 * * * *",
	} {
		if _, err := ParseSchedule(spec, false); err == nil {
			t.Errorf("ParseSchedule(%q) accepted it", spec)
		}
	}
	if _, err := ParseSchedule("@every 500ms", true); err == nil {
		t.Error("@every 500ms accepted")
	}
	if s, err := ParseSchedule("@every 5s", true); err != nil || s.Every() != 5*time.Second {
		t.Errorf("@every 5s for tests: %v %v", s.Every(), err)
	}
}

func TestNext(t *testing.T) {
	utc := time.UTC
	berlin := mustLoad(t, "Europe/Berlin")
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		spec, after, want string
		loc               *time.Location
	}{
		{"* * * * *", "2026-12-07 20:00", "2026-12-07 20:01", utc},
		{"@hourly", "2026-12-07 20:00", "2026-12-07 21:00", utc},
		{"@hourly", "2026-12-07 20:59", "2026-12-07 21:00", utc},
		{"@daily", "2026-12-07 20:00", "2026-12-08 00:00", utc},
		{"@weekly", "2026-12-07 20:00", "2026-12-13 00:00", utc}, // a Monday → Sunday
		{"@monthly", "2026-12-07 20:00", "2027-01-01 00:00", utc},
		{"*/15 * * * *", "2026-12-07 20:14", "2026-12-07 20:15", utc},
		{"30 2 * * mon-fri", "2026-12-11 03:00", "2026-12-14 02:30", utc}, // Friday → Monday
		{"0 0 29 feb *", "2026-03-01 00:00", "2028-02-29 00:00", utc},
		{"0 12 1 * 0", "2026-12-02 00:00", "2026-12-06 12:00", utc}, // day of month OR day of week
		{"0 0 * * 7", "2026-12-07 00:00", "2026-12-13 00:00", utc},  // 7 is Sunday too
		{"0 10-12/2 * * *", "2026-12-07 10:30", "2026-12-07 12:00", utc},
		{"5,10 * * jan,jul *", "2026-12-31 23:59", "2027-01-01 00:05", utc},
		// Berlin springs forward on 2026-03-29 at 02:00: 02:30 does not exist that day.
		{"30 2 * * *", "2026-03-28 03:00", "2026-03-30 02:30", berlin},
	} {
		s, err := ParseSchedule(c.spec, false)
		if err != nil {
			t.Fatalf("%q: %v", c.spec, err)
		}
		got := s.Next(at(c.loc, c.after))
		if want := at(c.loc, c.want); !got.Equal(want) {
			t.Errorf("%q after %s: got %s, want %s", c.spec, c.after, got, want)
		}
	}
	// Berlin falls back on 2026-10-25 at 03:00: 02:30 comes twice and runs
	// at its first occurrence (CEST, 00:30 UTC), then next day.
	s, _ := ParseSchedule("30 2 * * *", false)
	got := s.Next(at(berlin, "2026-10-25 00:00"))
	if want := time.Date(2026, 10, 25, 0, 30, 0, 0, utc); !got.Equal(want) {
		t.Errorf("fall back: got %s, want %s", got, want)
	}
	if got2, want := s.Next(got), time.Date(2026, 10, 26, 1, 30, 0, 0, utc); !got2.Equal(want) {
		t.Errorf("after the fall back: got %s, want %s", got2, want)
	}
}

func TestDescribe(t *testing.T) {
	for spec, want := range map[string]string{
		"* * * * *":        "every minute",
		"@hourly":          "every hour, on the hour",
		"*/15 * * * *":     "every 15 minutes",
		"@daily":           "at 00:00",
		"30 2 * * mon-fri": "at 02:30 on Monday to Friday",
		"@weekly":          "at 00:00 on Sunday",
		"@monthly":         "at 00:00 on day 1 of the month",
		"0 */6 * * *":      "at 00:00, 06:00, 12:00, 18:00",
		"0 */2 * * *":      "every 2 hours at minute 0",
		"15 4 1 jan,jul *": "at 04:15 on day 1 of the month in January, July",
	} {
		s, err := ParseSchedule(spec, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Describe(); got != want {
			t.Errorf("%q: %q, want %q", spec, got, want)
		}
	}
}

// FuzzSchedule: whatever parses gives a Next that is later than the start,
// matches every field, and is the first such minute (checked against a
// minute-by-minute walk over a bounded window).
func FuzzSchedule(f *testing.F) {
	for _, s := range []string{"* * * * *", "@hourly", "30 2 * * mon-fri", "*/7 1-5 */3 * 0", "0 0 29 feb *", "5,10 * 1 jan,jul sun"} {
		f.Add(s, int64(1765137600))
	}
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		s, err := ParseSchedule(spec, false)
		if err != nil {
			return
		}
		_ = s.Describe()
		after := time.Unix(unix%(4<<30), 0).UTC()
		next := s.Next(after)
		if next.IsZero() {
			return
		}
		if !next.After(after) {
			t.Fatalf("%q: Next(%s) = %s, not later", spec, after, next)
		}
		if next.Second() != 0 || s.minute&(1<<next.Minute()) == 0 || s.hour&(1<<next.Hour()) == 0 ||
			s.month&(1<<int(next.Month())) == 0 || !s.dayMatches(next) {
			t.Fatalf("%q: Next(%s) = %s does not match", spec, after, next)
		}
		// No earlier match within two days before it.
		for m := next.Add(-time.Minute); m.After(after) && next.Sub(m) < 48*time.Hour; m = m.Add(-time.Minute) {
			if s.minute&(1<<m.Minute()) != 0 && s.hour&(1<<m.Hour()) != 0 && s.month&(1<<int(m.Month())) != 0 && s.dayMatches(m) {
				t.Fatalf("%q: Next(%s) = %s, but %s matches earlier", spec, after, next, m)
			}
		}
	})
}
