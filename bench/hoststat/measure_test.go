package hoststat

import (
	"strings"
	"testing"
)

// procNetUDP is /proc/net/udp as Linux 6.18 prints it: port 0xA4F1 (42225)
// has two SO_REUSEPORT sockets, 0x0035 (53) one, and a connected socket
// (the sender's) has 0xA4F1 as its remote port only.
const procNetUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
  101: 0100007F:A4F1 00000000:0000 07 00000000:00001200 00:00000000 00000000     0        0 4242 2 0000000000000000 17
  102: 0100007F:A4F1 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4243 2 0000000000000000 3
  200: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1234 2 0000000000000000 0
  301: 0100007F:C350 0100007F:A4F1 01 00000000:00000000 00:00000000 00000000     0        0 5555 2 0000000000000000 0
`

// procNetUDP6 is /proc/net/udp6 with one socket on [::1]:42225.
const procNetUDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  50: 00000000000000000000000001000000:A4F1 00000000000000000000000000000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 777 2 0000000000000000 5
`

func TestParseProcNetUDP(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		port uint16
		want SocketStats
	}{
		{"reuseport pair", procNetUDP, 0xA4F1, SocketStats{Sockets: 2, Drops: 20, RxQueue: 0x1200}},
		{"one socket", procNetUDP, 53, SocketStats{Sockets: 1}},
		{"no such port", procNetUDP, 9, SocketStats{}},
		{"ipv6", procNetUDP6, 0xA4F1, SocketStats{Sockets: 1, Drops: 5, RxQueue: 0x300}},
		{"header only", strings.SplitAfter(procNetUDP, "\n")[0], 0xA4F1, SocketStats{}},
		{"empty", "", 1, SocketStats{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcNetUDP([]byte(tc.data), tc.port)
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	bad := strings.Replace(procNetUDP, "0000000000000000 17", "0000000000000000 x7", 1)
	if _, err := parseProcNetUDP([]byte(bad), 0xA4F1); err == nil {
		t.Error("bad drops column: no error")
	}
}

const procNetSNMP = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 1000
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 38713808 9006 177373054 32198612 177372954 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 1 2 3 4 5 0 0 0 0
`

const procNetSNMP6 = `Ip6InReceives                   	179841
Udp6InDatagrams                 	179641
Udp6NoPorts                     	200
Udp6InErrors                    	7
Udp6RcvbufErrors                	6
UdpLite6InErrors                	99
`

func TestParseSNMP(t *testing.T) {
	got, err := parseSNMP([]byte(procNetSNMP))
	want := UDPCounters{InDatagrams: 38713808, InErrors: 177373054, RcvbufErrors: 177372954}
	if err != nil || got != want {
		t.Errorf("parseSNMP = %+v, %v; want %+v", got, err, want)
	}
	got, err = parseSNMP6([]byte(procNetSNMP6))
	want = UDPCounters{InDatagrams: 179641, InErrors: 7, RcvbufErrors: 6}
	if err != nil || got != want {
		t.Errorf("parseSNMP6 = %+v, %v; want %+v", got, err, want)
	}
	for name, data := range map[string]string{
		"no Udp":     "Ip: A B\nIp: 1 2\n",
		"short":      "Udp: InDatagrams InErrors\nUdp: 1\n",
		"not number": "Udp: InDatagrams InErrors\nUdp: 1 x\n",
	} {
		if _, err := parseSNMP([]byte(data)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if d := (UDPCounters{InErrors: 5, RcvbufErrors: 1}).Sub(UDPCounters{InErrors: 2, RcvbufErrors: 3}); d != (UDPCounters{InErrors: 3}) {
		t.Errorf("Sub = %+v, want InErrors 3 only (a counter going backwards gives 0)", d)
	}
}

func TestAttributeLoss(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		offered, received, drops  uint64
		perDrop                   uint64
		kernel, app, unexpected   uint64
		wantPercent, wantKernelPc float64
	}{
		{"no loss", 100, 100, 0, 1, 0, 0, 0, 0, 0},
		{"all at the socket", 100, 80, 20, 1, 20, 0, 0, 20, 20},
		{"part unaccounted", 100, 80, 15, 1, 15, 5, 0, 20, 15},
		{"socket counter above the shortfall", 100, 90, 50, 1, 10, 0, 0, 10, 10},
		{"more received than offered", 100, 103, 0, 1, 0, 0, 3, 0, 0},
		{"nothing offered", 0, 0, 4, 1, 0, 0, 0, 0, 0},
		// GRO: 2 coalesced reads of up to 64 datagrams dropped; 100 lost.
		{"gro reads stand for their segments", 1000, 900, 2, 64, 100, 0, 0, 10, 10},
		// GRO: 1 read dropped cannot account for 100.
		{"gro bound below the shortfall", 1000, 900, 1, 64, 64, 36, 0, 10, 6.4},
		{"perDrop 0 counts as 1", 100, 90, 5, 0, 5, 5, 0, 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := AttributeLoss(tc.offered, tc.received, tc.drops, tc.perDrop)
			if l.KernelDropUnits != tc.drops {
				t.Errorf("KernelDropUnits %d, want the counter as read, %d", l.KernelDropUnits, tc.drops)
			}
			if l.KernelDrops != tc.kernel || l.AppLoss != tc.app || l.Unexpected != tc.unexpected {
				t.Errorf("got %+v", l)
			}
			if l.Offered+l.Unexpected != l.Received+l.KernelDrops+l.AppLoss {
				t.Errorf("%+v does not add up", l)
			}
			if p := l.Percent(l.Total()); p != tc.wantPercent {
				t.Errorf("loss %% = %v, want %v", p, tc.wantPercent)
			}
			if p := l.Percent(l.KernelDrops); p != tc.wantKernelPc {
				t.Errorf("kernel %% = %v, want %v", p, tc.wantKernelPc)
			}
		})
	}
}

func FuzzParseProcNetUDP(f *testing.F) {
	f.Add([]byte(procNetUDP), uint16(0xA4F1))
	f.Add([]byte(procNetUDP6), uint16(0xA4F1))
	f.Fuzz(func(t *testing.T, data []byte, port uint16) {
		st, err := parseProcNetUDP(data, port)
		if err == nil && st.Sockets == 0 && (st.Drops != 0 || st.RxQueue != 0) {
			t.Fatalf("counters %+v without a socket", st)
		}
	})
}

func FuzzParseSNMP(f *testing.F) {
	f.Add([]byte(procNetSNMP), []byte(procNetSNMP6))
	f.Fuzz(func(t *testing.T, snmp, snmp6 []byte) {
		parseSNMP(snmp)
		parseSNMP6(snmp6)
	})
}
