package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
)

// jsonPb is grpc-gateway's JSONPb with a stricter, clearer request decoder:
// JSONPb streams bodies through encoding/json first, so a syntax error
// reads "invalid character 'b' looking for beginning of object key string"
// with no position. Every body of the contract is a whole request message
// (body: "*"), bounded by --max-body-bytes, so reading it whole and handing
// it to protojson costs nothing and names the line, the column and the
// field: `request body: (line 1:2): unknown field "nosuch"`.
type jsonPb struct {
	runtime.JSONPb
}

func (j *jsonPb) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		msg, ok := v.(proto.Message)
		if !ok { // not reached with this contract; keep JSONPb's behaviour
			return j.JSONPb.NewDecoder(r).Decode(v)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return err // the body limit's error; errorHandler turns it into 413
		}
		if len(strings.TrimSpace(string(data))) == 0 {
			return io.EOF // grpc-gateway treats an empty body as an empty message
		}
		if err := j.UnmarshalOptions.Unmarshal(data, msg); err != nil {
			if strings.HasSuffix(err.Error(), "unexpected EOF") { // protojson says no more
				return fmt.Errorf("request body: the JSON ends early, after %d bytes (an unclosed object, array or string)", len(data))
			}
			return fmt.Errorf("request body: %s", withoutProtoPrefix(err.Error()))
		}
		return nil
	})
}

// Unmarshal is used for path and query values of message type.
func (j *jsonPb) Unmarshal(data []byte, v any) error {
	if msg, ok := v.(proto.Message); ok {
		return j.UnmarshalOptions.Unmarshal(data, msg)
	}
	return j.JSONPb.Unmarshal(data, v)
}

// withoutProtoPrefix drops protobuf-go's "proto: " error prefix, which it
// writes with a space or, at random per binary, a no-break space.
func withoutProtoPrefix(msg string) string {
	for _, p := range []string{"proto: ", "proto:\u00a0"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
