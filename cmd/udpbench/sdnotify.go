//go:build unix

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// sdNotify tells the service manager about a change of state, as
// sd_notify(3) does: state ("READY=1", "STOPPING=1", "STATUS=...", one
// assignment a line) goes as one datagram to the unix datagram socket
// named by $NOTIFY_SOCKET. Without that variable (not started by systemd
// with Type=notify) it does nothing and returns nil.
//
// The protocol is this one datagram, so it is written here rather than
// taken from a dependency (go-systemd's daemon package): a module and its
// updates are not worth twenty lines. Like sd_notify(3) with
// unset_environment false it leaves NOTIFY_SOCKET set: udpbench starts no
// child that could inherit it and notify in its name.
func sdNotify(state string) error {
	env := os.Getenv("NOTIFY_SOCKET")
	if env == "" {
		return nil
	}
	name := env
	switch {
	case strings.HasPrefix(name, "@"):
		// An abstract socket (Linux): its address starts with a NUL byte
		// where the text form has "@".
		name = "\x00" + name[1:]
	case !strings.HasPrefix(name, "/"):
		return fmt.Errorf("NOTIFY_SOCKET %q: want an absolute path or @name", env)
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err == nil {
		_, err = conn.Write([]byte(state))
		conn.Close()
	}
	if err != nil {
		// The *net.OpError's text would print the address with its NUL
		// byte: name it as the variable does instead.
		if oe, ok := errors.AsType[*net.OpError](err); ok {
			err = oe.Err
		}
		return fmt.Errorf("NOTIFY_SOCKET %s: %w", env, err)
	}
	return nil
}
