package wxapi

// nonceMemory remembers the timestamp/nonce pairs of verified requests
// while their timestamp is inside the window, so a replay is refused. A
// pair needs remembering only that long: once its timestamp is older than
// the window, the window check refuses it anyway. Pairs are kept in
// buckets by timestamp, so expiring them drops whole buckets; with only
// in-window timestamps accepted there are never more than about
// 2*nonceBuckets+2 buckets to look at. The caller holds the lock.
type nonceMemory struct {
	width   int64 // seconds of timestamps per bucket
	buckets map[int64]map[string]struct{}
	n       int // pairs held in all buckets
}

// nonceBuckets is how many buckets one window spans: an expired pair
// lingers at most window/nonceBuckets before its bucket is dropped.
const nonceBuckets = 8

// add remembers key (timestamp and nonce) of a request stamped sec:
// ErrReplayed when it is already held, ErrBusy when limit pairs are held.
// Expired buckets are dropped first, relative to now and window (seconds).
func (m *nonceMemory) add(sec int64, key string, now, window int64, limit int) error {
	m.sweep(now, window)
	b := m.bucket(sec)
	if _, seen := m.buckets[b][key]; seen {
		return ErrReplayed
	}
	if m.n >= limit {
		return ErrBusy
	}
	if m.buckets[b] == nil {
		m.buckets[b] = map[string]struct{}{}
	}
	m.buckets[b][key] = struct{}{}
	m.n++
	return nil
}

// bucket returns the bucket of a timestamp, setting the memory up on
// first use.
func (m *nonceMemory) bucket(sec int64) int64 {
	if m.buckets == nil {
		m.buckets = map[int64]map[string]struct{}{}
	}
	if m.width <= 0 {
		// Fixed at first use; a later change of the window only makes
		// buckets a little coarser or finer.
		m.width = 1
	}
	return floorDiv(sec, m.width)
}

// sweep drops the buckets whose every timestamp is older than the window.
func (m *nonceMemory) sweep(now, window int64) {
	if m.width <= 0 {
		m.width = max(window/nonceBuckets, 1)
	}
	oldest := now - window // the oldest timestamp still accepted
	for b, keys := range m.buckets {
		if (b+1)*m.width <= oldest {
			m.n -= len(keys)
			delete(m.buckets, b)
		}
	}
}

// floorDiv divides rounding down, so negative timestamps (a clock at the
// epoch in a test) bucket like positive ones.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
