package errpolicy

// Host is the table of the OS being built for: [FreeBSD] here.
var Host = FreeBSD
