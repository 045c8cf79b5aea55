package errpolicy

// host is the table of the OS being built for: [FreeBSD] here.
var host = FreeBSD
