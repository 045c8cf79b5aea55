package errpolicy_test

import (
	"testing"

	"github.com/udprx/udprx/errpolicy"
)

func TestVerdictString(t *testing.T) {
	tests := []struct {
		v    errpolicy.Verdict
		want string
	}{
		{errpolicy.Retry, "retry"},
		{errpolicy.Wait, "wait"},
		{errpolicy.Count, "count"},
		{errpolicy.Backoff, "backoff"},
		{errpolicy.Fatal, "fatal"},
		{errpolicy.Stop, "stop"},
		{errpolicy.Drop, "drop"},
		{0, "invalid"},
		{errpolicy.Drop + 1, "invalid"},
		{255, "invalid"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("Verdict(%d).String() = %q, want %q", uint8(tt.v), got, tt.want)
		}
	}
}
