// Package mqtt connects vaxtrace to an MQTT broker (Mosquitto in tests and
// in the reference deployment) with the Eclipse Paho client: a subscriber
// with a persistent session that hands every message to a function, in
// order, and a publisher for devices, simulators and benchmarks.
//
// Paho rather than a client of our own: it is the maintained Eclipse
// implementation of MQTT 3.1.1 and handles what a hand-written client would
// have to get right and keep right — reconnecting with back-off, resuming a
// persistent session, QoS 1 acknowledgements and keep-alives.
package mqtt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Config names a broker and a session.
type Config struct {
	// Broker is tcp://host:port.
	Broker string
	// ClientID identifies the session: the subscriber's session persists
	// across restarts (clean session off), so QoS 1 messages published
	// while it was away are delivered when it reconnects.
	ClientID string
	Username string
	Password string
	// Timeout bounds connecting and subscribing (default 10 s).
	Timeout time.Duration
}

func (c Config) options() (*paho.ClientOptions, error) {
	u, err := url.Parse(c.Broker)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mqtt: broker %q is not a URL like tcp://127.0.0.1:1883", c.Broker)
	}
	if c.ClientID == "" {
		return nil, errors.New("mqtt: a client id is required")
	}
	o := paho.NewClientOptions().AddBroker(c.Broker).SetClientID(c.ClientID).
		SetCustomOpenConnectionFn(bufferedTCP).
		SetUsername(c.Username).SetPassword(c.Password).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(2 * time.Second).
		SetMaxReconnectInterval(30 * time.Second).SetKeepAlive(30 * time.Second).
		SetOrderMatters(true)
	return o, nil
}

func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 10 * time.Second
}

func wait(t paho.Token, d time.Duration, what string) error {
	if !t.WaitTimeout(d) {
		return fmt.Errorf("mqtt: %s: no answer from the broker within %s", what, d)
	}
	if err := t.Error(); err != nil {
		return fmt.Errorf("mqtt: %s: %w", what, err)
	}
	return nil
}

// bufferedTCP opens tcp:// (and mqtt://) connections with a read buffer:
// Paho reads each packet's header, length and body with separate reads on
// the connection, which without a buffer is three system calls per
// reading. Other schemes open as Paho would.
func bufferedTCP(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
	switch u.Scheme {
	case "tcp", "mqtt":
		d := net.Dialer{Timeout: o.ConnectTimeout}
		c, err := d.Dial("tcp", u.Host)
		if err != nil {
			return nil, err
		}
		return &bufConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
	}
	return nil, fmt.Errorf("mqtt: scheme %q is not supported (use tcp://host:port)", u.Scheme)
}

// bufConn is a connection whose reads go through a buffer (Paho reads from
// one goroutine).
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Subscriber receives messages until closed.
type Subscriber struct {
	c paho.Client
}

// Subscribe connects with a persistent session and subscribes to filter
// at QoS qos; handle gets every message, one at a time, in arrival order
// (it must not block for long: the broker holds back further QoS 1
// messages until it returns). After a lost connection Paho reconnects and
// subscribes again.
func Subscribe(ctx context.Context, cfg Config, filter string, qos byte, handle func(topic string, payload []byte)) (*Subscriber, error) {
	o, err := cfg.options()
	if err != nil {
		return nil, err
	}
	subscribed := make(chan error, 1)
	o.SetCleanSession(false)
	o.SetOnConnectHandler(func(c paho.Client) {
		t := c.Subscribe(filter, qos, func(_ paho.Client, m paho.Message) { handle(m.Topic(), m.Payload()) })
		err := wait(t, cfg.timeout(), "subscribe "+filter)
		select {
		case subscribed <- err:
		default:
		}
	})
	c := paho.NewClient(o)
	if err := wait(c.Connect(), cfg.timeout(), "connect to "+cfg.Broker); err != nil {
		return nil, err
	}
	select {
	case err := <-subscribed:
		if err != nil {
			c.Disconnect(100)
			return nil, err
		}
	case <-ctx.Done():
		c.Disconnect(100)
		return nil, ctx.Err()
	case <-time.After(cfg.timeout()):
		c.Disconnect(100)
		return nil, fmt.Errorf("mqtt: subscribe %s: no answer from the broker", filter)
	}
	return &Subscriber{c: c}, nil
}

// Connected reports whether the connection is up.
func (s *Subscriber) Connected() bool { return s.c.IsConnectionOpen() }

// Close disconnects, waiting up to a second for in-flight work.
func (s *Subscriber) Close() { s.c.Disconnect(1000) }

// Publisher publishes messages.
type Publisher struct {
	c   paho.Client
	cfg Config
}

// Dial connects a publisher (clean session).
func Dial(cfg Config) (*Publisher, error) {
	o, err := cfg.options()
	if err != nil {
		return nil, err
	}
	o.SetCleanSession(true).SetMaxResumePubInFlight(1000)
	c := paho.NewClient(o)
	if err := wait(c.Connect(), cfg.timeout(), "connect to "+cfg.Broker); err != nil {
		return nil, err
	}
	return &Publisher{c: c, cfg: cfg}, nil
}

// Publish sends one message and waits for the broker to take it (for QoS 1,
// its acknowledgement).
func (p *Publisher) Publish(topic string, qos byte, payload []byte) error {
	return wait(p.c.Publish(topic, qos, false, payload), p.cfg.timeout(), "publish "+topic)
}

// Pending is a message on its way.
type Pending struct {
	t paho.Token
	d time.Duration
}

// Wait waits for the broker to take it.
func (p Pending) Wait() error { return wait(p.t, p.d, "publish") }

// PublishAsync sends one message without waiting (many can be in flight).
func (p *Publisher) PublishAsync(topic string, qos byte, payload []byte) Pending {
	return Pending{t: p.c.Publish(topic, qos, false, payload), d: p.cfg.timeout()}
}

// Close disconnects.
func (p *Publisher) Close() { p.c.Disconnect(250) }
