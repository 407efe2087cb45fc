package client

import (
	"context"
	"encoding/json"
	"sync"
)

// MemoryStorage keeps the state in memory, encoded as it would be on disk so that a replica
// reopened from it shares nothing with the one that saved it. For tests and the simulator.
type MemoryStorage struct {
	mu    sync.Mutex
	saved []byte
}

// Load implements Storage.
func (m *MemoryStorage) Load(context.Context) (*State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		return nil, nil
	}
	var st State
	if err := json.Unmarshal(m.saved, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Save implements Storage.
func (m *MemoryStorage) Save(_ context.Context, st *State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved = b
	return nil
}
