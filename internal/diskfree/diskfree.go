// Package diskfree tells how much disk space is free for the program's
// files, so backups can be kept within a share of it.
package diskfree

// Bytes returns the bytes free to this user on the file system holding
// dir.
func Bytes(dir string) (int64, error) { return bytesFree(dir) }
