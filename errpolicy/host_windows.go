package errpolicy

// host is the table of the OS being built for: [Windows] here.
var host = Windows
