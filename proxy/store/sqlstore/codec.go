package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// msVal is how times are stored: unix milliseconds, NULL for the zero time
// so that "no expiry" stays distinguishable from the epoch.
func msVal(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// msScan reads a time written by msVal, in UTC.
type msScan struct{ dst *time.Time }

func (m msScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*m.dst = time.Time{}
	case int64:
		*m.dst = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("time column holds %T, want an integer", src)
	}
	return nil
}

// jsonVal stores lists and identities as JSON text: they are only ever read
// whole, and text keeps the column type portable.
type jsonVal struct{ v any }

func (j jsonVal) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// jsonScan reads a jsonVal column into dst (a pointer); NULL leaves it zero.
type jsonScan struct{ dst any }

func (j jsonScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(v), j.dst)
	case []byte:
		return json.Unmarshal(v, j.dst)
	default:
		return fmt.Errorf("JSON column holds %T, want text", src)
	}
}
