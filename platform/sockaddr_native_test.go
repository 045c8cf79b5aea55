//go:build linux || darwin || freebsd

package platform

import (
	"net/netip"
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sockaddrIn6 builds a struct sockaddr_in6 the way the kernel writes one.
func sockaddrIn6(ap netip.AddrPort, scope uint32) *unix.RawSockaddrInet6 {
	rsa := &unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ap.Addr().As16(), Scope_id: scope}
	putNetPort(&rsa.Port, ap.Port())
	return rsa
}

// sockaddrIn builds a struct sockaddr_in inside sockaddr_in6 storage, as
// the kernel does when msg_name has room for either.
func sockaddrIn(ap netip.AddrPort) *unix.RawSockaddrInet6 {
	rsa := new(unix.RawSockaddrInet6)
	sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
	sa4.Family = unix.AF_INET
	sa4.Addr = ap.Addr().As4()
	putNetPort(&sa4.Port, ap.Port())
	return rsa
}

func putNetPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

func TestSockaddrDecode(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		name    string
		rsa     *unix.RawSockaddrInet6
		namelen uint32
		want    netip.AddrPort
	}{
		{"v4", sockaddrIn(ap("127.0.0.1:5353")), unix.SizeofSockaddrInet4, ap("127.0.0.1:5353")},
		{"v4 high port", sockaddrIn(ap("192.0.2.7:65535")), unix.SizeofSockaddrInet4, ap("192.0.2.7:65535")},
		{"v4 port byte order", sockaddrIn(ap("10.0.0.1:258")), unix.SizeofSockaddrInet4, ap("10.0.0.1:258")},
		{"v6", sockaddrIn6(ap("[::1]:53"), 0), unix.SizeofSockaddrInet6, ap("[::1]:53")},
		{"v6 global", sockaddrIn6(ap("[2001:db8::1]:4433"), 0), unix.SizeofSockaddrInet6, ap("[2001:db8::1]:4433")},
		{"v4-mapped is unmapped", sockaddrIn6(ap("[::ffff:192.0.2.1]:9"), 0), unix.SizeofSockaddrInet6, ap("192.0.2.1:9")},
		{"v4-mapped drops a scope", sockaddrIn6(ap("[::ffff:192.0.2.1]:9"), 3), unix.SizeofSockaddrInet6, ap("192.0.2.1:9")},
		{"v6 scope id is the zone", sockaddrIn6(ap("[fe80::1]:547"), 2), unix.SizeofSockaddrInet6, ap("[fe80::1%2]:547")},
		{"v6 large scope id", sockaddrIn6(ap("[fe80::1]:547"), 4000), unix.SizeofSockaddrInet6, ap("[fe80::1%4000]:547")},
		{"v6 namelen larger than the struct", sockaddrIn6(ap("[::1]:7"), 0), unix.SizeofSockaddrAny, ap("[::1]:7")},
		{"namelen 0 (shutdown, unbound sender)", sockaddrIn6(ap("[::1]:53"), 0), 0, netip.AddrPort{}},
		{"v4 short namelen", sockaddrIn(ap("127.0.0.1:53")), unix.SizeofSockaddrInet4 - 1, netip.AddrPort{}},
		{"v6 short namelen", sockaddrIn6(ap("[::1]:53"), 0), unix.SizeofSockaddrInet6 - 1, netip.AddrPort{}},
		{"v6 namelen of a sockaddr_in", sockaddrIn6(ap("[::1]:53"), 0), unix.SizeofSockaddrInet4, netip.AddrPort{}},
		{"family unspecified", &unix.RawSockaddrInet6{}, unix.SizeofSockaddrInet6, netip.AddrPort{}},
		{"family AF_UNIX", &unix.RawSockaddrInet6{Family: unix.AF_UNIX}, unix.SizeofSockaddrInet6, netip.AddrPort{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeSockaddr(tc.rsa, tc.namelen); got != tc.want {
				t.Errorf("decodeSockaddr = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSockaddrDecodeAllocs(t *testing.T) {
	for _, rsa := range []*unix.RawSockaddrInet6{
		sockaddrIn(netip.MustParseAddrPort("127.0.0.1:53")),
		sockaddrIn6(netip.MustParseAddrPort("[2001:db8::1]:53"), 0),
		sockaddrIn6(netip.MustParseAddrPort("[::ffff:127.0.0.1]:53"), 0),
		sockaddrIn6(netip.MustParseAddrPort("[fe80::1]:53"), 2),
	} {
		var sink netip.AddrPort
		if n := testing.AllocsPerRun(100, func() { sink = decodeSockaddr(rsa, unix.SizeofSockaddrInet6) }); n != 0 {
			t.Errorf("decodeSockaddr(%v) allocates %v times per call, want 0", sink, n)
		}
	}
}

// FuzzSockaddrDecode feeds arbitrary bytes as the kernel's sockaddr and
// checks the result against the fields read independently.
func FuzzSockaddrDecode(f *testing.F) {
	raw := func(rsa *unix.RawSockaddrInet6) []byte {
		return (*[unix.SizeofSockaddrInet6]byte)(unsafe.Pointer(rsa))[:]
	}
	f.Add(raw(sockaddrIn(netip.MustParseAddrPort("127.0.0.1:53"))), uint32(unix.SizeofSockaddrInet4))
	f.Add(raw(sockaddrIn6(netip.MustParseAddrPort("[::1]:53"), 0)), uint32(unix.SizeofSockaddrInet6))
	f.Add(raw(sockaddrIn6(netip.MustParseAddrPort("[::ffff:10.1.2.3]:80"), 0)), uint32(unix.SizeofSockaddrInet6))
	f.Add(raw(sockaddrIn6(netip.MustParseAddrPort("[fe80::1]:547"), 7)), uint32(unix.SizeofSockaddrInet6))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, namelen uint32) {
		var rsa unix.RawSockaddrInet6
		copy((*[unix.SizeofSockaddrInet6]byte)(unsafe.Pointer(&rsa))[:], data)
		got := decodeSockaddr(&rsa, namelen)
		if !got.IsValid() {
			if rsa.Family == unix.AF_INET6 && namelen >= unix.SizeofSockaddrInet6 ||
				rsa.Family == unix.AF_INET && namelen >= unix.SizeofSockaddrInet4 {
				t.Fatalf("family %d namelen %d decoded to nothing", rsa.Family, namelen)
			}
			return
		}
		a := got.Addr()
		if a.Is4In6() {
			t.Fatalf("%v: v4-mapped address left mapped", got)
		}
		switch rsa.Family {
		case unix.AF_INET:
			sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
			if namelen < unix.SizeofSockaddrInet4 || !a.Is4() || a.As4() != sa4.Addr || got.Port() != netPort(&sa4.Port) {
				t.Fatalf("sockaddr_in %x namelen %d decoded to %v", data, namelen, got)
			}
		case unix.AF_INET6:
			if namelen < unix.SizeofSockaddrInet6 || a.As16() != rsa.Addr || got.Port() != netPort(&rsa.Port) {
				t.Fatalf("sockaddr_in6 %x namelen %d decoded to %v", data, namelen, got)
			}
			wantZone := ""
			if a.Is6() && rsa.Scope_id != 0 {
				wantZone = strconv.FormatUint(uint64(rsa.Scope_id), 10)
			}
			if a.Zone() != wantZone {
				t.Fatalf("scope id %d decoded to zone %q", rsa.Scope_id, a.Zone())
			}
		default:
			t.Fatalf("family %d decoded to %v", rsa.Family, got)
		}
		// What is reported must survive a round trip through its text.
		if back, err := netip.ParseAddrPort(got.String()); err != nil || back != got {
			t.Fatalf("%v does not round-trip: %v, %v", got, back, err)
		}
	})
}
