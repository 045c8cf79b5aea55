//go:build !mips && !mipsle && !mips64 && !mips64le

package errpolicy

// host is the table of the OS being built for: [Linux] here, on Linux and
// Android on every architecture but the mips family, whose errno numbers
// differ and which gets the generic table of host_other.go.
var host = Linux
