// Command udpbench sends and receives UDP load, to measure udprx against
// other receive loops on one host. Run "udpbench help" for its commands and
// "udpbench help COMMAND" for a command's flags.
//
// Exit status: 0 when the command ran (or help was asked for), 1 when it
// ran and failed (also when it could not open what it needs), 2 for a bad
// command line only (one line on standard error
// names the problem); for recv also 130 or 143 (128 plus the signal's
// number) when a second SIGINT or SIGTERM cut its graceful stop short.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// commandDoc is what help shows of a subcommand besides its flags.
type commandDoc struct {
	summary     string // one line for the command list
	synopsis    string // the usage line
	description string // paragraphs under it
}

// commandDocs documents every subcommand, by name. Dispatch is in run.
var commandDocs = map[string]commandDoc{
	"send": {
		summary:  "send UDP load (paced or flat out) to a receiver",
		synopsis: "udpbench send --to HOST:PORT [flags]",
		description: `Sends UDP datagrams to HOST:PORT from --flows connected sockets until
--duration has passed, --count datagrams are sent, or SIGINT/SIGTERM.
Every payload of at least 24 bytes starts with udpbench's header (flow,
sequence number, send time), so that "udpbench recv" can count loss,
reordering and latency. On Linux it sends with sendmmsg, and with --gso in
UDP GSO super-packets, the cheapest way to saturate a receiver on the same
host.

On a terminal it prints a progress line a second on standard error. At the
end it prints what it sent on standard output: as text, or with --json as
one JSON object with the fields datagrams, bytes, seconds, rate_pps, gbps
(UDP payload bits), errors, first_error, calls, flows, gso and size.`,
	},
	"recv": {
		summary:  "receive UDP load with one of the receivers under comparison",
		synopsis: "udpbench recv [flags]",
		description: `Receives UDP datagrams with the chosen receive loop and reports how many
arrived, how fast, and what the kernel dropped.

It receives until --duration has passed or SIGINT/SIGTERM arrives, then
stops gracefully: the receiver reads what the kernel has already queued
(udprx: every such datagram reaches the handler), for at most
--stop-timeout. A second SIGINT/SIGTERM during the stop exits at once.
The summary is printed on standard output in every case: as text, or
with --json as one JSON object with the fields receiver, backend, listen,
datagrams, bytes, seconds, active_seconds, rate_pps, gbps, loops,
batches, kernel_drops, errors, restarts and stop_seconds (from the stop
request to the receiver's end).

Exit status: 0 after a clean stop; 1 if the receiver could not open its
sockets (descriptors exhausted, an address or socket path another
process holds), failed, or the stop did not finish within --stop-timeout (the reason as one line on standard
error); 130 (SIGINT) or 143 (SIGTERM) when a second signal cut the stop
short.

Under systemd (NOTIFY_SOCKET set; Type=notify) it reports READY=1 once
the receiver is bound and running, and STOPPING=1 when the stop begins;
see docs/operations.md.`,
	},
	"compare":  compareDoc,  // compare.go
	"echo":     echoDoc,     // echo.go
	"rr":       rrDoc,       // echo.go
	"zeroloss": zerolossDoc, // zeroloss.go
}

// commandNames lists the subcommands in the order help shows them.
var commandNames = []string{"compare", "send", "recv", "echo", "rr", "zeroloss"}

// commands maps a subcommand to the function that runs it with its
// arguments and returns the exit status; "-h" prints its help.
var commands = map[string]func(args []string) int{
	"compare":  runCompare,
	"send":     runSend,
	"recv":     runRecv,
	"echo":     runEcho,
	"rr":       runRR,
	"zeroloss": runZeroloss,
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches to the subcommand named by args[0] and returns the exit
// status.
func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, `udpbench: no command given (run "udpbench help")`)
		return exitUsage
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(args[1:])
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(args[1:])
	}
	fmt.Fprintf(os.Stderr, "udpbench: unknown command %q (commands: %s, help)\n", args[0], strings.Join(commandNames, ", "))
	return exitUsage
}

// runHelp prints the command list (no arguments) or a command's help (by
// running it with -h).
func runHelp(args []string) int {
	switch {
	case len(args) == 0:
		printCommands(os.Stdout)
		return exitOK
	case len(args) > 1:
		return usageError("help", "want at most one command, got %q", args)
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd([]string{"-h"})
	}
	return usageError("help", "unknown command %q (commands: %s)", args[0], strings.Join(commandNames, ", "))
}

// printCommands writes udpbench's top-level help to w.
func printCommands(w io.Writer) {
	fmt.Fprintln(w, "usage: udpbench COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, name := range commandNames {
		fmt.Fprintf(w, "  %-8s %s\n", name, commandDocs[name].summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "show this list, or a command's flags with their defaults")
	fmt.Fprintln(w, "\nRun \"udpbench help COMMAND\" or \"udpbench COMMAND -h\" for a command's flags.")
}
