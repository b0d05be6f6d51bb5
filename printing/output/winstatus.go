package output

import "strings"

// Windows printer status bits (PRINTER_INFO_2.Status) and the attribute
// bit for "use printer offline", from winspool.h. They are here, and not in
// the windows file, so that the mapping is tested on every system.
const (
	winStatusPaused           = 0x00000001
	winStatusError            = 0x00000002
	winStatusPendingDeletion  = 0x00000004
	winStatusPaperJam         = 0x00000008
	winStatusPaperOut         = 0x00000010
	winStatusManualFeed       = 0x00000020
	winStatusPaperProblem     = 0x00000040
	winStatusOffline          = 0x00000080
	winStatusIOActive         = 0x00000100
	winStatusBusy             = 0x00000200
	winStatusPrinting         = 0x00000400
	winStatusOutputBinFull    = 0x00000800
	winStatusNotAvailable     = 0x00001000
	winStatusWaiting          = 0x00002000
	winStatusProcessing       = 0x00004000
	winStatusInitializing     = 0x00008000
	winStatusWarmingUp        = 0x00010000
	winStatusTonerLow         = 0x00020000
	winStatusNoToner          = 0x00040000
	winStatusPagePunt         = 0x00080000
	winStatusUserIntervention = 0x00100000
	winStatusOutOfMemory      = 0x00200000
	winStatusDoorOpen         = 0x00400000
	winStatusServerUnknown    = 0x00800000
	winStatusPowerSave        = 0x01000000

	winAttributeWorkOffline = 0x00000400
)

// winStatusBit names a status bit and the condition it forces, if any.
type winStatusBit struct {
	bit  uint32
	cond Condition // "" = only a reason
	text string
}

// winStatusBits is in order of severity: the first bit with a condition
// decides the printer's condition; every set bit adds to the reason.
var winStatusBits = []winStatusBit{
	{winStatusServerUnknown, Offline, "print server unknown"},
	{winStatusNotAvailable, Offline, "not available"},
	{winStatusOffline, Offline, "offline"},
	{winStatusPaused, Stopped, "paused"},
	{winStatusError, Stopped, "error"},
	{winStatusPaperJam, Stopped, "paper jam"},
	{winStatusPaperOut, Stopped, "paper out"},
	{winStatusPaperProblem, Stopped, "paper problem"},
	{winStatusDoorOpen, Stopped, "door open"},
	{winStatusNoToner, Stopped, "no toner"},
	{winStatusOutputBinFull, Stopped, "output bin full"},
	{winStatusUserIntervention, Stopped, "needs attention"},
	{winStatusOutOfMemory, Stopped, "out of memory"},
	{winStatusPagePunt, Stopped, "page too complex"},
	{winStatusManualFeed, Stopped, "waiting for manual feed"},
	{winStatusPrinting, Printing, "printing"},
	{winStatusProcessing, Printing, "processing"},
	{winStatusBusy, Printing, "busy"},
	{winStatusIOActive, "", "I/O active"},
	{winStatusWaiting, "", "waiting"},
	{winStatusInitializing, "", "initializing"},
	{winStatusWarmingUp, "", "warming up"},
	{winStatusTonerLow, "", "toner low"},
	{winStatusPowerSave, "", "power save"},
	{winStatusPendingDeletion, "", "being deleted"},
}

// winState turns a printer's PRINTER_INFO_2 Status and Attributes into a State.
func winState(name string, status, attributes uint32) State {
	s := State{Printer: name, Condition: Ready, Accepting: status&winStatusPendingDeletion == 0}
	var reasons []string
	decided := false
	if attributes&winAttributeWorkOffline != 0 {
		s.Condition, decided = Offline, true
		reasons = append(reasons, "set to use the printer offline")
	}
	for _, b := range winStatusBits {
		if status&b.bit == 0 {
			continue
		}
		reasons = append(reasons, b.text)
		if b.cond != "" && !decided {
			s.Condition, decided = b.cond, true
		}
	}
	s.Reason = strings.Join(reasons, ", ")
	return s
}
