package errpolicy

import "golang.org/x/sys/unix"

// Each element fails to compile unless the table's number equals x/sys/unix's:
// the difference is an array length, and an array of any length but 0 cannot
// be an element of [...][0]struct{} (a negative difference overflows
// syscall.Errno). TestEveryRowIsChecked makes sure every row has a line here.
var _ = [...][0]struct{}{
	[freebsdEPERM - unix.EPERM]struct{}{},
	[freebsdEINTR - unix.EINTR]struct{}{},
	[freebsdEBADF - unix.EBADF]struct{}{},
	[freebsdENOMEM - unix.ENOMEM]struct{}{},
	[freebsdEACCES - unix.EACCES]struct{}{},
	[freebsdEFAULT - unix.EFAULT]struct{}{},
	[freebsdEINVAL - unix.EINVAL]struct{}{},
	[freebsdENFILE - unix.ENFILE]struct{}{},
	[freebsdEMFILE - unix.EMFILE]struct{}{},
	[freebsdEAGAIN - unix.EAGAIN]struct{}{},
	[freebsdENOTSOCK - unix.ENOTSOCK]struct{}{},
	[freebsdEMSGSIZE - unix.EMSGSIZE]struct{}{},
	[freebsdENOPROTOOPT - unix.ENOPROTOOPT]struct{}{},
	[freebsdENETDOWN - unix.ENETDOWN]struct{}{},
	[freebsdENETUNREACH - unix.ENETUNREACH]struct{}{},
	[freebsdECONNRESET - unix.ECONNRESET]struct{}{},
	[freebsdENOBUFS - unix.ENOBUFS]struct{}{},
	[freebsdENOTCONN - unix.ENOTCONN]struct{}{},
	[freebsdECONNREFUSED - unix.ECONNREFUSED]struct{}{},
	[freebsdEHOSTDOWN - unix.EHOSTDOWN]struct{}{},
	[freebsdEHOSTUNREACH - unix.EHOSTUNREACH]struct{}{},
}

// The send table's own numbers.
var _ = [...][0]struct{}{
	[freebsdENOENT - unix.ENOENT]struct{}{},
	[freebsdEPIPE - unix.EPIPE]struct{}{},
	[freebsdEDESTADDRREQ - unix.EDESTADDRREQ]struct{}{},
	[freebsdEAFNOSUPPORT - unix.EAFNOSUPPORT]struct{}{},
	[freebsdEADDRNOTAVAIL - unix.EADDRNOTAVAIL]struct{}{},
}
