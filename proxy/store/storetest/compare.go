package storetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// wantEqual compares a record (or slice of records) read back from the store
// with what was written, allowing only what the suite documents: sub-millisecond
// time digits may be dropped and an empty slice may come back nil. Times read
// back must be in UTC, which the comparison enforces because want's times are
// converted to UTC and got's are left alone.
func wantEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	g := normalize(got, false)
	w := normalize(want, true)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, describe(g), describe(w))
	}
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// normalize returns a deep copy of v with empty slices made nil and, when
// fixTimes is set, times converted to UTC milliseconds without monotonic
// reading. It copies rather than edits so that want's pointers (an
// AuthRequest's Identity) are not changed behind the test's back.
func normalize[T any](v T, fixTimes bool) T {
	var out T
	dst := reflect.ValueOf(&out).Elem()
	dst.Set(normValue(reflect.ValueOf(v), fixTimes))
	return out
}

var timeType = reflect.TypeFor[time.Time]()

func normValue(v reflect.Value, fixTimes bool) reflect.Value {
	switch {
	case v.Type() == timeType:
		tm := v.Interface().(time.Time)
		if fixTimes {
			tm = msUTC(tm)
		}
		return reflect.ValueOf(tm)
	case v.Kind() == reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			out.Field(i).Set(normValue(v.Field(i), fixTimes))
		}
		return out
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(normValue(v.Elem(), fixTimes))
		return out
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(normValue(v.Index(i), fixTimes))
		}
		return out
	default:
		return v
	}
}

// msUTC is the documented precision guarantee applied to an input time.
func msUTC(tm time.Time) time.Time {
	if tm.IsZero() {
		return time.Time{}
	}
	return tm.UTC().Truncate(time.Millisecond)
}
