package platform

import (
	"errors"
	"testing"
)

func TestSetLargestRecvBuffer(t *testing.T) {
	errTooLarge := errors.New("ENOBUFS")
	errOther := errors.New("EINVAL")
	for _, tc := range []struct {
		name        string
		limit       int // the kernel's largest accepted size
		ok, refused int
		failAt      int // set fails with errOther at this size; 0: never
		wantErr     error
	}{
		{name: "limit between", limit: 6_990_506, ok: 212_992, refused: 32 << 20},
		{name: "limit just above ok", limit: 212_993, ok: 212_992, refused: 8 << 20},
		{name: "limit just below refused", limit: 8<<20 - 1, ok: 212_992, refused: 8 << 20},
		{name: "nothing to search", limit: 1 << 20, ok: 1 << 20, refused: 1 << 20, wantErr: errTooLarge},
		{name: "other error", limit: 6 << 20, ok: 212_992, refused: 32 << 20, failAt: 16<<20 + 106_496, wantErr: errOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur, calls := tc.ok, 0
			set := func(n int) error {
				calls++
				if n == tc.failAt {
					return errOther
				}
				if n > tc.limit {
					return errTooLarge
				}
				cur = n
				return nil
			}
			err := setLargestRecvBuffer(tc.ok, tc.refused, set, errTooLarge)
			if tc.wantErr != nil {
				if err != tc.wantErr {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cur > tc.limit || tc.limit-cur > recvBufferStep {
				t.Errorf("left %d set, want within %d below the limit %d", cur, recvBufferStep, tc.limit)
			}
			if calls > 40 {
				t.Errorf("%d setsockopt calls: the search does not converge", calls)
			}
		})
	}
}
