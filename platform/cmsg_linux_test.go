package platform

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestHostCmsgLayout checks hostCmsg's struct cmsghdr against x/sys/unix's
// CMSG_LEN and CMSG_SPACE for this architecture.
func TestHostCmsgLayout(t *testing.T) {
	if got, want := hostCmsg.alignUp(hostCmsg.hdrSize()), unix.CmsgLen(0); got != want {
		t.Errorf("CMSG_DATA offset %d, x/sys says %d", got, want)
	}
	if hostCmsg.hdrSize() != unix.SizeofCmsghdr {
		t.Errorf("sizeof(struct cmsghdr) %d, x/sys says %d", hostCmsg.hdrSize(), unix.SizeofCmsghdr)
	}
	for _, n := range []int{0, 1, 4, 12, 16, 20, 21} {
		if got, want := hostCmsg.space(n), unix.CmsgSpace(n); got != want {
			t.Errorf("CMSG_SPACE(%d) = %d, x/sys says %d", n, got, want)
		}
	}
}
