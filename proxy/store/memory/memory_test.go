package memory_test

import (
	"testing"
	"time"

	"github.com/mcpgate/mcpgate/proxy/store"
	"github.com/mcpgate/mcpgate/proxy/store/memory"
	"github.com/mcpgate/mcpgate/proxy/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memory.New() })
	storetest.RunClock(t, func(_ *testing.T, now func() time.Time) store.Store { return memory.New(store.WithClock(now)) })
}
