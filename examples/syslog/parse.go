package main

import (
	"strconv"
	"strings"
	"time"
)

// The values of Message.Format.
const (
	Format5424    = "rfc5424"
	Format3164    = "rfc3164"
	FormatUnknown = "unknown"
)

// Message is one parsed syslog message.
type Message struct {
	// Format is how the message was read: Format5424, Format3164, or
	// FormatUnknown when it could not be parsed; then Text is the whole
	// datagram as received and Facility and Severity are -1.
	Format string `json:"format"`
	// Facility is 0 (kern) to 23 (local7), Severity 0 (emerg) to 7
	// (debug): PRI = Facility*8 + Severity.
	Facility int `json:"facility"`
	Severity int `json:"severity"`
	// Timestamp is the sender's time; zero for the RFC 5424 NILVALUE.
	// RFC 3164 timestamps carry neither year nor zone: Parse takes them
	// in now's location, in the year that puts them nearest to now.
	Timestamp time.Time `json:"timestamp,omitzero"`
	// Host, App, ProcID and MsgID are empty when the sender sent the
	// NILVALUE "-" or, in RFC 3164, left the field out. RFC 3164 calls
	// App and ProcID the TAG and its [PID]; it has no MsgID.
	Host   string `json:"host,omitempty"`
	App    string `json:"app,omitempty"`
	ProcID string `json:"procid,omitempty"`
	MsgID  string `json:"msgid,omitempty"`
	// Text is the free-form message (MSG), without a leading UTF-8 BOM or
	// trailing line feeds, carriage returns and NULs.
	Text string `json:"text"`
}

// ParseError says why and where a datagram is not a syslog message.
type ParseError struct {
	// Offset is the byte offset in the datagram where parsing stopped.
	Offset int
	// Reason names what was expected there.
	Reason string
}

func (e *ParseError) Error() string {
	return "syslog: byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Parse reads one datagram as an RFC 5424 or RFC 3164 message. It never
// fails silently: on an error the Message is still returned, with Format
// FormatUnknown and the whole datagram as Text, and the error says what
// was wrong where.
//
// Every string in the Message is a substring of raw, so a caller that
// copied the datagram once into raw owns everything the Message refers
// to. now is the time of receipt, which dates an RFC 3164 timestamp.
//
// What senders really send, beyond the RFCs, is accepted: a trailing line
// feed or NUL, an RFC 6587 octet count before the message (util-linux
// logger --octet-count sends it even over UDP), and the RFC 3164 form a
// local sender writes to /dev/log, which has no HOSTNAME.
func Parse(raw string, now time.Time) (Message, error) {
	return parse(raw, now, nil)
}

// parse is Parse with a cache of the last RFC 3339 timestamp read, which
// may be nil; a cache serves one goroutine at a time.
func parse(raw string, now time.Time, times *timeCache) (Message, error) {
	p := scanner{s: trimEnd(raw), times: times}
	p.octetCount(len(raw))
	m, err := p.message(now)
	if err != nil {
		return Message{Format: FormatUnknown, Facility: -1, Severity: -1, Text: raw}, err
	}
	return m, nil
}

// trimEnd is raw without trailing line feeds, carriage returns and NULs:
// strings.TrimRight with that cutset, without building its set per call.
func trimEnd(raw string) string {
	n := len(raw)
	for n > 0 && (raw[n-1] == '\n' || raw[n-1] == '\r' || raw[n-1] == 0) {
		n--
	}
	return raw[:n]
}

// Field limits from RFC 5424 section 6.
const (
	maxHostname = 255
	maxAppName  = 48
	maxProcID   = 128
	maxMsgID    = 32
	maxSDName   = 32
	maxPRI      = 191 // facility 23 (local7), severity 7 (debug)
	// maxTimestamp is longer than any RFC 3339 time RFC 5424 allows
	// ("2006-01-02T15:04:05.000000-07:00", 32 bytes); time.Parse checks.
	maxTimestamp = 40
)

// bom is the UTF-8 byte order mark that RFC 5424 puts before a MSG it
// declares to be UTF-8.
const bom = "\xef\xbb\xbf"

// scanner reads a message left to right; i is the next byte.
type scanner struct {
	s     string
	i     int
	times *timeCache // nil: no cache
}

// timeCache remembers the last RFC 3339 TIMESTAMP of an RFC 3164 header
// and the time it read: a sender's messages mostly repeat their second,
// and reading one costs a time.Date, or a time.Parse (about half of
// Parse's time for loggen's messages, perf on Linux 6.18). The text is
// kept in an array, not as a string: the datagram it came from is reused
// after HandleBatch.
type timeCache struct {
	text [maxTimestamp]byte
	n    int
	loc  *time.Location // now's location when t was read: a zone-less time is taken there
	t    time.Time
}

func (p *scanner) fail(reason string) error { return &ParseError{Offset: p.i, Reason: reason} }

func (p *scanner) done() bool { return p.i >= len(p.s) }

// skip consumes c if it is next.
func (p *scanner) skip(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// digits consumes up to max decimal digits and returns their value and
// how many there were.
func (p *scanner) digits(max int) (v, n int) {
	for n < max && p.i < len(p.s) && isDigit(p.s[p.i]) {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n
}

// octetCount skips an RFC 6587 "LEN SP" prefix when LEN is exactly the
// length of the rest, which then must start a message with "<". The rest
// is counted with or without the trailing line feeds and NULs Parse
// trimmed (rawLen is the length before): util-linux logger counts
// without, loggen -P (syslog-ng 3.38) counts its trailing line feed.
func (p *scanner) octetCount(rawLen int) {
	q := *p
	v, n := q.digits(5)
	if n == 0 || !q.skip(' ') || (v != len(q.s)-q.i && v != rawLen-q.i) || !strings.HasPrefix(q.s[q.i:], "<") {
		return
	}
	*p = q
}

func (p *scanner) message(now time.Time) (Message, error) {
	pri, err := p.pri()
	if err != nil {
		return Message{}, err
	}
	m := Message{Facility: pri / 8, Severity: pri % 8}
	// "1 " after the PRI is RFC 5424's VERSION; an RFC 3164 TIMESTAMP
	// starts with a month name.
	q := *p
	if _, n := q.digits(3); n > 0 && q.skip(' ') {
		m.Format = Format5424
		err = p.rfc5424(&m)
	} else {
		m.Format = Format3164
		err = p.rfc3164(&m, now)
	}
	return m, err
}

// pri reads "<PRI>": 1 to 3 digits, no leading zero, at most 191.
func (p *scanner) pri() (int, error) {
	if !p.skip('<') {
		return 0, p.fail("want <PRI>")
	}
	start := p.i
	v, n := p.digits(3)
	switch {
	case n == 0:
		return 0, p.fail("PRI: want a digit")
	case n > 1 && p.s[start] == '0':
		p.i = start
		return 0, p.fail("PRI: leading zero")
	case v > maxPRI:
		p.i = start
		return 0, p.fail("PRI: above 191")
	case !p.skip('>'):
		return 0, p.fail("PRI: want 1 to 3 digits and >")
	}
	return v, nil
}

// rfc5424 reads what follows the PRI:
//
//	VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
func (p *scanner) rfc5424(m *Message) error {
	if !p.skip('1') || !p.skip(' ') {
		return p.fail("VERSION: only 1 is defined")
	}
	start := p.i
	ts, err := p.header("TIMESTAMP", maxTimestamp)
	if err != nil {
		return err
	}
	if ts != "" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			p.i = start
			return p.fail("TIMESTAMP: want RFC 3339 or -")
		}
		m.Timestamp = t
	}
	if m.Host, err = p.header("HOSTNAME", maxHostname); err != nil {
		return err
	}
	if m.App, err = p.header("APP-NAME", maxAppName); err != nil {
		return err
	}
	if m.ProcID, err = p.header("PROCID", maxProcID); err != nil {
		return err
	}
	if m.MsgID, err = p.header("MSGID", maxMsgID); err != nil {
		return err
	}
	if err := p.structuredData(); err != nil {
		return err
	}
	if p.done() {
		return nil
	}
	if !p.skip(' ') {
		return p.fail("want SP or the end after STRUCTURED-DATA")
	}
	m.Text = strings.TrimPrefix(p.s[p.i:], bom)
	return nil
}

// header reads one RFC 5424 header field and the SP after it: 1 to max
// printable US-ASCII bytes, "" for the NILVALUE "-".
func (p *scanner) header(name string, max int) (string, error) {
	start := p.i
	for p.i < len(p.s) && isPrint(p.s[p.i]) {
		p.i++
	}
	switch n := p.i - start; {
	case n == 0:
		return "", p.fail(name + ": want printable US-ASCII or -")
	case n > max:
		p.i = start
		return "", p.fail(name + ": longer than " + strconv.Itoa(max) + " bytes")
	}
	v := p.s[start:p.i]
	if !p.skip(' ') {
		return "", p.fail("want SP after " + name)
	}
	if v == "-" {
		return "", nil
	}
	return v, nil
}

// structuredData skips STRUCTURED-DATA: "-", or one or more
//
//	"[" SD-ID *(SP PARAM-NAME "=" DQUOTE PARAM-VALUE DQUOTE) "]"
//
// In a PARAM-VALUE a backslash escapes the next byte, so `\"` does not
// end the value and `\]` does not end the element. RFC 5424 section 6.3.3
// requires `"`, `\` and `]` to be escaped; an unescaped "]" inside the
// quotes is accepted, as the quotes already delimit the value.
func (p *scanner) structuredData() error {
	if p.skip('-') {
		return nil
	}
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return p.fail("STRUCTURED-DATA: want - or [")
	}
	for p.skip('[') {
		if err := p.sdName("SD-ID"); err != nil {
			return err
		}
		for p.skip(' ') {
			if err := p.sdName("PARAM-NAME"); err != nil {
				return err
			}
			if !p.skip('=') || !p.skip('"') {
				return p.fail(`SD-PARAM: want ="`)
			}
			if err := p.paramValue(); err != nil {
				return err
			}
		}
		if !p.skip(']') {
			return p.fail("SD-ELEMENT: want SP or ]")
		}
	}
	return nil
}

// sdName reads an SD-NAME: 1 to 32 printable US-ASCII bytes but "=",
// "]" and `"`.
func (p *scanner) sdName(what string) error {
	start := p.i
	for p.i < len(p.s) && isPrint(p.s[p.i]) && p.s[p.i] != '=' && p.s[p.i] != ']' && p.s[p.i] != '"' {
		p.i++
	}
	if n := p.i - start; n == 0 || n > maxSDName {
		p.i = start
		return p.fail(what + ": want 1 to 32 printable bytes")
	}
	return nil
}

// paramValue skips a PARAM-VALUE and its closing quote.
func (p *scanner) paramValue() error {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case '\\':
			p.i += 2 // the escaped byte, whatever it is
		case '"':
			p.i++
			return nil
		default:
			p.i++
		}
	}
	p.i = len(p.s)
	return p.fail("PARAM-VALUE: no closing quote")
}

// rfc3164 reads what follows the PRI:
//
//	TIMESTAMP SP [HOSTNAME SP] [TAG["[" PID "]"] ":" SP] MSG
//
// TIMESTAMP is "Mmm dd hh:mm:ss" with a space-padded day, or an RFC 3339
// date and time, with or without fraction and zone: loggen (syslog-ng
// 3.38) sends "2026-12-03T10:26:12" by default, and rsyslog's forwarding
// templates the form with fraction and zone. A local sender
// (openlog(3) and logger on /dev/log) leaves HOSTNAME out, so after the
// timestamp a word that is a well-formed TAG ending in ":" is taken as
// the TAG, and any other word of 1 to 255 printable US-ASCII bytes as the
// HOSTNAME (a longer or non-ASCII one starts the text). A message with
// neither a host nor a TAG cannot be told from one with a host and no
// TAG: the first word is then the host. That ambiguity is RFC 3164's own.
func (p *scanner) rfc3164(m *Message, now time.Time) error {
	if p.dateFirst() {
		t, err := p.rfc3339(now)
		if err != nil {
			return err
		}
		m.Timestamp = t
	} else {
		const stampLen = len(time.Stamp)
		if len(p.s)-p.i < stampLen {
			return p.fail("TIMESTAMP: want Mmm dd hh:mm:ss")
		}
		t, ok := stamp(p.s[p.i:p.i+stampLen], now)
		if !ok {
			return p.fail("TIMESTAMP: want Mmm dd hh:mm:ss")
		}
		m.Timestamp = t
		p.i += stampLen
	}
	if p.done() {
		return nil
	}
	if !p.skip(' ') {
		return p.fail("want SP after TIMESTAMP")
	}
	if !p.tag(m) {
		start := p.i
		for p.i < len(p.s) && isPrint(p.s[p.i]) {
			p.i++
		}
		if (p.i < len(p.s) && p.s[p.i] != ' ') || p.i-start > maxHostname {
			p.i = start // not a host name: all of it is the text
		} else {
			m.Host = p.s[start:p.i]
			p.skip(' ')
			p.tag(m)
		}
	}
	m.Text = p.s[p.i:]
	return nil
}

// dateFirst reports whether an RFC 3339 date, "YYYY-", is next.
func (p *scanner) dateFirst() bool {
	q := *p
	_, n := q.digits(4)
	return n == 4 && q.skip('-')
}

// rfc3339 reads an RFC 3339 timestamp up to the next SP or the end. One
// without a zone ("2026-12-03T10:26:12", loggen's) is taken in now's
// location, as an RFC 3164 "Mmm dd hh:mm:ss" is.
func (p *scanner) rfc3339(now time.Time) (time.Time, error) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ' ' && p.i-start <= maxTimestamp {
		p.i++
	}
	s := p.s[start:p.i]
	if len(s) > maxTimestamp {
		p.i = start
		return time.Time{}, p.fail("TIMESTAMP: longer than " + strconv.Itoa(maxTimestamp) + " bytes")
	}
	c := p.times
	if c != nil && c.n == len(s) && c.loc == now.Location() && string(c.text[:c.n]) == s {
		return c.t, nil
	}
	t, ok := readRFC3339(s, now.Location())
	if !ok {
		p.i = start
		return time.Time{}, p.fail("TIMESTAMP: want RFC 3339, with or without a zone")
	}
	if c != nil {
		c.n, c.loc, c.t = copy(c.text[:], s), now.Location(), t
	}
	return t, nil
}

// readRFC3339 reads s, an RFC 3339 time with or without a zone (then in
// loc).
func readRFC3339(s string, loc *time.Location) (time.Time, bool) {
	// time.Parse takes a fraction after the seconds even when the layout
	// has none. Choosing the layout first, rather than trying one and
	// then the other, keeps a failed attempt's error from allocating.
	if t, ok := plainTime(s, loc); ok {
		return t, true
	}
	var t time.Time
	var err error
	if hasZone(s) {
		t, err = time.Parse(time.RFC3339, s)
	} else {
		t, err = time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	}
	return t, err == nil
}

// plainTime reads loggen's form, "2006-01-02T15:04:05" exactly, in loc,
// without time.Parse's layout interpretation (a fifth of the program's
// parsing time at loggen's rate). Anything else is left to time.Parse.
func plainTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) != len("2006-01-02T15:04:05") || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	var v [6]int
	for i, at := range [6]int{0, 5, 8, 11, 14, 17} {
		w := 2
		if i == 0 {
			w = 4
		}
		for _, c := range []byte(s[at : at+w]) {
			if !isDigit(c) {
				return time.Time{}, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, loc)
	if t.Day() != v[2] {
		return time.Time{}, false // a day the month does not have: time.Date moved it
	}
	return t, true
}

// hasZone reports whether an RFC 3339 time s ends in a zone: "Z" or
// "+hh:mm" / "-hh:mm" after the time (the date's own "-" come before "T").
func hasZone(s string) bool {
	t := strings.IndexByte(s, 'T')
	return t >= 0 && (strings.HasSuffix(s, "Z") || strings.ContainsAny(s[t:], "+-"))
}

// tag reads "TAG: " or "TAG[PID]: " (or either at the very end) into
// m.App and m.ProcID and reports whether it did; if not, it consumes
// nothing. TAG is 1 to 48 printable bytes but ":", "[" and "]" (RFC 3164
// says alphanumeric, up to 32, but "postfix/smtpd" and "systemd-logind"
// are everywhere). The ":" must be followed by SP or the end, so that an
// IPv6 host name such as fe80::1 is not taken for a TAG.
func (p *scanner) tag(m *Message) bool {
	q := *p
	start := q.i
	for q.i < len(q.s) && isPrint(q.s[q.i]) && q.s[q.i] != ':' && q.s[q.i] != '[' && q.s[q.i] != ']' {
		q.i++
	}
	app := q.s[start:q.i]
	if len(app) == 0 || len(app) > maxAppName {
		return false
	}
	var pid string
	if q.skip('[') {
		ps := q.i
		for q.i < len(q.s) && isPrint(q.s[q.i]) && q.s[q.i] != ']' {
			q.i++
		}
		pid = q.s[ps:q.i]
		if len(pid) == 0 || len(pid) > maxProcID || !q.skip(']') {
			return false
		}
	}
	if !q.skip(':') || !(q.done() || q.skip(' ')) {
		return false
	}
	m.App, m.ProcID = app, pid
	*p = q
	return true
}

// stamp parses an RFC 3164 TIMESTAMP, "Jan _2 15:04:05", in now's
// location. It has no year: it gets the one that puts it nearest to now,
// so that "Dec 31 23:59:59" received on the 1st of January is last year's.
func stamp(s string, now time.Time) (time.Time, bool) {
	t, err := time.ParseInLocation(time.Stamp, s, now.Location())
	if err != nil {
		return time.Time{}, false
	}
	best, ok := time.Time{}, false
	for _, y := range [...]int{now.Year(), now.Year() - 1, now.Year() + 1} {
		c := time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, now.Location())
		if c.Day() != t.Day() {
			continue // February 29th in a year that has none
		}
		if !ok || absDuration(c.Sub(now)) < absDuration(best.Sub(now)) {
			best, ok = c, true
		}
	}
	return best, ok
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isPrint reports whether c is PRINTUSASCII (RFC 5424): "!" to "~".
func isPrint(c byte) bool { return 33 <= c && c <= 126 }
