package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"vaxtrace"
	"vaxtrace/httperr"
)

// Limits bound what one client can hold on the server: time to send headers
// and bodies, idle keep-alive connections, header size, and how many large
// uploads are read into memory at once. Zero fields take the defaults.
type Limits struct {
	// ReadHeaderTimeout: time to send the request headers (default 10 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout: time to send a whole request, body included, on every
	// route but uploads (default 30 s). A slow body is cut off.
	ReadTimeout time.Duration
	// WriteTimeout: time from the end of the request headers to the end of
	// the response (default 2 min; uploads get UploadTimeout more, and the
	// long reads, the conservation check and the journal stream, LongWrite).
	WriteTimeout time.Duration
	// LongWrite bounds the answer of the routes that read the whole journal
	// (default 30 min).
	LongWrite time.Duration
	// IdleTimeout: how long a keep-alive connection may wait for its next
	// request (default 120 s).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request headers (default 64 KiB).
	MaxHeaderBytes int

	// UploadTimeout bounds the body of an upload (batch routes), which may
	// be tens of MiB from a clinic's slow line (default 10 min).
	UploadTimeout time.Duration
	// UploadIdle cuts off an upload that sends nothing for this long
	// (default 30 s): slow but steady is fine, stalled is not.
	UploadIdle time.Duration
	// MaxUploads is how many large uploads (bodies over Options.MaxBody, or
	// of unknown length) are read at once (default 2); more are answered
	// 503 with Retry-After, so that memory stays bounded. An upload costs
	// roughly ten times its size while it is parsed, decided and answered
	// (measured with the serve defaults, GOGC=400: ten concurrent 60 MiB
	// uploads raised the peak RSS by 6.3 GB without the bound, two admitted
	// and eight refused by 1.5 GB with it).
	MaxUploads int
	// RetryAfter is what a refused upload is told to wait (default 5 s).
	RetryAfter time.Duration
}

func (l *Limits) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.WriteTimeout, 2*time.Minute)
	def(&l.LongWrite, 30*time.Minute)
	def(&l.IdleTimeout, 120*time.Second)
	def(&l.UploadTimeout, 10*time.Minute)
	def(&l.UploadIdle, 30*time.Second)
	def(&l.RetryAfter, 5*time.Second)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.MaxUploads <= 0 {
		l.MaxUploads = 2
	}
}

// HTTPServer returns an http.Server for the handler with the timeouts of
// Options.Limits. Serve it with Serve(listener); Shutdown drains it.
func (s *Server) HTTPServer() *http.Server {
	l := s.opts.Limits
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// upload admits a request to an upload route. A large body takes one of
// MaxUploads slots or is refused (503, Retry-After); its read deadline moves
// from ReadTimeout to a progress deadline (UploadIdle after the last bytes
// arrived, at most UploadTimeout in all). release must be called when the
// handler returns.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	l := s.opts.Limits
	if r.ContentLength >= 0 && r.ContentLength <= s.opts.MaxBody {
		return func() {}, nil // small: the ordinary limits are enough
	}
	if r.ContentLength > s.opts.MaxBatchBody {
		return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "request body exceeds %d bytes", s.opts.MaxBatchBody)
	}
	select {
	case s.uploads <- struct{}{}:
	default:
		s.metrics.uploadsRefused.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(int((l.RetryAfter+time.Second-1)/time.Second)))
		return nil, httperr.Public(vaxtrace.Errorf(vaxtrace.EUNAVAILABLE,
			"%d large uploads are being read; retry after %s", l.MaxUploads, l.RetryAfter))
	}
	start := s.clock()
	rc := http.NewResponseController(w)
	end := start.Add(l.UploadTimeout)
	_ = rc.SetWriteDeadline(end.Add(l.WriteTimeout))
	if err := rc.SetReadDeadline(minTime(start.Add(l.UploadIdle), end)); err == nil {
		r.Body = &progressBody{rc: rc, body: r.Body, idle: l.UploadIdle, end: end, now: s.clock}
	}
	return func() { <-s.uploads }, nil
}

// progressBody moves the connection's read deadline forward each time bytes
// arrive: a client that stops sending for idle is cut off, and no upload
// lasts beyond end.
type progressBody struct {
	rc   *http.ResponseController
	body io.ReadCloser
	idle time.Duration
	end  time.Time
	now  func() time.Time
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		_ = b.rc.SetReadDeadline(minTime(b.now().Add(b.idle), b.end))
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("upload cut off (no data for %s, or longer than allowed): %w", b.idle, err)
	}
	return n, err
}

func (b *progressBody) Close() error { return b.body.Close() }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
