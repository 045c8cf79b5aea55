package errpolicy

import (
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// sendErrno builds the chain the platform and engine layers produce for a
// failed send.
func sendErrno(errno uintptr) error {
	return &net.OpError{Op: "write", Net: "udp", Err: &os.SyscallError{Syscall: "sendmmsg", Err: syscall.Errno(errno)}}
}

// goneNames are the only errors a send may find fatal: the socket itself
// is gone (closed, replaced, shut down for writing, its memory invalid).
// Everything else concerns one message or destination, or passes.
var goneNames = []string{"EBADF", "ENOTSOCK", "EFAULT", "EPIPE",
	"WSAEBADF", "WSAENOTSOCK", "WSAEFAULT", "WSAESHUTDOWN", "WSANOTINITIALISED"}

// sendVerdicts are the verdicts a send row may have; Count and Stop are
// receive-only (Stop comes from our own close, never an errno).
var sendVerdicts = []Verdict{Retry, Wait, Drop, Backoff, Fatal}

func TestSendRowsWellFormed(t *testing.T) {
	for _, table := range append(slices.Clone(platformTables), host) {
		t.Run(table.Name(), func(t *testing.T) {
			rows := table.SendRows()
			if len(rows) == 0 {
				t.Fatal("no send rows")
			}
			errnos := map[uintptr]string{}
			names := map[string]uintptr{}
			for i, r := range rows {
				if r.Errno == 0 {
					t.Errorf("send row %d (%s): errno 0", i, r.Name)
				}
				if r.Name == "" || strings.TrimSpace(r.Name) != r.Name {
					t.Errorf("send row %d (errno %d): bad name %q", i, r.Errno, r.Name)
				}
				if r.Reason == "" || strings.ContainsAny(r.Reason, "\n|") {
					t.Errorf("send row %s: reason %q is empty or breaks a one-line markdown cell", r.Name, r.Reason)
				}
				if !slices.Contains(sendVerdicts, r.Verdict) {
					t.Errorf("send row %s: verdict %v is not a send verdict", r.Name, r.Verdict)
				}
				if (r.Verdict == Retry) != (r.Label == "") {
					t.Errorf("send row %s: verdict %v with label %q: exactly the Retry rows, which drop nothing, have no label", r.Name, r.Verdict, r.Label)
				}
				if r.Label != "" && !slices.Contains(sendLabels[:], r.Label) {
					t.Errorf("send row %s: label %q is not one of SendLabels %v", r.Name, r.Label, sendLabels)
				}
				if prev, dup := errnos[r.Errno]; dup {
					t.Errorf("errno %d twice: %s and %s", r.Errno, prev, r.Name)
				}
				if prev, dup := names[r.Name]; dup {
					t.Errorf("name %s twice: errno %d and %d", r.Name, prev, r.Errno)
				}
				errnos[r.Errno], names[r.Name] = r.Name, r.Errno
				if i > 0 && rows[i-1].Errno >= r.Errno {
					t.Errorf("send rows out of order at %s", r.Name)
				}
				// A number has one name on a platform, whichever table says it.
				for _, rr := range table.Rows() {
					if rr.Errno == r.Errno && rr.Name != r.Name {
						t.Errorf("errno %d is %s in the receive rows and %s in the send rows", r.Errno, rr.Name, r.Name)
					}
				}
				// Every row is reachable through ClassifySend, by the full chain.
				d := table.ClassifySend(sendErrno(r.Errno))
				if d.Name != r.Name || d.Verdict != r.Verdict || d.Label != r.Label || d.Reason != r.Reason || d.Errno != r.Errno {
					t.Errorf("ClassifySend(errno %d) = %+v, want row %+v", r.Errno, d, r)
				}
			}
		})
	}
}

// TestSendPolicy checks the rules every send table keeps, whatever its
// numbers: only a socket that is gone is fatal; a buffer shortage is
// never waited for (on the BSDs the socket stays writable through
// ENOBUFS, so a wait for writability would spin); only a full send buffer
// is waited for; only an interrupted call is retried.
func TestSendPolicy(t *testing.T) {
	for _, table := range append(slices.Clone(platformTables), host) {
		t.Run(table.Name(), func(t *testing.T) {
			for _, r := range table.SendRows() {
				gone := slices.Contains(goneNames, r.Name)
				if (r.Verdict == Fatal) != gone {
					t.Errorf("%s is %v: only the socket-gone errors %v may be fatal, and they must be", r.Name, r.Verdict, goneNames)
				}
				if (r.Label == "gone") != gone {
					t.Errorf("%s has label %q: \"gone\" is for exactly the socket-gone errors", r.Name, r.Label)
				}
				switch r.Name {
				case "ENOBUFS", "ENOMEM", "WSAENOBUFS":
					if r.Verdict != Backoff || r.Label != "no_buffer" {
						t.Errorf("%s is %v %q, want backoff \"no_buffer\": never wait on a shortage", r.Name, r.Verdict, r.Label)
					}
				case "EAGAIN", "WSAEWOULDBLOCK":
					if r.Verdict != Wait || r.Label != "full" {
						t.Errorf("%s is %v %q, want wait \"full\"", r.Name, r.Verdict, r.Label)
					}
				case "EINTR", "WSAEINTR":
					if r.Verdict != Retry {
						t.Errorf("%s is %v, want retry", r.Name, r.Verdict)
					}
				default:
					if r.Verdict == Wait || r.Verdict == Retry || r.Verdict == Backoff {
						t.Errorf("%s is %v: only a full buffer waits, an interrupted call retries and a shortage backs off", r.Name, r.Verdict)
					}
				}
			}
		})
	}
}

// TestEveryTableHasTheCoreSendErrors makes sure no platform forgot one of
// the errors a reply path meets.
func TestEveryTableHasTheCoreSendErrors(t *testing.T) {
	posix := []string{"EINTR", "EAGAIN", "ENOBUFS", "ENOMEM", "EMSGSIZE", "ECONNREFUSED", "ECONNRESET",
		"EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN", "EPERM", "EACCES",
		"EDESTADDRREQ", "EAFNOSUPPORT", "EADDRNOTAVAIL", "EINVAL", "EBADF", "ENOTSOCK", "EPIPE"}
	core := map[string][]string{
		"linux":   append(slices.Clone(posix), "EIO"),
		"darwin":  posix,
		"freebsd": posix,
		"windows": {"WSAEINTR", "WSAEWOULDBLOCK", "WSAENOBUFS", "WSAEMSGSIZE", "WSAECONNRESET", "WSAENETRESET",
			"WSAEHOSTUNREACH", "WSAENETUNREACH", "WSAEACCES", "WSAEADDRNOTAVAIL", "WSAEAFNOSUPPORT",
			"WSAEDESTADDRREQ", "WSAENOTSOCK", "WSAEINVAL"},
	}
	for _, table := range platformTables {
		var have []string
		for _, r := range table.SendRows() {
			have = append(have, r.Name)
		}
		for _, name := range core[table.Name()] {
			if !slices.Contains(have, name) {
				t.Errorf("%s: no send row for %s", table.Name(), name)
			}
		}
	}
}

// TestSendRowsIsACopy makes sure callers cannot change the table.
func TestSendRowsIsACopy(t *testing.T) {
	rows := Linux.SendRows()
	rows[0].Verdict = Fatal
	if Linux.SendRows()[0].Verdict == Fatal {
		t.Fatal("changing the slice SendRows returned changed the table")
	}
}
