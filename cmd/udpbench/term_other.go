//go:build !unix

package main

import "os"

// isTerminal reports false: on systems that are not Unix (Windows, Plan 9,
// WebAssembly) udpbench does not look, and so prints no progress lines.
func isTerminal(*os.File) bool { return false }
