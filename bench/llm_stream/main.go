// Command llmstream is the load client of bench/llm_stream.sh (issue 7): it
// opens N StreamGenerate calls at once against aia-server (-mode grpc), or N
// streaming chat completions directly against the test upstream's SSE
// (-mode sse), and for every chunk records its arrival time minus the send
// stamp the upstream wrote into the chunk's text (model "stamped...": each
// piece of text is "<send time in ns> "). The server may coalesce pieces
// into one message for a slow reader; every stamp in a message is then
// counted with that message's arrival time, so coalescing shows as latency.
//
// The gRPC side needs no generated code: the request is encoded and the
// response's text (field 1) decoded with protowire through a bytes codec,
// so the module depends on grpc-go alone.
//
// With -mode upstream it is instead the stamping upstream itself (see
// upstream.go).
//
// Output: one JSON object on stdout (counts, errors, latency percentiles in
// microseconds); with -raw FILE, every latency in ns, one per line.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protowire"
)

// rawCodec passes already-encoded protobuf bytes through unchanged.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	p := v.(*[]byte)
	*p = append((*p)[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "aia-bench-raw" }

func init() { encoding.RegisterCodec(rawCodec{}) }

// request encodes StreamGenerateRequest{model, contents: [{role: "user",
// parts: [{text: prompt}]}]}.
func request(model, prompt string) []byte {
	var part, content, req []byte
	part = protowire.AppendTag(part, 1, protowire.BytesType)
	part = protowire.AppendString(part, prompt)
	content = protowire.AppendTag(content, 1, protowire.BytesType)
	content = protowire.AppendString(content, "user")
	content = protowire.AppendTag(content, 2, protowire.BytesType)
	content = protowire.AppendBytes(content, part)
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	req = protowire.AppendString(req, model)
	req = protowire.AppendTag(req, 2, protowire.BytesType)
	req = protowire.AppendBytes(req, content)
	return req
}

// responseText returns StreamGenerateResponse.text (field 1).
func responseText(msg []byte) (string, error) {
	text := ""
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		msg = msg[n:]
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeString(msg)
			if m < 0 {
				return "", protowire.ParseError(m)
			}
			text += v
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return "", protowire.ParseError(m)
		}
		msg = msg[m:]
	}
	return text, nil
}

// result is what one stream saw.
type result struct {
	lat      []int64 // arrival - stamp, ns, one per stamp
	stamps   []int64 // the stamps, in lat's order (for -trace)
	messages int
	err      error
}

// addStamps appends arrival-stamp for every stamp in text.
func (r *result) addStamps(text string, arrival int64) error {
	for _, f := range strings.Fields(text) {
		s, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("chunk text %q is not a send stamp", f)
		}
		r.lat = append(r.lat, arrival-s)
		r.stamps = append(r.stamps, s)
	}
	return nil
}

func grpcStream(ctx context.Context, cc *grpc.ClientConn, req []byte, r *result) {
	desc := &grpc.StreamDesc{StreamName: "StreamGenerate", ServerStreams: true}
	st, err := cc.NewStream(ctx, desc, "/aia.v1.LLMService/StreamGenerate", grpc.CallContentSubtype("aia-bench-raw"))
	if err != nil {
		r.err = err
		return
	}
	if err = st.SendMsg(&req); err == nil {
		err = st.CloseSend()
	}
	var msg []byte
	for err == nil {
		if err = st.RecvMsg(&msg); err != nil {
			break
		}
		arrival := time.Now().UnixNano()
		r.messages++
		var text string
		if text, err = responseText(msg); err == nil {
			err = r.addStamps(text, arrival)
		}
	}
	if err != io.EOF {
		r.err = err
	}
}

// sseChunk is the part of an OpenAI chat.completion.chunk read here.
type sseChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

func sseStream(ctx context.Context, hc *http.Client, url string, body []byte, r *result) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		r.err = err
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		r.err = err
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		r.err = fmt.Errorf("HTTP %d", resp.StatusCode)
		return
	}
	br := bufio.NewReaderSize(resp.Body, 4096)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			arrival := time.Now().UnixNano()
			if p, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data: ")); ok && !bytes.Equal(p, []byte("[DONE]")) {
				var c sseChunk
				if e := json.Unmarshal(p, &c); e != nil {
					r.err = fmt.Errorf("bad SSE data: %v", e)
					return
				}
				for _, ch := range c.Choices {
					if ch.Delta.Content != "" {
						r.messages++
						if e := r.addStamps(ch.Delta.Content, arrival); e != nil {
							r.err = e
							return
						}
					}
				}
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			r.err = err
			return
		}
	}
}

// steadyLatencies returns, sorted, the latencies of the chunks stamped while
// every stream was open: after the last stream's first chunk and before the
// first stream's last one. Outside that window streams are being opened or
// closed beside the chunks, which is where the tail comes from.
func steadyLatencies(results []result) []int64 {
	var from, to int64 = 0, 1<<63 - 1
	for _, r := range results {
		if len(r.stamps) == 0 {
			continue
		}
		if r.stamps[0] > from {
			from = r.stamps[0]
		}
		if last := r.stamps[len(r.stamps)-1]; last < to {
			to = last
		}
	}
	var out []int64
	for _, r := range results {
		for j, s := range r.stamps {
			if s > from && s < to {
				out = append(out, r.lat[j])
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

func pct(sorted []int64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted)-1) + 0.5)
	return float64(sorted[i]) / 1e3
}

func main() {
	mode := flag.String("mode", "grpc", "grpc (aia-server StreamGenerate) or sse (the upstream directly)")
	addr := flag.String("addr", "", "grpc: host:port of aia-server; sse: base URL of the upstream")
	model := flag.String("model", "openai/stamped", "model name")
	streams := flag.Int("streams", 1000, "concurrent streams")
	conns := flag.Int("conns", 1, "grpc: HTTP/2 connections the streams are spread over")
	caller := flag.String("caller", "bench", "x-aia-caller")
	timeout := flag.Duration("timeout", 120*time.Second, "deadline of each stream")
	raw := flag.String("raw", "", "write every latency (ns) to this file")
	listen := flag.String("listen", "127.0.0.1:0", "upstream: address to serve on")
	portFile := flag.String("port-file", "", "upstream: write the bound port here")
	trace := flag.String("trace", "", "write \"stamp_ns latency_ns stream\" per chunk to this file")
	ramp := flag.Duration("ramp", 0, "start stream i at i*ramp/streams instead of all at once")
	flag.Parse()
	if *mode == "upstream" {
		fmt.Fprintln(os.Stderr, "llmstream upstream:", runUpstream(*listen, *portFile))
		os.Exit(1)
	}

	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-aia-caller", *caller)
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	results := make([]result, *streams)
	var run func(i int)
	switch *mode {
	case "grpc":
		ccs := make([]*grpc.ClientConn, *conns)
		for i := range ccs {
			cc, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				fmt.Fprintln(os.Stderr, "llmstream:", err)
				os.Exit(1)
			}
			cc.Connect()
			ccs[i] = cc
		}
		req := request(*model, "stream stamps")
		run = func(i int) { grpcStream(ctx, ccs[i%len(ccs)], req, &results[i]) }
	case "sse":
		tr := &http.Transport{MaxIdleConnsPerHost: *streams, DisableCompression: true,
			DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext}
		hc := &http.Client{Transport: tr}
		body, _ := json.Marshal(map[string]any{"model": strings.TrimPrefix(*model, "openai/"), "stream": true,
			"messages": []map[string]string{{"role": "user", "content": "stream stamps"}}})
		url := strings.TrimRight(*addr, "/") + "/v1/chat/completions"
		run = func(i int) { sseStream(ctx, hc, url, body, &results[i]) }
	default:
		fmt.Fprintln(os.Stderr, "llmstream: -mode is grpc or sse")
		os.Exit(2)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < *streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			if *ramp > 0 {
				time.Sleep(time.Duration(int64(*ramp) * int64(i) / int64(*streams)))
			}
			run(i)
		}(i)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)

	var all []int64
	errs := map[string]int{}
	messages, failed := 0, 0
	for _, r := range results {
		all = append(all, r.lat...)
		messages += r.messages
		if r.err != nil {
			failed++
			errs[r.err.Error()]++
		}
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	if *raw != "" {
		var b bytes.Buffer
		for _, v := range all {
			b.WriteString(strconv.FormatInt(v, 10))
			b.WriteByte('\n')
		}
		if err := os.WriteFile(*raw, b.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "llmstream:", err)
		}
	}
	if *trace != "" {
		var b bytes.Buffer
		for i, r := range results {
			for j, v := range r.lat {
				fmt.Fprintf(&b, "%d %d %d\n", r.stamps[j], v, i)
			}
		}
		if err := os.WriteFile(*trace, b.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "llmstream:", err)
		}
	}
	steady := steadyLatencies(results)
	var mean float64
	for _, v := range all {
		mean += float64(v)
	}
	if len(all) > 0 {
		mean /= float64(len(all)) * 1e3
	}
	out := map[string]any{
		"mode": *mode, "streams": *streams, "conns": *conns, "model": *model, "ramp_ms": ramp.Milliseconds(),
		"chunks": len(all), "messages": messages, "failed_streams": failed, "errors": errs,
		"wall_s":  wall.Seconds(),
		"mean_us": mean, "p50_us": pct(all, 50), "p90_us": pct(all, 90), "p99_us": pct(all, 99),
		"p999_us": pct(all, 99.9), "max_us": pct(all, 100), "min_us": pct(all, 0),
		"steady_chunks": len(steady), "steady_p50_us": pct(steady, 50), "steady_p99_us": pct(steady, 99),
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		os.Exit(1)
	}
	if failed > 0 {
		os.Exit(3)
	}
}
