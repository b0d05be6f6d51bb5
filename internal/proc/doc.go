// Package proc answers questions about processes of this machine: whether
// one is still running, for leases and queue runners whose owner was
// killed without saying goodbye.
package proc
