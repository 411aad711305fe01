package bridge

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxRetry caps the server's retry delay: a hostile or broken server must
// not park the bridge for hours.
const maxRetry = time.Minute

// event is one server-sent event (only what MCP uses of them).
type event struct {
	id, name string
	data     []byte
}

// stream is what a reader keeps of a stream across events: the last
// event id, to resume from, and the server's retry delay.
type streamState struct {
	lastID string
	retry  time.Duration // 0 when the server gave none
}

// readEvents parses a text/event-stream body, calling emit for each
// event with data, until the body ends or emit fails, and keeps the last
// event id and retry delay in st. A line, or an event's data, of maxLine
// bytes or more ends the stream with bufio.ErrTooLong.
func readEvents(r io.Reader, maxLine int, st *streamState, emit func(event) error) error {
	sc := bufio.NewScanner(r)
	// The limit is the larger of maxLine and the buffer's capacity.
	sc.Buffer(make([]byte, 0, min(64<<10, maxLine)), maxLine)
	var ev event
	var data bytes.Buffer
	dispatch := func() error {
		ev.data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
		if len(ev.data) == 0 {
			// No data, or only empty data lines (a priming event): nothing
			// to dispatch (WHATWG HTML §9.2.6).
			data.Reset()
			ev = event{id: ev.id}
			return nil
		}
		err := emit(ev)
		data.Reset()
		ev = event{id: ev.id}
		return err
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if err := dispatch(); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: keep-alive
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "data":
			// The event, not only each line, is bounded: many data lines
			// would otherwise make one message of any size.
			if data.Len()+len(value) >= maxLine {
				return bufio.ErrTooLong
			}
			data.WriteString(value)
			data.WriteByte('\n')
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.id = value
				st.lastID = value
			}
		case "retry":
			// Capped before it is multiplied: a huge value would overflow
			// time.Duration into a negative delay.
			if ms, err := strconv.Atoi(value); err == nil && ms >= 0 {
				st.retry = time.Duration(min(ms, int(maxRetry/time.Millisecond))) * time.Millisecond
			}
		case "event":
			ev.name = value
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return dispatch()
}
