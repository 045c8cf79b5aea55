//go:build !mips && !mipsle && !mips64 && !mips64le

package errpolicy

import "golang.org/x/sys/unix"

// Each element fails to compile unless the table's number equals x/sys/unix's:
// the difference is an array length, and an array of any length but 0 cannot
// be an element of [...][0]struct{} (a negative difference overflows
// syscall.Errno). TestEveryRowIsChecked makes sure every row has a line here.
// The kernel-internal rows (512 and up) have no x/sys constant to check.
var _ = [...][0]struct{}{
	[linuxEPERM - unix.EPERM]struct{}{},
	[linuxEINTR - unix.EINTR]struct{}{},
	[linuxEBADF - unix.EBADF]struct{}{},
	[linuxEAGAIN - unix.EAGAIN]struct{}{},
	[linuxENOMEM - unix.ENOMEM]struct{}{},
	[linuxEACCES - unix.EACCES]struct{}{},
	[linuxEFAULT - unix.EFAULT]struct{}{},
	[linuxEINVAL - unix.EINVAL]struct{}{},
	[linuxENFILE - unix.ENFILE]struct{}{},
	[linuxEMFILE - unix.EMFILE]struct{}{},
	[linuxENONET - unix.ENONET]struct{}{},
	[linuxEPROTO - unix.EPROTO]struct{}{},
	[linuxENOTSOCK - unix.ENOTSOCK]struct{}{},
	[linuxEMSGSIZE - unix.EMSGSIZE]struct{}{},
	[linuxENOPROTOOPT - unix.ENOPROTOOPT]struct{}{},
	[linuxEOPNOTSUPP - unix.EOPNOTSUPP]struct{}{},
	[linuxENETDOWN - unix.ENETDOWN]struct{}{},
	[linuxENETUNREACH - unix.ENETUNREACH]struct{}{},
	[linuxECONNRESET - unix.ECONNRESET]struct{}{},
	[linuxENOBUFS - unix.ENOBUFS]struct{}{},
	[linuxENOTCONN - unix.ENOTCONN]struct{}{},
	[linuxECONNREFUSED - unix.ECONNREFUSED]struct{}{},
	[linuxEHOSTDOWN - unix.EHOSTDOWN]struct{}{},
	[linuxEHOSTUNREACH - unix.EHOSTUNREACH]struct{}{},
}

// The send table's own numbers.
var _ = [...][0]struct{}{
	[linuxENOENT - unix.ENOENT]struct{}{},
	[linuxEIO - unix.EIO]struct{}{},
	[linuxEPIPE - unix.EPIPE]struct{}{},
	[linuxEDESTADDRREQ - unix.EDESTADDRREQ]struct{}{},
	[linuxEAFNOSUPPORT - unix.EAFNOSUPPORT]struct{}{},
	[linuxEADDRNOTAVAIL - unix.EADDRNOTAVAIL]struct{}{},
}
