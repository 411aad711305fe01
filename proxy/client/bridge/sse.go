package bridge

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// event is one server-sent event (only what MCP uses of them).
type event struct {
	id, name string
	data     []byte
}

// readEvents parses a text/event-stream body, calling emit for each
// event with data, until the body ends or emit fails. A line longer than
// maxLine ends the stream with bufio.ErrTooLong.
func readEvents(r io.Reader, maxLine int, emit func(event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var ev event
	var data bytes.Buffer
	dispatch := func() error {
		if data.Len() == 0 {
			ev = event{id: ev.id}
			return nil
		}
		ev.data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
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
			data.WriteString(value)
			data.WriteByte('\n')
		case "id":
			if !strings.ContainsRune(value, 0) {
				ev.id = value
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
