package main

// The stamping upstream (-mode upstream): the same OpenAI-compatible stream
// as tests/llm_upstream/upstream.py's model "stamped-NxMS" (N chunks MS ms
// apart, each chunk's text its send time in ns taken just before the write,
// then a finish chunk, a usage chunk and "data: [DONE]"), served by Go's
// net/http. The Python test upstream runs a thread per stream under one
// GIL: at 1,000 streams its own scheduling delays reach tens of ms between
// a stamp and the write it precedes, which would be charged to aia-server.
// Goroutines on an epoll loop keep the upstream's own share small, so the
// difference between direct and through-aia is the server's.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"time"
)

var stampedModel = regexp.MustCompile(`stamped-(\d+)x(\d+)`)

type chatRequest struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
}

func sseEvent(w http.ResponseWriter, f http.Flusher, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
		return err
	}
	f.Flush()
	return nil
}

func chunk(content string, finish any) map[string]any {
	return map[string]any{"id": "chatcmpl-bench", "object": "chat.completion.chunk", "model": "stamped",
		"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": content},
			"finish_reason": finish}}}
}

func serveStamped(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !req.Stream {
		http.Error(w, `{"error": {"message": "a streaming chat completion request is required"}}`, 400)
		return
	}
	m := stampedModel.FindStringSubmatch(req.Model)
	if m == nil {
		http.Error(w, `{"error": {"message": "model must be stamped-NxMS"}}`, 404)
		return
	}
	n, _ := strconv.Atoi(m[1])
	gapMs, _ := strconv.Atoi(m[2])
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", 500)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	f.Flush()
	for i := 0; i < n; i++ {
		if i > 0 {
			time.Sleep(time.Duration(gapMs) * time.Millisecond)
		}
		if sseEvent(w, f, chunk(strconv.FormatInt(time.Now().UnixNano(), 10)+" ", nil)) != nil {
			return
		}
	}
	if sseEvent(w, f, chunk("", "stop")) != nil {
		return
	}
	usage := map[string]any{"id": "chatcmpl-bench", "object": "chat.completion.chunk", "choices": []any{},
		"usage": map[string]int{"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n}}
	if sseEvent(w, f, usage) == nil {
		fmt.Fprint(w, "data: [DONE]\n\n")
	}
}

// runUpstream listens on addr and writes the bound port to portFile
// (atomically, by rename) once it accepts connections.
func runUpstream(addr, portFile string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	tmp := portFile + ".tmp"
	port := ln.Addr().(*net.TCPAddr).Port
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, portFile); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", serveStamped)
	return http.Serve(ln, mux)
}
