package output

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLpstat(t *testing.T) {
	p := "printer dead now printing dead-2.  enabled since Sun Nov 22 22:32:52 2026\n" +
		"\tThe printer may not exist or is unavailable at this time.\n" +
		"printer zpl disabled since Sun Nov 22 05:15:31 2026 -\n" +
		"\tpaper out\n" +
		"printer tspl is idle.  enabled since Sun Nov 22 05:15:16 2026\n" +
		"printer odd has some new state\n"
	a := "dead accepting requests since Sun Nov 22 22:32:52 2026\n" +
		"zpl not accepting requests since Sun Nov 22 05:15:31 2026 -\n" +
		"\tRejecting Jobs\n" +
		"tspl accepting requests since Sun Nov 22 05:15:16 2026\n"
	got := mergeStates(parseLpstatP(p), parseLpstatA(a))
	want := []State{
		{Printer: "dead", Condition: Printing, Accepting: true, Reason: "The printer may not exist or is unavailable at this time."},
		{Printer: "zpl", Condition: Stopped, Accepting: false, Reason: "paper out; Rejecting Jobs"},
		{Printer: "tspl", Condition: Ready, Accepting: true},
		{Printer: "odd", Condition: Unknown, Accepting: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestFindJob(t *testing.T) {
	out := "zpl-1                   root              1024   Sun Nov 22 22:32:51 2026\n" +
		"\tStatus: \n\tAlerts: processing-to-stop-point\n\tqueued for zpl\n" +
		"zpl-12                  root              1024   Sun Nov 22 22:32:54 2026\n" +
		"\tStatus: The printer may not exist or is unavailable at this time.\n" +
		"\tAlerts: job-canceled-by-user\n\tqueued for zpl\n"
	for id, want := range map[string]struct {
		found  bool
		alerts string
	}{
		"zpl-1":  {true, "processing-to-stop-point"},
		"zpl-12": {true, "job-canceled-by-user"},
		"zpl-2":  {false, ""},
	} {
		found, alerts := findJob(out, id)
		if found != want.found || alerts != want.alerts {
			t.Errorf("findJob(%s) = %v, %q; want %v, %q", id, found, alerts, want.found, want.alerts)
		}
	}
}

func TestWinState(t *testing.T) {
	for _, tc := range []struct {
		status, attrs uint32
		want          State
	}{
		{0, 0, State{Printer: "p", Condition: Ready, Accepting: true}},
		{winStatusPrinting | winStatusIOActive, 0, State{Printer: "p", Condition: Printing, Accepting: true, Reason: "printing, I/O active"}},
		{winStatusPaperOut | winStatusError, 0, State{Printer: "p", Condition: Stopped, Accepting: true, Reason: "error, paper out"}},
		{winStatusPaused | winStatusOffline, 0, State{Printer: "p", Condition: Offline, Accepting: true, Reason: "offline, paused"}},
		{0, winAttributeWorkOffline, State{Printer: "p", Condition: Offline, Accepting: true, Reason: "set to use the printer offline"}},
		{winStatusPendingDeletion, 0, State{Printer: "p", Condition: Ready, Accepting: false, Reason: "being deleted"}},
	} {
		if got := winState("p", tc.status, tc.attrs); got != tc.want {
			t.Errorf("winState(%#x, %#x) = %+v, want %+v", tc.status, tc.attrs, got, tc.want)
		}
	}
}

func TestCleanTitle(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "label",
		"  waybill SF1 ":      "waybill SF1",
		"a\nb\tc\x00":         "a b c",
		"顺丰 SF1234567890 王小蒙": "顺丰 SF1234567890 王小蒙",
	} {
		if got := cleanTitle(in); got != want {
			t.Errorf("cleanTitle(%q) = %q, want %q", in, got, want)
		}
	}
	if n := len([]rune(cleanTitle(strings.Repeat("标", 300)))); n > 100 {
		t.Errorf("long title kept %d runes", n)
	}
}
