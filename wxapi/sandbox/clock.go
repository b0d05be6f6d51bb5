package sandbox

import (
	"errors"
	"sync"
	"time"
)

// simClock is the sandbox's business clock: the wall clock (Options.Now)
// running Speed times faster from the moment it was set, plus whatever
// Advance added. Parcels move, quotas refresh and EMS reviews end on this
// clock; access tokens and push timestamps stay on the wall clock, because
// the client and the push receiver check them against their own.
type simClock struct {
	wall func() time.Time

	mu    sync.Mutex
	speed float64
	epoch time.Time // wall time when speed last changed
	base  time.Time // sandbox time at epoch
}

func newSimClock(wall func() time.Time, speed float64, offset time.Duration) *simClock {
	now := wall()
	return &simClock{wall: wall, speed: speed, epoch: now, base: now.Add(offset)}
}

// Now is the sandbox time.
func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *simClock) nowLocked() time.Time {
	elapsed := c.wall().Sub(c.epoch)
	return c.base.Add(time.Duration(float64(elapsed) * c.speed))
}

// Advance moves the sandbox time forward by d.
func (c *simClock) Advance(d time.Duration) error {
	if d < 0 {
		return errors.New("the sandbox clock only moves forward")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base = c.base.Add(d)
	return nil
}

// SetSpeed changes the rate from now on; time already passed stays passed.
func (c *simClock) SetSpeed(speed float64) error {
	if err := checkSpeed(speed); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base = c.nowLocked()
	c.epoch = c.wall()
	c.speed = speed
	return nil
}

// Speed is the current rate.
func (c *simClock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// Offset is how far the sandbox time is ahead of the wall clock; it is
// saved on Close so a restarted sandbox does not travel back in time.
func (c *simClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked().Sub(c.wall())
}

// maxSpeed keeps a typo from turning years into seconds.
const maxSpeed = 1e7

func checkSpeed(speed float64) error {
	if !(speed >= 1 && speed <= maxSpeed) {
		return errors.New("speed must be between 1 and 10000000")
	}
	return nil
}
