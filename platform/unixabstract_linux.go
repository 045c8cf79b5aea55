package platform

// abstractUnixNames reports whether unix socket addresses have an abstract
// namespace: "@name", sun_path[0] = 0 (unix(7)). Linux only. An abstract
// name has no file, so it cannot go stale and needs no lock; it belongs to
// the network namespace and has no permissions.
const abstractUnixNames = true
