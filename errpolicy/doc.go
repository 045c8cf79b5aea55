// Package errpolicy decides what a receive error means for a UDP receive
// loop: read again at once, wait for readiness, count it and read on, back
// off, give up on the socket, or stop; and what a send error means for the
// loop's replies (see Sends below).
//
// It makes decisions only. It never reads, sleeps or closes anything; the
// only output it produces is log lines, through a caller's *slog.Logger and a
// [Suppressor]. The engine asks it about every read error and every hang-up
// the poller reports; the platform code that produces those errors makes no
// decisions of its own.
//
// # Classification
//
// [Classify] (or [Table.Classify] for a given platform) walks the whole error
// chain the platform layer builds, *net.OpError → *os.SyscallError →
// syscall.Errno, with errors.Is and errors.AsType, never by text. Sentinels
// come first: net.ErrClosed and os.ErrClosed (our own close: [Stop]),
// [ErrHangUp] ([Fatal]), [ErrEmptyReadable] ([Count]) and os.ErrDeadlineExceeded
// ([Wait]). An errno is then looked up in the table of the platform, keyed by
// that platform's own numbers: [Linux], [Darwin], [FreeBSD] and [Windows] are
// all built on every OS, so all four are tested on Linux, and when building
// for one of those platforms a compile-time check proves its table's numbers
// equal the platform's constants in golang.org/x/sys. [Host] is the table of
// the OS being built for.
//
// An errno that is in no row is never fatal at once: on Linux, numbers from
// 512 to 4095 are kernel-internal codes (ERESTARTSYS and its kin) that leak
// to user space in a known quirk, and are retried; anything else unknown backs
// off.
//
// # Bounds
//
// A [Streak] turns a run of failures with no successful read between them into
// a stronger verdict, so that no error is retried without bound: immediate
// re-reads become [Backoff] after [DefaultRetryLimit] in a row, and
// [DefaultStreakLimit] back-offs without a datagram become [Fatal]: an
// escalation, which the engine bounds with Config.MaxRestarts while reading on
// the same socket (a new socket cures no error that backs off). [BackoffSchedule] spaces the waits with
// exponential growth and equal jitter. [Suppressor] logs the first occurrence
// of each kind of error and then only counted summaries.
//
// A receive loop uses the pieces together like this:
//
//	d := errpolicy.Classify(err)
//	switch streak.Observe(d) {
//	case errpolicy.Retry, errpolicy.Count:
//		// read again at once (Count also bumps a counter)
//	case errpolicy.Wait:
//		// back to the poller
//	case errpolicy.Backoff:
//		<-clock.After(backoff.Next())
//	case errpolicy.Fatal:
//		// d.Verdict == Fatal: the socket is broken; end the loop and
//		// re-open it. Escalated from Backoff: keep the socket, count
//		// the escalation, back off and read on.
//	case errpolicy.Stop:
//		// end the loop
//	}
//	suppressor.Report(d, err)
//
// and after every successful read calls streak.Success(), backoff.Reset() and,
// if errors came before, suppressor.Recovered().
//
// # Sends
//
// [ClassifySend] (or [Table.ClassifySend]) classifies a failed send with
// each platform's send rows, with a label under which a dropped message is
// counted ([SendLabels] lists them). Most send errors concern one message or
// destination and are [Drop]: drop it, count it, send the rest. A full send
// buffer is [Wait] (keep the messages, wait for writability with a bound); a
// buffer shortage (ENOBUFS, ENOMEM) is [Backoff], never Wait, since on the
// BSDs the socket stays writable through it; only a socket that is gone
// (EBADF, ENOTSOCK, EPIPE) is [Fatal]. An errno in no send row is Drop
// labelled "unknown": a send error nobody knows never ends the loop.
//
// docs/errors.md lists every table; a test keeps it in sync with the code.
package errpolicy
