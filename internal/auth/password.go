package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2id parameters for new hashes: RFC 9106's second recommended
// option (64 MiB, 3 passes), with 2 lanes for small hosts. Verification
// uses the parameters stored in each hash.
const (
	argonMemory  = 64 * 1024
	argonTime    = 3
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Limits on stored parameters, so that a hand-edited config cannot make
// every login allocate gigabytes or spin for minutes.
const (
	maxArgonMemory = 1024 * 1024 // KiB: 1 GiB
	maxArgonTime   = 20
)

// MinPasswordLength is the shortest password hash-password accepts.
const MinPasswordLength = 8

// HashPassword returns an argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=...,t=...,p=...$salt$key).
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("the password is too short: use at least %d characters", MinPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// argonHash is a parsed argon2id PHC string.
type argonHash struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

var errHashFormat = errors.New("not an argon2id ($argon2id$v=19$m=..,t=..,p=..$salt$hash) or bcrypt ($2b$...) hash; make one with: kvm-manager hash-password")

func parseArgon(h string) (argonHash, error) {
	parts := strings.Split(h, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argonHash{}, errHashFormat
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return argonHash{}, fmt.Errorf("argon2id version %q is not supported: use v=%d", parts[2], argon2.Version)
	}
	var a argonHash
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return argonHash{}, fmt.Errorf("argon2id parameter %q is malformed", kv)
		}
		switch k {
		case "m":
			a.memory = uint32(n)
		case "t":
			a.time = uint32(n)
		case "p":
			if n > 255 {
				return argonHash{}, fmt.Errorf("argon2id parallelism %d is too high", n)
			}
			a.threads = uint8(n)
		default:
			return argonHash{}, fmt.Errorf("unknown argon2id parameter %q", k)
		}
	}
	if a.time < 1 || a.time > maxArgonTime || a.threads < 1 || a.memory < 8*uint32(a.threads) || a.memory > maxArgonMemory {
		return argonHash{}, fmt.Errorf("argon2id parameters m=%d,t=%d,p=%d are out of range (m 8·p..%d KiB, t 1..%d, p ≥ 1)",
			a.memory, a.time, a.threads, maxArgonMemory, maxArgonTime)
	}
	var err error
	if a.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(a.salt) < 8 {
		return argonHash{}, errors.New("argon2id salt is not base64 of at least 8 bytes")
	}
	if a.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(a.key) < 16 || len(a.key) > 128 {
		return argonHash{}, errors.New("argon2id hash is not base64 of 16 to 128 bytes")
	}
	return a, nil
}

// CheckHash reports whether h is a password hash VerifyPassword can use,
// and why not.
func CheckHash(h string) error {
	if strings.HasPrefix(h, "$2") {
		if _, err := bcrypt.Cost([]byte(h)); err != nil {
			return fmt.Errorf("bcrypt hash: %w", err)
		}
		return nil
	}
	_, err := parseArgon(h)
	return err
}

// VerifyPassword reports whether password matches the stored hash
// (argon2id or bcrypt), in time independent of where they differ.
func VerifyPassword(hash, password string) bool {
	if strings.HasPrefix(hash, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	}
	a, err := parseArgon(hash)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), a.salt, a.time, a.memory, a.threads, uint32(len(a.key)))
	return subtle.ConstantTimeCompare(key, a.key) == 1
}

// hashCost names a hash's algorithm and work parameters: two hashes of
// equal cost take the same time to verify whatever the password.
func hashCost(h string) string {
	if strings.HasPrefix(h, "$2") {
		c, _ := bcrypt.Cost([]byte(h))
		return "bcrypt:" + strconv.Itoa(c)
	}
	a, err := parseArgon(h)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("argon2id:%d,%d,%d,%d", a.memory, a.time, a.threads, len(a.key))
}

// hashLike returns a hash of a random password made with the same
// algorithm and parameters as h, so that verifying against it costs what
// verifying against h does.
func hashLike(h string) (string, error) {
	pw := []byte(randomString(16))
	if strings.HasPrefix(h, "$2") {
		c, err := bcrypt.Cost([]byte(h))
		if err != nil {
			return "", err
		}
		d, err := bcrypt.GenerateFromPassword(pw, c)
		return string(d), err
	}
	a, err := parseArgon(h)
	if err != nil {
		return "", err
	}
	salt := make([]byte, len(a.salt))
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey(pw, salt, a.time, a.memory, a.threads, uint32(len(a.key)))
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, a.memory, a.time, a.threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// slowestDummy returns a hash as expensive to verify as the slowest of
// hashes, for unknown user names: a login with a name that does not exist
// then takes as long as a wrong password for the slowest user, so timing
// does not tell which names exist. Costs of different algorithms cannot be
// compared on paper, so when hashes differ in cost each kind is timed
// (twice each: about a second at start with bcrypt cost 12).
func slowestDummy(hashes []string) (string, error) {
	var kinds []string
	seen := map[string]bool{}
	for _, h := range hashes {
		if k := hashCost(h); k != "" && !seen[k] {
			seen[k] = true
			kinds = append(kinds, h)
		}
	}
	dummies := make([]string, len(kinds))
	for i, h := range kinds {
		d, err := hashLike(h)
		if err != nil {
			return "", err
		}
		dummies[i] = d
	}
	if len(dummies) == 1 {
		return dummies[0], nil
	}
	// The fastest of two rounds, taken in turns: the first run may pay for
	// page faults of fresh memory (argon2id's 64 MiB) that later logins do
	// not, and other work on the machine only ever adds time.
	took := make([]time.Duration, len(dummies))
	for i := range took {
		took[i] = time.Duration(math.MaxInt64)
	}
	for range 2 {
		for i, d := range dummies {
			start := time.Now()
			VerifyPassword(d, "x")
			took[i] = min(took[i], time.Since(start))
		}
	}
	best := 0
	for i := range took {
		if took[i] > took[best] {
			best = i
		}
	}
	return dummies[best], nil
}
