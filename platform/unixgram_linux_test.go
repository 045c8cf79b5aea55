package platform

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
)

// TestUnixgramAbstract: Linux's abstract names have no file and no lock;
// a second socket on the name is refused by the kernel (EADDRINUSE), and
// the name is free again the moment the socket closes.
func TestUnixgramAbstract(t *testing.T) {
	t.Parallel()
	for _, be := range ugBackends {
		t.Run(be.name, func(t *testing.T) {
			name := fmt.Sprintf("@udprx-test-%d-%x", os.Getpid(), rand.Uint64())
			r := ugListen(t, name, Options{Portable: be.portable})
			if p := r.Info().Path; p != "" {
				t.Errorf("Info.Path = %q for an abstract name, want \"\"", p)
			}
			if la, ok := r.LocalAddr().(*net.UnixAddr); !ok || la.Name != name {
				t.Errorf("LocalAddr = %#v, want a *net.UnixAddr named %s", r.LocalAddr(), name)
			}
			s := ugSender(t, name, "")
			b := ptBatch(t, 4, 2048)
			ptReadNone(t, r, b)
			ugWrite(t, s, []byte("abstract"))
			ptWait(t, r, Readable)
			ptReadOne(t, r, b, []byte("abstract"), netip.AddrPort{}, 0)

			second, err := Listen("unixgram", name, Options{Portable: be.portable})
			if err == nil {
				second.Close()
				t.Fatal("a second Listen on the abstract name succeeded")
			}
			if !errors.Is(err, ErrAddrInUse) || !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("second Listen = %v, want an error matching ErrAddrInUse and EADDRINUSE", err)
			}
			ugWrite(t, s, []byte("still the first"))
			ptWait(t, r, Readable)
			ptReadOne(t, r, b, []byte("still the first"), netip.AddrPort{}, 0)

			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			ugListen(t, name, Options{Portable: be.portable}).Close()
		})
	}
}
