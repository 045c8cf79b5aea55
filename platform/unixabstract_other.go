//go:build unix && !linux && !aix

package platform

// abstractUnixNames reports whether unix socket addresses have an abstract
// namespace ("@name"): not on this system, where "@name" is refused rather
// than bound as a file of that name.
const abstractUnixNames = false
