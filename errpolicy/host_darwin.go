package errpolicy

// host is the table of the OS being built for: [Darwin] here, on macOS and
// iOS (which satisfies the darwin build constraint).
var host = Darwin
