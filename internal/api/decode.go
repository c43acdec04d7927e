package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/kvm-manager/kvm-manager/internal/problem"
)

// maxBody bounds every JSON request body.
const maxBody = 64 << 10

// decodeJSON reads a JSON object into v. An empty body is allowed when
// optional is true and leaves v as it is. Unknown fields, trailing data,
// wrong content types and oversized bodies are refused with a message that
// says which.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	return decodeJSONMax(w, r, v, optional, maxBody)
}

// decodeJSONMax is decodeJSON with a smaller limit than maxBody, for routes
// whose bodies are known to be small.
func decodeJSONMax(w http.ResponseWriter, r *http.Request, v any, optional bool, limit int64) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	data, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		var pe *problem.Error
		if errors.As(err, &pe) {
			return pe // the body's own account, such as body_timeout
		}
		if errors.As(err, &mbe) {
			return problem.New(problem.TooLarge, problem.CodeBodyTooLarge,
				fmt.Sprintf("the request body is larger than %d KiB", limit>>10), "send a smaller body")
		}
		return problem.Wrap(err, problem.Invalid, problem.CodeBodyUnreadable, "the request body could not be read", "")
	}
	return decodeBytes(r.Header.Get("Content-Type"), data, v, optional)
}

// decodeBytes is decodeJSON without the transport; it is what the fuzz test drives.
func decodeBytes(contentType string, data []byte, v any, optional bool) error {
	if len(data) == 0 {
		if optional {
			return nil
		}
		return problem.New(problem.Invalid, problem.CodeBodyRequired, "this request needs a JSON body", "send a JSON object")
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return problem.New(problem.Invalid, problem.CodeUnsupportedContentType,
			"the request body must be JSON", "send it with Content-Type: application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem.Wrap(err, problem.Invalid, problem.CodeInvalidJSON, "the request body is not valid: "+describeJSONError(err),
			"check the field names and types against the API description (api/openapi.yaml)")
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.Invalid, problem.CodeInvalidJSON, "the request body has data after the JSON object", "send exactly one JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type.String(), te.Value)
		}
		return fmt.Sprintf("expected %s, got %s", te.Type.String(), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}
