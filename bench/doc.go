// Package bench holds the desk-wide benchmarks (`make bench`): the real
// program, built into a temp folder, run as a process against a history of
// a million orders with their labels (WAYBILLDESK_BENCH_ORDERS overrides
// the size) and against an empty one: opening the history, `order get`,
// the window under Xvfb and its memory, `backup` and `export`. Each prints
// `bench:` lines beside the store's search figures.
//
// The package has benchmarks only: `go test ./...` runs nothing here. The
// big history is built once by internal/benchhistory and kept in
// .cache/bench (about 5 GB at a million orders).
package bench
