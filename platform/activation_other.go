//go:build !unix

package platform

import "os"

// ListenFDs returns the descriptors a service manager passed this process
// by socket activation (sd_listen_fds(3); see activation_unix.go). The
// protocol passes unix descriptors: on this system it returns nil, nil.
func ListenFDs() ([]*os.File, error) { return nil, nil }
