package ui

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Fyne has no audio API, so the scan station's beeps are small WAV files
// made here and played by the system's own player, on a goroutine, and
// never an error: the colour flash is the primary signal, the sound a
// help for an operator who is looking at the parcel.

// tone is one beep: frequency and length.
type tone struct {
	hz float64
	d  time.Duration
}

// The beeps: one short high tone for a printed label, two low ones for a
// problem, as handheld scanners do.
var (
	okTones   = []tone{{1760, 90 * time.Millisecond}}
	failTones = []tone{{330, 160 * time.Millisecond}, {0, 60 * time.Millisecond}, {262, 220 * time.Millisecond}}
)

const sampleRate = 22050

// beepWAV returns a 16-bit mono PCM WAV of the tones (hz 0 is silence),
// each with a 5 ms fade in and out so it does not click.
func beepWAV(tones []tone) []byte {
	var pcm []int16
	for _, t := range tones {
		n := int(t.d.Seconds() * sampleRate)
		fade := sampleRate * 5 / 1000
		for i := 0; i < n; i++ {
			v := 0.0
			if t.hz > 0 {
				v = 0.45 * math.Sin(2*math.Pi*t.hz*float64(i)/sampleRate)
				if i < fade {
					v *= float64(i) / float64(fade)
				}
				if n-i < fade {
					v *= float64(n-i) / float64(fade)
				}
			}
			pcm = append(pcm, int16(v*math.MaxInt16))
		}
	}
	var b bytes.Buffer
	data := len(pcm) * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))         // fmt chunk size
	binary.Write(&b, binary.LittleEndian, uint16(1))          // PCM
	binary.Write(&b, binary.LittleEndian, uint16(1))          // mono
	binary.Write(&b, binary.LittleEndian, uint32(sampleRate)) // sample rate
	binary.Write(&b, binary.LittleEndian, uint32(sampleRate*2))
	binary.Write(&b, binary.LittleEndian, uint16(2))  // block align
	binary.Write(&b, binary.LittleEndian, uint16(16)) // bits per sample
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(data))
	binary.Write(&b, binary.LittleEndian, pcm)
	return b.Bytes()
}

// soundFiles are the two beeps written once to the temp folder: every
// player takes a file path.
var soundFiles struct {
	once     sync.Once
	ok, fail string
}

func beepFiles() (ok, fail string) {
	soundFiles.once.Do(func() {
		dir, err := os.MkdirTemp("", "waybilldesk-sound")
		if err != nil {
			return
		}
		write := func(name string, t []tone) string {
			p := filepath.Join(dir, name)
			if os.WriteFile(p, beepWAV(t), 0o600) != nil {
				return ""
			}
			return p
		}
		soundFiles.ok, soundFiles.fail = write("ok.wav", okTones), write("fail.wav", failTones)
	})
	return soundFiles.ok, soundFiles.fail
}

// playerCommand is the command that plays a WAV file on this system, or
// nil when there is none.
func playerCommand(ctx context.Context, file string) *exec.Cmd {
	switch runtime.GOOS {
	case "darwin":
		return exec.CommandContext(ctx, "afplay", file)
	case "windows":
		return exec.CommandContext(ctx, "powershell", "-NoProfile", "-NonInteractive", "-Command",
			"(New-Object Media.SoundPlayer '"+file+"').PlaySync()")
	}
	for _, p := range [][]string{{"paplay"}, {"pw-play"}, {"aplay", "-q"}} {
		if path, err := exec.LookPath(p[0]); err == nil {
			return exec.CommandContext(ctx, path, append(p[1:], file)...)
		}
	}
	return nil
}

// playBeep plays the success or failure beep and returns at once. It
// never fails: no player, no sound card, a busy device are all silence.
// Tests replace it.
var playBeep = func(ok bool) {
	go func() {
		okFile, failFile := beepFiles()
		file := failFile
		if ok {
			file = okFile
		}
		if file == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if cmd := playerCommand(ctx, file); cmd != nil {
			hideWindow(cmd)
			_ = cmd.Run()
		}
	}()
}
