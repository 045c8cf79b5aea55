// Package doccheck holds a test, not code: every exported identifier in
// the module has a doc comment, and every package has a package comment.
package doccheck
