package redisstore

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/store"
)

const redacted = "[REDACTED]"

// opError is a failed Redis operation. Its message starts with "store: redis <op>: " and never
// contains a configured password; Unwrap exposes the go-redis error (and store.ErrWrongType or the
// context's error when they apply) to errors.Is and errors.As.
type opError struct {
	op   string
	msg  string
	errs []error
}

func (e *opError) Error() string   { return "store: redis " + e.op + ": " + e.msg }
func (e *opError) Unwrap() []error { return e.errs }

// fail maps a go-redis error to the store's errors; nil stays nil.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.ErrClosed) {
		return store.ErrClosed
	}
	msg := err.Error()
	for _, secret := range s.secrets {
		msg = strings.ReplaceAll(msg, secret, redacted)
	}
	errs := []error{err}
	if isWrongType(err) {
		errs = append(errs, store.ErrWrongType)
	}
	return &opError{op: op, msg: msg, errs: errs}
}

// isWrongType recognises Redis's replies for a key of another type, a value that is not an integer
// and an overflowing increment (also when raised inside a script).
func isWrongType(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	msg := rerr.Error()
	return strings.HasPrefix(msg, "WRONGTYPE") ||
		strings.Contains(msg, "not an integer") ||
		strings.Contains(msg, "would overflow")
}
