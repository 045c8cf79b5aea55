//go:build !unix

package main

// sdNotify does nothing where there are no unix datagram sockets (Windows,
// Plan 9, WebAssembly), and so no systemd: see sdnotify.go.
func sdNotify(string) error { return nil }
