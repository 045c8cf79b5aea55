package errpolicy

import "golang.org/x/sys/unix"

// Each element fails to compile unless the table's number equals x/sys/unix's:
// the difference is an array length, and an array of any length but 0 cannot
// be an element of [...][0]struct{} (a negative difference overflows
// syscall.Errno). TestEveryRowIsChecked makes sure every row has a line here.
var _ = [...][0]struct{}{
	[darwinEPERM - unix.EPERM]struct{}{},
	[darwinEINTR - unix.EINTR]struct{}{},
	[darwinEBADF - unix.EBADF]struct{}{},
	[darwinENOMEM - unix.ENOMEM]struct{}{},
	[darwinEACCES - unix.EACCES]struct{}{},
	[darwinEFAULT - unix.EFAULT]struct{}{},
	[darwinEINVAL - unix.EINVAL]struct{}{},
	[darwinENFILE - unix.ENFILE]struct{}{},
	[darwinEMFILE - unix.EMFILE]struct{}{},
	[darwinEAGAIN - unix.EAGAIN]struct{}{},
	[darwinENOTSOCK - unix.ENOTSOCK]struct{}{},
	[darwinEMSGSIZE - unix.EMSGSIZE]struct{}{},
	[darwinENOPROTOOPT - unix.ENOPROTOOPT]struct{}{},
	[darwinENETDOWN - unix.ENETDOWN]struct{}{},
	[darwinENETUNREACH - unix.ENETUNREACH]struct{}{},
	[darwinECONNRESET - unix.ECONNRESET]struct{}{},
	[darwinENOBUFS - unix.ENOBUFS]struct{}{},
	[darwinENOTCONN - unix.ENOTCONN]struct{}{},
	[darwinECONNREFUSED - unix.ECONNREFUSED]struct{}{},
	[darwinEHOSTDOWN - unix.EHOSTDOWN]struct{}{},
	[darwinEHOSTUNREACH - unix.EHOSTUNREACH]struct{}{},
}

// The send table's own numbers.
var _ = [...][0]struct{}{
	[darwinENOENT - unix.ENOENT]struct{}{},
	[darwinEPIPE - unix.EPIPE]struct{}{},
	[darwinEDESTADDRREQ - unix.EDESTADDRREQ]struct{}{},
	[darwinEAFNOSUPPORT - unix.EAFNOSUPPORT]struct{}{},
	[darwinEADDRNOTAVAIL - unix.EADDRNOTAVAIL]struct{}{},
}
