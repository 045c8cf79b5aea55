//go:build !unix

package errpolicy

// hostErrnoName returns "": x/sys has no static errno names here (Windows
// names its codes only through FormatMessage, which allocates).
func hostErrnoName(uintptr) string { return "" }
