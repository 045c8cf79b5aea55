package errpolicy

// Host is the table of the OS being built for: [Windows] here.
var Host = Windows
