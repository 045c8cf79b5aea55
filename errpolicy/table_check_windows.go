package errpolicy

import "golang.org/x/sys/windows"

// Each element fails to compile unless the table's number equals x/sys/windows's:
// the difference is an array length, and an array of any length but 0 cannot
// be an element of [...][0]struct{} (a negative difference overflows
// syscall.Errno). TestEveryRowIsChecked makes sure every row has a line here.
var _ = [...][0]struct{}{
	[windowsERROR_OPERATION_ABORTED - windows.ERROR_OPERATION_ABORTED]struct{}{},
	[windowsWSAEINTR - windows.WSAEINTR]struct{}{},
	[windowsWSAEBADF - windows.WSAEBADF]struct{}{},
	[windowsWSAEFAULT - windows.WSAEFAULT]struct{}{},
	[windowsWSAEINVAL - windows.WSAEINVAL]struct{}{},
	[windowsWSAEMFILE - windows.WSAEMFILE]struct{}{},
	[windowsWSAEWOULDBLOCK - windows.WSAEWOULDBLOCK]struct{}{},
	[windowsWSAENOTSOCK - windows.WSAENOTSOCK]struct{}{},
	[windowsWSAEMSGSIZE - windows.WSAEMSGSIZE]struct{}{},
	[windowsWSAEOPNOTSUPP - windows.WSAEOPNOTSUPP]struct{}{},
	[windowsWSAENETDOWN - windows.WSAENETDOWN]struct{}{},
	[windowsWSAENETUNREACH - windows.WSAENETUNREACH]struct{}{},
	[windowsWSAENETRESET - windows.WSAENETRESET]struct{}{},
	[windowsWSAECONNRESET - windows.WSAECONNRESET]struct{}{},
	[windowsWSAENOBUFS - windows.WSAENOBUFS]struct{}{},
	[windowsWSAENOTCONN - windows.WSAENOTCONN]struct{}{},
	[windowsWSAESHUTDOWN - windows.WSAESHUTDOWN]struct{}{},
	[windowsWSAEHOSTUNREACH - windows.WSAEHOSTUNREACH]struct{}{},
	[windowsWSANOTINITIALISED - windows.WSANOTINITIALISED]struct{}{},
}

// The send table's own numbers.
var _ = [...][0]struct{}{
	[windowsWSAEACCES - windows.WSAEACCES]struct{}{},
	[windowsWSAEDESTADDRREQ - windows.WSAEDESTADDRREQ]struct{}{},
	[windowsWSAEAFNOSUPPORT - windows.WSAEAFNOSUPPORT]struct{}{},
	[windowsWSAEADDRNOTAVAIL - windows.WSAEADDRNOTAVAIL]struct{}{},
}
