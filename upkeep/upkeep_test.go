package upkeep

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"waybilldesk/store"
)

func history(t *testing.T, n int) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for i := 0; i < n; i++ {
		o := &store.Order{OrderID: fmt.Sprintf("WD-%04d", i), DeliveryID: "YTO", BizID: "SANDBOX_YTO", ServiceName: "普通快递",
			Request: json.RawMessage(`{}`), ReceiverName: "张三", ReceiverPhone: "13812345678"}
		if err := db.CreateOrder(context.Background(), o, store.Lease{}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestRoundChecksThenBacksUpOncePerDay: the first round checks the history
// and writes today's backup, with progress; a second round the same day
// does neither; the status says what was done.
func TestRoundChecksThenBacksUpOncePerDay(t *testing.T) {
	ctx := context.Background()
	db := history(t, 50)
	r := New(db, Options{Delay: -1})
	events, stop := r.Subscribe(64)
	defer stop()
	r.Round(ctx)
	st := r.Status()
	if !st.Checked || !st.Check.OK() || st.Check.Kind != "quick_check" {
		t.Fatalf("after a round, check = %+v (checked %v)", st.Check, st.Checked)
	}
	want := filepath.Join(store.BackupDir(db.Path()), "history-"+time.Now().Format("20060102")+".db")
	if st.BackupPath != want || st.Task != Idle || st.Err != "" {
		t.Fatalf("after a round, status = %+v; want the backup %s", st, want)
	}
	if _, err := store.Verify(ctx, want); err != nil {
		t.Fatal(err)
	}
	sawBackup := false
	for len(events) > 0 {
		if e := <-events; e.Task == Backup && e.Total > 0 {
			sawBackup = true
		}
	}
	if !sawBackup {
		t.Error("no progress of the backup was told")
	}
	info, _ := os.Stat(want)
	r.Round(ctx)
	if again, _ := os.Stat(want); !again.ModTime().Equal(info.ModTime()) {
		t.Error("a second round the same day wrote the backup again")
	}
	// The operator's backup is another file, kept beside the daily one.
	p, err := r.BackupNow(ctx)
	if err != nil || p == want || !strings.HasPrefix(filepath.Base(p), "history-"+time.Now().Format("20060102")+"-") {
		t.Fatalf("BackupNow = %q, %v", p, err)
	}
	if list, _ := store.Backups(db.Path()); len(list) != 2 {
		t.Fatalf("backups %v", list)
	}
}

// TestRoundOnDamagedHistoryTakesNoBackup: damage found shows in the
// status at once, and a round takes no backup of a damaged history (a bad
// copy would push a good one out).
func TestRoundOnDamagedHistoryTakesNoBackup(t *testing.T) {
	ctx := context.Background()
	first := history(t, 300)
	path := first.Path()
	first.Close() // written through to the file, no -wal left
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Garble the file from its middle on: the b-trees there are nonsense.
	st, _ := f.Stat()
	junk := make([]byte, st.Size()/2)
	for i := range junk {
		junk[i] = byte(i*31 + 7)
	}
	if _, err := f.WriteAt(junk, st.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatalf("open (no check on the open path): %v", err)
	}
	defer db.Close()
	r := New(db, Options{Delay: -1})
	// Damage found by anyone (here a check run outside the upkeep) shows
	// in the status at once.
	if _, err := db.Check(ctx, false, nil); err == nil {
		t.Fatal("the check found nothing")
	}
	if !r.Status().Damaged() {
		t.Fatal("the status does not say the history is damaged")
	}
	r.Round(ctx)
	s := r.Status()
	if !s.Damaged() || s.BackupPath != "" {
		t.Fatalf("status after a round on a damaged history: %+v", s)
	}
	if list, _ := store.Backups(db.Path()); len(list) != 0 {
		t.Fatalf("a damaged history was backed up: %v", list)
	}
}
