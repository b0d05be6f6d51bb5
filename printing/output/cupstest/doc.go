// Package cupstest runs a private CUPS scheduler for tests, so that code
// printing through CUPS can be tested for real without touching the
// machine's own CUPS: its configuration, spool and socket live in a temp
// directory, and CUPS clients reach it through CUPS_SERVER. It also has a
// fake network printer (RawPrinter) that records the jobs a raw queue sends.
//
// A missing cupsd or lpadmin fails the test instead of skipping it: the
// project's setup script installs cups and cups-client, so their absence is
// a broken machine, and a skipped printing test would hide it.
//
// It runs on Linux and macOS (unix); on Windows the package is empty.
package cupstest
