// Package seccomptest injects system call failures into the test process
// with a seccomp filter (Linux), for the faults the kernel will not produce
// on demand: every epoll_wait on one descriptor failing with EINTR, say. A
// filter cannot be removed once installed, so a test installs it in a copy
// of itself (InChild) and the parent checks that copy's result. It is
// imported by tests only.
package seccomptest
