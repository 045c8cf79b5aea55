package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses shared by every subcommand.
const (
	exitOK    = 0 // done, or help printed on request
	exitError = 1 // the command ran and failed
	exitUsage = 2 // bad command line: nothing was run

	// exitSignal plus a signal's number (130 for SIGINT, 143 for SIGTERM,
	// as a shell reports a process the signal killed) is recv's status
	// when a second signal cut its graceful stop short.
	exitSignal = 128
)

// parseFlags parses args with fs, the flag set of the subcommand "udpbench
// name" (made with flag.NewFlagSet(name, flag.ContinueOnError)), and tells
// the caller whether to go on. On success it returns (0, true). Otherwise
// the command must return the status at once:
//   - -h or --help: the command's help (printUsage) on standard output,
//     status 0;
//   - an undefined flag, a bad value, or any positional argument (no
//     subcommand takes one): one line "udpbench NAME: PROBLEM" naming the
//     flag or argument on standard error (usageError), status 2, and no
//     usage dump.
//
// It replaces fs's output and Usage for good.
func parseFlags(fs *flag.FlagSet, args []string, name string) (status int, ok bool) {
	// flag prints its error and calls Usage itself on failure: silence
	// both and report the error in one line instead.
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(os.Stdout, fs, name)
		return exitOK, false
	case err != nil:
		return usageError(name, "%v", err), false
	case fs.NArg() > 0:
		return usageError(name, "unexpected argument %q", fs.Arg(0)), false
	}
	return exitOK, true
}

// usageError prints "udpbench NAME: MESSAGE" as one line on standard error
// (newlines in the message become spaces) and returns exitUsage, for a
// command line that cannot be run.
func usageError(name, format string, args ...any) int {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	fmt.Fprintf(os.Stderr, "udpbench %s: %s\n", name, msg)
	return exitUsage
}

// printUsage writes the help of the subcommand name to w: its synopsis and
// description from commandDocs, then every flag of fs (printFlags).
func printUsage(w io.Writer, fs *flag.FlagSet, name string) {
	doc, ok := commandDocs[name]
	if !ok {
		doc = commandDoc{synopsis: "udpbench " + name + " [flags]"}
	}
	fmt.Fprintf(w, "usage: %s\n", doc.synopsis)
	if doc.description != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(doc.description, "\n"))
	}
	fmt.Fprintln(w, "\nflags:")
	printFlags(w, fs)
}

// printFlags writes every flag of fs to w, in lexical order, in GNU style
// ("--name ARG"), with its usage text and default. ARG is the back-quoted
// word of the usage text (as flag.PrintDefaults does) or the value's type;
// boolean flags take none. Every default is shown except an empty string's.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		def := ""
		if f.DefValue != "" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n    \t%s%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"), def)
	})
}
