package platform

import (
	"syscall"
	"testing"
)

func TestFoldKevents(t *testing.T) {
	const (
		ebadf    = syscall.Errno(9)  // EBADF on darwin and FreeBSD: a defunct socket
		enotconn = syscall.Errno(57) // ENOTCONN on darwin and FreeBSD
	)
	for _, tc := range []struct {
		name string
		recs []keventRecord
		want Event
	}{
		{"nothing", nil, Event{}},
		{"datagrams queued", []keventRecord{{data: 64}}, Event{Events: Readable}},
		{"wake", []keventRecord{{user: true}}, Event{Events: Woken}},
		{"wake and datagrams", []keventRecord{{data: 64}, {user: true}}, Event{Events: Readable | Woken}},
		{"pending socket error", []keventRecord{{data: 0}}, Event{Events: Readable | ErrorPending}},
		{"shutdown, queue empty", []keventRecord{{eof: true}}, Event{Events: HangUp}},
		{"shutdown, datagrams left", []keventRecord{{eof: true, data: 28}}, Event{Events: HangUp | Readable}},
		{"defunct (darwin)", []keventRecord{{eof: true, fflags: uint32(ebadf)}}, Event{Events: HangUp | ErrorPending, Errno: ebadf}},
		{"eof with error and data", []keventRecord{{eof: true, fflags: uint32(enotconn), data: 10}}, Event{Events: HangUp | ErrorPending | Readable, Errno: enotconn}},
		{"EV_ERROR", []keventRecord{{err: true, data: int64(ebadf)}}, Event{Events: ErrorPending, Errno: ebadf}},
		{"EV_ERROR on the wake event", []keventRecord{{user: true, err: true, data: int64(ebadf)}}, Event{Events: ErrorPending, Errno: ebadf}},
		{"first errno wins", []keventRecord{{err: true, data: int64(ebadf)}, {eof: true, fflags: uint32(enotconn)}}, Event{Events: ErrorPending | HangUp, Errno: ebadf}},
		{"hang-up and wake", []keventRecord{{eof: true}, {user: true}}, Event{Events: HangUp | Woken}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := foldKevents(tc.recs); got != tc.want {
				t.Errorf("foldKevents = {%v %d}, want {%v %d}", got.Events, got.Errno, tc.want.Events, tc.want.Errno)
			}
		})
	}
}
