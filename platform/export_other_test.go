//go:build !unix || aix

package platform

// UnixgramSupported reports whether Listen opens "unixgram" sockets here.
const UnixgramSupported = false

// ShutdownRead is nil: the contract's hang-up case is skipped here.
var ShutdownRead func(Receiver) error
