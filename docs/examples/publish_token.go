// Announces one instance with a discovery token v1 from Go, with
// github.com/rabbitmq/amqp091-go (Debian's golang-github-rabbitmq-amqp091-go-dev),
// once: run it again within the ttl to stay listed. Built offline from
// Debian's Go packages, without modules:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o publish_token docs/examples/publish_token.go
//	AMQP_SERVER_URL=amqp://guest:guest@localhost:5672/ ./publish_token SERVICE ADDRESS PORT [TTL]
//
// With DISCOVERY_SECRET set, the token is signed (x-signature header).
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"net/url"
	"os"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The fields of a token, in the order the C encoder writes them.
type token struct {
	State      string `json:"state"`
	Address    string `json:"address"`
	Service    string `json:"service"`
	Port       int    `json:"port"`
	InstanceID string `json:"instanceId"`
	Hostname   string `json:"hostname,omitempty"`
	TTL        int    `json:"ttl"`
	Seq        int64  `json:"seq"`
	Ts         int64  `json:"ts"`
}

func main() {
	if len(os.Args) < 4 {
		log.Fatal("usage: publish_token SERVICE ADDRESS PORT [TTL]")
	}
	service, address := os.Args[1], os.Args[2]
	port, err := strconv.Atoi(os.Args[3])
	if err != nil {
		log.Fatalf("port: %v", err)
	}
	ttl := 30
	if len(os.Args) > 4 {
		if ttl, err = strconv.Atoi(os.Args[4]); err != nil {
			log.Fatalf("ttl: %v", err)
		}
	}
	amqpURL := os.Getenv("AMQP_SERVER_URL")
	if amqpURL == "" {
		amqpURL = "amqp://guest:guest@localhost:5672/"
	}
	now := time.Now()
	hostname, _ := os.Hostname()
	body, err := json.Marshal(token{
		State: "UP", Address: address, Service: service, Port: port,
		InstanceID: fmt.Sprintf("%s:%d", address, port), Hostname: hostname,
		TTL: ttl, Seq: now.UnixMilli(), Ts: now.UnixMilli(), // seq grows with every token
	})
	if err != nil {
		log.Fatal(err)
	}
	headers := amqp.Table{}
	if secret := os.Getenv("DISCOVERY_SECRET"); secret != "" {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		headers["x-signature"] = hex.EncodeToString(mac.Sum(nil))
	}
	// RabbitMQ checks user_id against the login: the registry then knows
	// which broker user announced the instance.
	user := "guest"
	if u, err := url.Parse(amqpURL); err == nil && u.User != nil {
		user = u.User.Username()
	}

	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		log.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		log.Fatalf("channel: %v", err)
	}
	if err := ch.ExchangeDeclare("discovery", "topic", true, false, false, false, nil); err != nil {
		log.Fatalf("exchange: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = ch.PublishWithContext(ctx, "discovery", "discovery."+service+".up", false, false, amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Transient,
		Expiration:   strconv.Itoa(ttl * 1000),
		Timestamp:    now,
		UserId:       user,
		Headers:      headers,
		Body:         body,
	})
	if err != nil {
		log.Fatalf("publish: %v", err)
	}
	fmt.Println("published", string(body))
}
