package platform

// IntakeCloser is implemented by receivers that can stop the kernel from
// queueing new datagrams while leaving those already queued readable: the
// Linux backend (a drop-all socket filter). A graceful stop uses it so
// "read until the socket is empty" ends even under a flood, having
// delivered exactly what was queued when the stop began. Elsewhere a stop
// reads until the socket is empty, which a flood can prolong.
type IntakeCloser interface {
	CloseIntake() error
}
