package main

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Captured from util-linux logger 2.38.1 with a UDP listener on
// 127.0.0.1 and a unix datagram socket, on 2026-11-22 around 05:32 UTC:
//
//	logger --udp --server 127.0.0.1 --port P --rfc5424 -p local0.warning -t myapp "hello 5424"
//	logger --udp --server 127.0.0.1 --port P --rfc3164 -p user.err -t other "hello 3164"
//	logger --udp --server 127.0.0.1 --port P "default form"     (UDP default: RFC 5424)
//	logger --socket PATH -p daemon.info -t unixapp "hello unix"  (socket default: RFC 3164, no HOSTNAME)
//
// and the other variants named in each case.
const (
	logger5424       = `<132>1 2026-11-22T05:32:17.114795+00:00 vm myapp - - [timeQuality tzKnown="1" isSynced="0"] hello 5424`
	logger3164       = `<11>Nov 22 05:32:17 vm other: hello 3164`
	loggerDefaultUDP = `<13>1 2026-11-22T05:32:17.120909+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] default form`
	loggerSocket     = `<30>Nov 22 05:32:28 unixapp: hello unix`
	// --rfc5424=notq,notime,nohost -t x
	loggerNoTime = `<13>1 - - x - - - no time`
	// --rfc5424 --sd-id zoo@123 --sd-param tiger=\"hungry\" --sd-param 'zebra="str\]ipes"' --msgid MID -i -t app
	loggerSD = `<13>1 2026-11-22T05:32:17.124769+00:00 vm app 31162 MID [timeQuality tzKnown="1" isSynced="0"][zoo@123 tiger="hungry" zebra="str\]ipes"] with sd`
	// --octet-count: RFC 6587 framing, which logger sends even over UDP.
	loggerOctetCount = `93 <13>1 2026-11-22T05:32:17.129179+00:00 vm oc - - [timeQuality tzKnown="1" isSynced="0"] octet`
	// --rfc5424 -p local0.warning -t myapp "ünïcode"
	loggerUnicode = "<132>1 2026-11-22T05:32:32.083237+00:00 vm myapp - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] \xc3\xbcn\xc3\xafcode"
	// --rfc3164 -i -p local7.debug -t other
	logger3164PID = `<191>Nov 22 05:32:32 vm other[31872]: pid 3164`
	// --socket PATH -i -p auth.notice -t unixapp
	loggerSocketPID = `<37>Nov 22 05:32:28 unixapp[31565]: with pid`
	// --socket PATH --rfc5424 -t u5
	loggerSocket5424 = `<13>1 2026-11-22T05:32:28.453791+00:00 vm u5 - - [timeQuality tzKnown="1" isSynced="0"] unix 5424`
	// --rfc5424 -p kern.emerg: logger will not send kern, and sends user.emerg.
	loggerKernRefused = `<8>1 2026-11-22T05:32:17.126734+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] no tag`
)

// Captured from loggen (syslog-ng-core 3.38.1, Debian 12) with a UDP
// listener on 127.0.0.1, on 2026-12-03 around 10:27 UTC:
//
//	loggen -D -n 1 127.0.0.1 P          (the default: 256 bytes, a BSD header with an RFC 3339 time without zone)
//	loggen -D -P -n 1 127.0.0.1 P       (RFC 5424 with RFC 6587 framing that counts the trailing line feed)
//	loggen -D -P -F -n 1 127.0.0.1 P    (RFC 5424 without the framing)
//	loggen -D -s 64 -n 1 127.0.0.1 P    (sizes below 127 give 127 bytes: no padding, no line feed)
var (
	loggenDefault  = "<38>2026-12-03T10:27:48 localhost prg00000[1234]: seq: 0000000000, thread: 0000, runid: 1796293668, stamp: 2026-12-03T10:27:48 " + strings.Repeat("PADD", 32) + "\n"
	loggenFramed   = "256 <38>1 2026-12-03T10:27:49+00:00 localhost prg00000 1234 - - \xef\xbb\xbfseq: 0000000000, thread: 0000, runid: 1796293669, stamp: 2026-12-03T10:27:49 " + strings.Repeat("PADD", 28) + "PAD\n"
	loggenUnframed = "<38>1 2026-12-03T10:27:50+00:00 localhost prg00000 1234 - - \xef\xbb\xbfseq: 0000000000, thread: 0000, runid: 1796293670, stamp: 2026-12-03T10:27:50 " + strings.Repeat("PADD", 28) + "PAD\n"
	loggenShort    = "<38>2026-12-03T10:26:19 localhost prg00000[1234]: seq: 0000000000, thread: 0000, runid: 1796293579, stamp: 2026-12-03T10:26:19 "
)

// captured is when the samples above were sent: RFC 3164 timestamps get
// their year from it.
var captured = time.Date(2026, time.November, 22, 5, 32, 40, 0, time.UTC)

func TestParse(t *testing.T) {
	minus7 := time.FixedZone("", -7*3600)
	tests := []struct {
		name string
		in   string
		now  time.Time // zero: captured
		want Message
	}{
		// util-linux logger, as captured above.
		{"logger rfc5424", logger5424, time.Time{}, Message{Format: Format5424, Facility: 16, Severity: 4,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 114795000, time.UTC), Host: "vm", App: "myapp", Text: "hello 5424"}},
		{"logger rfc3164", logger3164, time.Time{}, Message{Format: Format3164, Facility: 1, Severity: 3,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC), Host: "vm", App: "other", Text: "hello 3164"}},
		{"logger default over udp", loggerDefaultUDP, time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 5,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 120909000, time.UTC), Host: "vm", App: "root", Text: "default form"}},
		{"logger nil timestamp and host", loggerNoTime, time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 5,
			App: "x", Text: "no time"}},
		{"logger structured data with escaped ]", loggerSD, time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 5,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 124769000, time.UTC), Host: "vm", App: "app", ProcID: "31162", MsgID: "MID", Text: "with sd"}},
		{"logger octet count", loggerOctetCount, time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 5,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 129179000, time.UTC), Host: "vm", App: "oc", Text: "octet"}},
		{"logger utf-8 text", loggerUnicode, time.Time{}, Message{Format: Format5424, Facility: 16, Severity: 4,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 32, 83237000, time.UTC), Host: "vm", App: "myapp", Text: "ünïcode"}},
		{"logger rfc3164 with pid", logger3164PID, time.Time{}, Message{Format: Format3164, Facility: 23, Severity: 7,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 32, 0, time.UTC), Host: "vm", App: "other", ProcID: "31872", Text: "pid 3164"}},
		{"logger socket: no hostname", loggerSocket, time.Time{}, Message{Format: Format3164, Facility: 3, Severity: 6,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 28, 0, time.UTC), App: "unixapp", Text: "hello unix"}},
		{"logger socket with pid", loggerSocketPID, time.Time{}, Message{Format: Format3164, Facility: 4, Severity: 5,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 28, 0, time.UTC), App: "unixapp", ProcID: "31565", Text: "with pid"}},
		{"logger socket rfc5424", loggerSocket5424, time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 5,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 28, 453791000, time.UTC), Host: "vm", App: "u5", Text: "unix 5424"}},
		{"logger kern refused", loggerKernRefused, time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 0,
			Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 126734000, time.UTC), Host: "vm", App: "root", Text: "no tag"}},

		// RFC 5424 section 6.5, examples 1 to 4.
		{"5424 example 1: BOM", "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8", time.Time{},
			Message{Format: Format5424, Facility: 4, Severity: 2, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
				Host: "mymachine.example.com", App: "su", MsgID: "ID47", Text: "'su root' failed for lonvick on /dev/pts/8"}},
		{"5424 example 2: offset", "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", time.Time{},
			Message{Format: Format5424, Facility: 20, Severity: 5, Timestamp: time.Date(2003, 8, 24, 5, 14, 15, 3000, minus7),
				Host: "192.0.2.1", App: "myproc", ProcID: "8710", Text: "%% It's time to make the do-nuts."}},
		{"5424 example 3: structured data", "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbfAn application event log entry...", time.Time{},
			Message{Format: Format5424, Facility: 20, Severity: 5, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
				Host: "mymachine.example.com", App: "evntslog", MsgID: "ID47", Text: "An application event log entry..."}},
		{"5424 example 4: no MSG", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`, time.Time{},
			Message{Format: Format5424, Facility: 20, Severity: 5, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3000000, time.UTC),
				Host: "mymachine.example.com", App: "evntslog", MsgID: "ID47"}},

		// RFC 5424 edge cases.
		{"5424 escaped quote and backslash in a value", `<0>1 - h a p m [id k="a\"] b\\" k2="]"] text`, time.Time{},
			Message{Format: Format5424, Host: "h", App: "a", ProcID: "p", MsgID: "m", Text: "text"}},
		{"5424 empty MSG after SP", `<191>1 - - - - - - `, time.Time{}, Message{Format: Format5424, Facility: 23, Severity: 7}},
		{"5424 trailing newline and NUL", "<14>1 - h a - - - line\n\x00", time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 6, Host: "h", App: "a", Text: "line"}},
		{"5424 BOM only once stripped", "<14>1 - - - - - - \xef\xbb\xbf\xef\xbb\xbfx", time.Time{}, Message{Format: Format5424, Facility: 1, Severity: 6, Text: "\xef\xbb\xbfx"}},
		{"5424 PRI 0", "<0>1 - - - - - -", time.Time{}, Message{Format: Format5424}},
		{"5424 octet count that does not match is text", "99 <13>1 - - - - - -", time.Time{}, unknown("99 <13>1 - - - - - -")},

		// RFC 3164 section 5.4 and real-world forms.
		{"3164 rfc example", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC),
			Message{Format: Format3164, Facility: 4, Severity: 2, Timestamp: time.Date(2026, 10, 11, 22, 14, 15, 0, time.UTC),
				Host: "mymachine", App: "su", Text: "'su root' failed for lonvick on /dev/pts/8"}},
		{"3164 host and no tag", "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!", time.Date(2026, 2, 5, 17, 33, 0, 0, time.UTC),
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 2, 5, 17, 32, 18, 0, time.UTC),
				Host: "10.0.0.99", Text: "Use the BFG!"}},
		{"3164 tag with slash and pid", "<22>Nov 22 05:32:17 mx postfix/smtpd[1234]: connect from x", time.Time{},
			Message{Format: Format3164, Facility: 2, Severity: 6, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC),
				Host: "mx", App: "postfix/smtpd", ProcID: "1234", Text: "connect from x"}},
		{"3164 IPv6 host is not a tag", "<13>Nov 22 05:32:17 fe80::1 app: x", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC),
				Host: "fe80::1", App: "app", Text: "x"}},
		{"3164 tag: without SP is text", "<13>Nov 22 05:32:17 vm app:x", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC),
				Host: "vm", Text: "app:x"}},
		{"3164 tag at the end", "<13>Nov 22 05:32:17 app:", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC), App: "app"}},
		{"3164 timestamp only", "<13>Nov 22 05:32:17", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC)}},
		{"3164 padded day", "<13>Nov  2 05:32:17 h t: x", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 2, 5, 32, 17, 0, time.UTC), Host: "h", App: "t", Text: "x"}},
		{"3164 non-ASCII first word is text", "<13>Nov 22 05:32:17 ünï x", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC), Text: "ünï x"}},
		{"3164 last year's December on January 1st", "<13>Dec 31 23:59:59 h t: x", time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC),
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), Host: "h", App: "t", Text: "x"}},
		{"3164 next year's January on December 31st", "<13>Jan  1 00:00:01 h t: x", time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC),
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC), Host: "h", App: "t", Text: "x"}},
		{"3164 February 29th in a leap year", "<13>Feb 29 12:00:00 h t: x", time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC),
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC), Host: "h", App: "t", Text: "x"}},
		{"loggen default", loggenDefault, time.Time{}, Message{Format: Format3164, Facility: 4, Severity: 6,
			Timestamp: time.Date(2026, 12, 3, 10, 27, 48, 0, time.UTC), Host: "localhost", App: "prg00000", ProcID: "1234",
			Text: "seq: 0000000000, thread: 0000, runid: 1796293668, stamp: 2026-12-03T10:27:48 " + strings.Repeat("PADD", 32)}},
		{"loggen -P: octet count with the line feed", loggenFramed, time.Time{}, Message{Format: Format5424, Facility: 4, Severity: 6,
			Timestamp: time.Date(2026, 12, 3, 10, 27, 49, 0, time.UTC), Host: "localhost", App: "prg00000", ProcID: "1234",
			Text: "seq: 0000000000, thread: 0000, runid: 1796293669, stamp: 2026-12-03T10:27:49 " + strings.Repeat("PADD", 28) + "PAD"}},
		{"loggen -P -F", loggenUnframed, time.Time{}, Message{Format: Format5424, Facility: 4, Severity: 6,
			Timestamp: time.Date(2026, 12, 3, 10, 27, 50, 0, time.UTC), Host: "localhost", App: "prg00000", ProcID: "1234",
			Text: "seq: 0000000000, thread: 0000, runid: 1796293670, stamp: 2026-12-03T10:27:50 " + strings.Repeat("PADD", 28) + "PAD"}},
		{"loggen shortest", loggenShort, time.Time{}, Message{Format: Format3164, Facility: 4, Severity: 6,
			Timestamp: time.Date(2026, 12, 3, 10, 26, 19, 0, time.UTC), Host: "localhost", App: "prg00000", ProcID: "1234",
			Text: "seq: 0000000000, thread: 0000, runid: 1796293579, stamp: 2026-12-03T10:26:19 "}},
		{"3164 RFC 3339 time without zone is local", "<13>2026-11-22T05:32:17 h t: x", captured.In(minus7),
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, minus7), Host: "h", App: "t", Text: "x"}},
		// rsyslog's RSYSLOG_ForwardFormat template: fraction and zone.
		{"3164 RFC 3339 time with fraction and zone", "<30>2026-11-22T05:32:17.123456+01:00 h t[9]: x", time.Time{},
			Message{Format: Format3164, Facility: 3, Severity: 6, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 123456000, time.FixedZone("", 3600)), Host: "h", App: "t", ProcID: "9", Text: "x"}},
		{"3164 RFC 3339 time only", "<13>2026-11-22T05:32:17Z", time.Time{},
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, time.UTC)}},
		{"3164 local time", "<13>Nov 22 05:32:17 h t: x", captured.In(minus7),
			Message{Format: Format3164, Facility: 1, Severity: 5, Timestamp: time.Date(2026, 11, 22, 5, 32, 17, 0, minus7), Host: "h", App: "t", Text: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = captured
			}
			got, err := Parse(tt.in, now)
			if (err != nil) != (tt.want.Format == FormatUnknown) {
				t.Fatalf("Parse(%q) error = %v, want format %s", tt.in, err, tt.want.Format)
			}
			if !sameMessage(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

// unknown is what Parse returns for a datagram it cannot parse.
func unknown(raw string) Message {
	return Message{Format: FormatUnknown, Facility: -1, Severity: -1, Text: raw}
}

// sameMessage compares with time.Time.Equal, and the zones' offsets.
func sameMessage(a, b Message) bool {
	_, ao := a.Timestamp.Zone()
	_, bo := b.Timestamp.Zone()
	ta, tb := a.Timestamp, b.Timestamp
	a.Timestamp, b.Timestamp = time.Time{}, time.Time{}
	return a == b && ta.Equal(tb) && ao == bo
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, in string
		offset   int
	}{
		{"empty", "", 0},
		{"no PRI", "hello", 0},
		{"empty PRI", "<>1 - - - - - -", 1},
		{"PRI 192", "<192>1 - - - - - -", 1},
		{"PRI 999", "<999>Nov 22 05:32:17 h t: x", 1},
		{"PRI four digits", "<1000>1 - - - - - -", 4},
		{"PRI leading zero", "<013>1 - - - - - -", 1},
		{"PRI negative", "<-1>1 - - - - - -", 1},
		{"PRI unterminated", "<13", 3},
		{"PRI only", "<13>", 4},
		{"version 2", "<13>2 - - - - - -", 4},
		{"rfc 3164 example with a year first", "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!", 3},
		{"bad timestamp", "<13>1 2026-13-01T00:00:00Z - - - - -", 6},
		{"timestamp without zone", "<13>1 2026-11-22T05:32:17 - - - - -", 6},
		{"missing fields", "<13>1 - host app", 16},
		{"double space", "<13>1 -  host app - - -", 8},
		{"APP-NAME too long", "<13>1 - h " + strings.Repeat("a", 49) + " - - -", 10},
		{"MSGID too long", "<13>1 - h a p " + strings.Repeat("m", 33) + " -", 14},
		{"control byte in HOSTNAME", "<13>1 - h\tx a p m -", 9},
		{"no STRUCTURED-DATA", "<13>1 - h a p m", 15},
		{"STRUCTURED-DATA not - or [", "<13>1 - h a p m x", 16},
		{"SD unterminated value", `<13>1 - h a p m [id k="v\"]`, 27},
		{"SD element not closed", `<13>1 - h a p m [id k="v"`, 25},
		{"SD empty id", `<13>1 - h a p m [] x`, 17},
		{"SD param without quotes", `<13>1 - h a p m [id k=v] x`, 22},
		{"SD id too long", `<13>1 - h a p m [` + strings.Repeat("i", 33) + `] x`, 17},
		{"no SP before MSG", `<13>1 - h a p m -x`, 17},
		{"3164 short timestamp", "<13>Nov 22 05:32", 4},
		{"3164 bad month", "<13>Foo 22 05:32:17 h t: x", 4},
		{"3164 bad day", "<13>Nov 31 05:32:17 h t: x", 4},
		{"3164 unpadded day", "<13>Nov 2 05:32:17 h t: x", 4},
		{"3164 bad hour", "<13>Nov 22 25:32:17 h t: x", 4},
		{"3164 no SP after timestamp", "<13>Nov 22 05:32:17xh t: x", 19},
		{"3164 February 29th far from a leap year", "<13>Feb 29 12:00:00 h t: x", 4},
		{"3164 RFC 3339 bad month", "<13>2026-13-01T00:00:00 h t: x", 4},
		{"3164 RFC 3339 February 30th", "<13>2026-02-30T00:00:00 h t: x", 4},
		{"3164 RFC 3339 hour 24", "<13>2026-11-22T24:00:00 h t: x", 4},
		{"3164 RFC 3339 date only", "<13>2026-11-22 05:32:17 h t: x", 4},
		{"3164 RFC 3339 junk after the seconds", "<13>2026-11-22T05:32:17xh t: x", 4},
		{"3164 RFC 3339 too long", "<13>2026-11-22T05:32:17." + strings.Repeat("1", 40) + " h t: x", 4},
		{"loggen -P octet count off by two", "258" + loggenFramed[3:], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := captured
			if strings.Contains(tt.name, "February") {
				now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) // 2025, 2026, 2027: none leap
			}
			got, err := Parse(tt.in, now)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %+v, %v; want a *ParseError", tt.in, got, err)
			}
			if pe.Offset != tt.offset {
				t.Errorf("Parse(%q): %v: offset %d, want %d", tt.in, err, pe.Offset, tt.offset)
			}
			if want := unknown(tt.in); got != want {
				t.Errorf("Parse(%q) = %+v, want %+v: the raw datagram kept as text", tt.in, got, want)
			}
		})
	}
}

// TestPlainTime: the fast path for loggen's times agrees with
// time.ParseInLocation, accepting and refusing the same.
func TestPlainTime(t *testing.T) {
	minus7 := time.FixedZone("", -7*3600)
	for _, in := range []string{
		"2026-12-03T10:27:48", "2028-02-29T23:59:59", "2026-02-29T00:00:00", "2026-04-31T00:00:00",
		"2026-00-10T00:00:00", "2026-12-03T10:60:00", "2026-12-03T10:00:60", "2026-12-03t10:00:00",
		"2026-12-03T1x:00:00", "0000-01-01T00:00:00", "2026-12-03T10:27:48.5", "2026-12-03T10:27:4",
	} {
		got, ok := plainTime(in, minus7)
		want, err := time.ParseInLocation("2006-01-02T15:04:05", in, minus7)
		if len(in) == 19 && (ok != (err == nil) || ok && !got.Equal(want)) {
			t.Errorf("plainTime(%q) = %v, %v; time.ParseInLocation: %v, %v", in, got, ok, want, err)
		}
		if len(in) != 19 && ok {
			t.Errorf("plainTime(%q) accepted a time that is not 19 bytes", in)
		}
	}
}

// TestParseAllocs guards the claim in receiver.HandleBatch: Parse
// allocates nothing for a well-formed message.
func TestParseAllocs(t *testing.T) {
	for _, in := range []string{logger5424, loggerSD, logger3164PID, loggerSocket, loggenDefault, loggenFramed} {
		if n := testing.AllocsPerRun(100, func() { Parse(in, captured) }); n != 0 {
			t.Errorf("Parse(%q): %v allocations, want 0", in, n)
		}
	}
}

// seeds are the fuzz targets' starting corpus: every kind of input above.
var seeds = []string{
	logger5424, logger3164, loggerDefaultUDP, loggerNoTime, loggerSD, loggerOctetCount,
	loggerUnicode, logger3164PID, loggerSocket, loggerSocketPID, loggerSocket5424, loggerKernRefused,
	loggenDefault, loggenFramed, loggenUnframed, loggenShort,
	`<0>1 - h a p m [id k="a\"] b\\" k2="]"] text`, "<13>Nov 22 05:32:17 fe80::1 app: x",
	"<13>Feb 29 12:00:00 h t: x", "4 <1>", "", "<", "<13>1 ", "\xef\xbb\xbf",
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	var times timeCache // shared by the inputs, as a loop's is
	f.Fuzz(func(t *testing.T, in string) {
		m, err := Parse(in, captured)
		checkMessage(t, in, m, err)
		// Through the cache, twice: the second may come from it.
		for range 2 {
			mc, errc := parse(in, captured, &times)
			if !sameMessage(mc, m) || (errc == nil) != (err == nil) {
				t.Fatalf("parse(%q) with a cache = %+v, %v; without = %+v, %v", in, mc, errc, m, err)
			}
		}
	})
}

// FuzzParsePRI puts any number in the PRI: only 0 to 191, written
// without leading zeros, may parse, and then into facility and severity.
func FuzzParsePRI(f *testing.F) {
	for _, pri := range []int{0, 7, 8, 191, 192, 999, -1, 1 << 40} {
		f.Add(pri, "1 - - - - - -")
		f.Add(pri, "Nov 22 05:32:17 h t: x")
	}
	f.Fuzz(func(t *testing.T, pri int, rest string) {
		in := "<" + strconv.Itoa(pri) + ">" + rest
		m, err := Parse(in, captured)
		checkMessage(t, in, m, err)
		if err == nil && m.Facility*8+m.Severity != pri {
			t.Fatalf("Parse(%q): facility %d severity %d from PRI %d", in, m.Facility, m.Severity, pri)
		}
		if (pri < 0 || pri > maxPRI) && err == nil {
			t.Fatalf("Parse(%q) accepted PRI %d", in, pri)
		}
	})
}

// checkMessage checks what must hold for any input.
func checkMessage(t *testing.T, in string, m Message, err error) {
	t.Helper()
	if err != nil {
		if m != unknown(in) {
			t.Fatalf("Parse(%q) = %+v, %v: want the raw datagram as an unknown message", in, m, err)
		}
		return
	}
	if m.Format != Format5424 && m.Format != Format3164 {
		t.Fatalf("Parse(%q): format %q without an error", in, m.Format)
	}
	if m.Facility < 0 || m.Facility > 23 || m.Severity < 0 || m.Severity > 7 {
		t.Fatalf("Parse(%q): facility %d severity %d out of range", in, m.Facility, m.Severity)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"host", m.Host, maxHostname}, {"app", m.App, maxAppName}, {"procid", m.ProcID, maxProcID}, {"msgid", m.MsgID, maxMsgID}, {"text", m.Text, len(in)}} {
		if len(f.v) > f.max || !strings.Contains(in, f.v) {
			t.Fatalf("Parse(%q): %s %q is not a substring of at most %d bytes", in, f.name, f.v, f.max)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bm := range []struct{ name, in string }{
		{"rfc5424", loggerSD},
		{"rfc3164", logger3164PID},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.in)))
			for b.Loop() {
				Parse(bm.in, captured)
			}
		})
	}
}
