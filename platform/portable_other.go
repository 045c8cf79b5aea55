//go:build !unix && !windows

package platform

// msgTrunc is zero: on these systems (js, wasip1, plan9) package net
// reports no msg_flags, so truncation cannot be seen.
const msgTrunc = 0

// readTruncated reports whether a read error means "truncated": never here.
func readTruncated(error) bool { return false }
