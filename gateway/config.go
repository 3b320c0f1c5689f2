package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// config is everything aia-gateway can be told. Each setting is a flag and,
// for deployments that prefer the environment, an AIA_GATEWAY_* variable;
// a flag wins over its variable, as in aia-server.
type config struct {
	listen  string // HTTP address to serve REST on
	backend string // aia-server's gRPC address

	requestTimeout    time.Duration // deadline for unary calls that bring none (Grpc-Timeout header)
	healthTimeout     time.Duration // deadline of the grpc.health.v1 check behind /health
	readHeaderTimeout time.Duration // slowloris guard
	idleTimeout       time.Duration // keep-alive connections idle longer are closed
	shutdownTimeout   time.Duration // how long SIGTERM waits for requests in flight
	maxBackoff        time.Duration // longest wait between reconnects to the backend

	maxBodyBytes    int64 // request bodies larger than this get 413
	maxMessageBytes int   // largest gRPC message received from the backend

	logFormat string // "text" or "json"
	logLevel  string // "debug", "info", "warn" or "error"

	showVersion bool // --version: print the version and exit
}

// usageError is a configuration error: main prints it and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// setting describes one flag: its name, help, and where it is stored.
type setting struct {
	name, help string
	value      flag.Value
}

func (c *config) settings() []setting {
	return []setting{
		{"listen", "HTTP address to serve REST on (port 0 picks a free port)", (*addrValue)(&c.listen)},
		{"backend", "aia-server's gRPC address", (*addrValue)(&c.backend)},
		{"request-timeout", "deadline of a unary call whose request has no Grpc-Timeout header", (*durationValue)(&c.requestTimeout)},
		{"health-timeout", "deadline of the backend health check behind /health and /healthz", (*durationValue)(&c.healthTimeout)},
		{"read-header-timeout", "time allowed to read a request's headers", (*durationValue)(&c.readHeaderTimeout)},
		{"idle-timeout", "idle keep-alive connections are closed after this", (*durationValue)(&c.idleTimeout)},
		{"shutdown-timeout", "on SIGTERM/SIGINT, how long requests in flight may finish", (*durationValue)(&c.shutdownTimeout)},
		{"backend-max-backoff", "longest wait between reconnection attempts to the backend", (*durationValue)(&c.maxBackoff)},
		{"max-body-bytes", "largest request body accepted; larger ones get 413", (*sizeValue)(&c.maxBodyBytes)},
		{"max-message-bytes", "largest gRPC message accepted from the backend", (*intSizeValue)(&c.maxMessageBytes)},
		{"log-format", "text or json (one JSON object per line)", &choiceValue{&c.logFormat, []string{"text", "json"}}},
		{"log-level", "debug, info, warn or error", &choiceValue{&c.logLevel, []string{"debug", "info", "warn", "error"}}},
	}
}

func defaultConfig() config {
	return config{
		listen:            "127.0.0.1:8080",
		backend:           "127.0.0.1:50051",
		requestTimeout:    60 * time.Second,
		healthTimeout:     2 * time.Second,
		readHeaderTimeout: 10 * time.Second,
		idleTimeout:       120 * time.Second,
		shutdownTimeout:   10 * time.Second,
		maxBackoff:        2 * time.Second,
		maxBodyBytes:      4 << 20, // aia-server's default max_recv_message_bytes
		maxMessageBytes:   64 << 20,
		logFormat:         "text",
		logLevel:          "info",
	}
}

// envName maps a flag to its environment variable: request-timeout →
// AIA_GATEWAY_REQUEST_TIMEOUT.
func envName(flagName string) string {
	return "AIA_GATEWAY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads the environment, then the flags. Errors name the flag or
// variable and say why; -h prints the usage and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("aia-gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, not printed half-formed
	for _, s := range c.settings() {
		if v := getenv(envName(s.name)); v != "" {
			if err := s.value.Set(v); err != nil {
				return c, &usageError{fmt.Sprintf("%s=%q: %v", envName(s.name), v, err)}
			}
		}
		fs.Var(s.value, s.name, s.help+" (env "+envName(s.name)+")")
	}
	fs.BoolVar(&c.showVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			fmt.Fprintln(usage, "usage: aia-gateway [flags]\n\nREST gateway (grpc-gateway v2) in front of aia-server.\n\nflags:")
			fs.PrintDefaults()
			return c, err
		}
		return c, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return c, &usageError{fmt.Sprintf("unexpected argument %q (aia-gateway takes only flags)", fs.Arg(0))}
	}
	return c, nil
}

// addrValue is host:port with a numeric port.
type addrValue string

func (a *addrValue) String() string { return string(*a) }
func (a *addrValue) Set(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. 127.0.0.1:8080: %v", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host == "" {
		return errors.New("host is empty; use 0.0.0.0 to listen on every interface")
	}
	*a = addrValue(s)
	return nil
}

// durationValue is a positive Go duration ("250ms", "2s", "1m").
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }
func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 500ms, 2s or 1m")
	}
	if v <= 0 {
		return fmt.Errorf("must be positive")
	}
	*d = durationValue(v)
	return nil
}

// sizeValue is a positive byte count, optionally with a KiB/MiB/GiB suffix.
type sizeValue int64

func (z *sizeValue) String() string { return strconv.FormatInt(int64(*z), 10) }
func (z *sizeValue) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	*z = sizeValue(v)
	return nil
}

type intSizeValue int

func (z *intSizeValue) String() string { return strconv.Itoa(int(*z)) }
func (z *intSizeValue) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	if v > 1<<31-1 {
		return fmt.Errorf("must be below 2GiB")
	}
	*z = intSizeValue(v)
	return nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	num := s
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("want a positive byte count such as 1048576 or 4MiB")
	}
	return v * mult, nil
}

// choiceValue is one of a fixed set of words.
type choiceValue struct {
	p       *string
	choices []string
}

func (c *choiceValue) String() string {
	if c.p == nil {
		return ""
	}
	return *c.p
}
func (c *choiceValue) Set(s string) error {
	for _, ok := range c.choices {
		if s == ok {
			*c.p = s
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(c.choices, ", "))
}
