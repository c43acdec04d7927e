package nocloud

import (
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"strings"
)

// cryptAlphabet is crypt(3)'s base64 alphabet (not RFC 4648's).
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cryptRounds is glibc's default for $6$ without a rounds= prefix.
const cryptRounds = 5000

// HashPassword hashes a password as SHA-512 crypt ($6$, glibc's
// crypt(3), what cloud-init's passwd and chpasswd take as a hashed
// password) with a random 16-character salt, so that the plain password
// never leaves the server.
func HashPassword(password string) (string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	salt := make([]byte, 16)
	for i, b := range raw {
		salt[i] = cryptAlphabet[int(b)%64]
	}
	return sha512Crypt(password, string(salt)), nil
}

// sha512Crypt is Ulrich Drepper's SHA-crypt with SHA-512 and the default
// rounds ("Unix crypt using SHA-256 and SHA-512", 2008). salt is at most
// 16 characters of cryptAlphabet.
func sha512Crypt(password, salt string) string {
	if len(salt) > 16 {
		salt = salt[:16]
	}
	pw, sa := []byte(password), []byte(salt)

	b := sha512.New()
	b.Write(pw)
	b.Write(sa)
	b.Write(pw)
	sumB := b.Sum(nil)

	a := sha512.New()
	a.Write(pw)
	a.Write(sa)
	for n := len(pw); n > 0; n -= 64 {
		a.Write(sumB[:min(n, 64)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(sumB)
		} else {
			a.Write(pw)
		}
	}
	sumA := a.Sum(nil)

	dp := sha512.New()
	for range len(pw) {
		dp.Write(pw)
	}
	p := repeatTo(dp.Sum(nil), len(pw))

	ds := sha512.New()
	for range 16 + int(sumA[0]) {
		ds.Write(sa)
	}
	s := repeatTo(ds.Sum(nil), len(sa))

	for i := range cryptRounds {
		c := sha512.New()
		if i&1 != 0 {
			c.Write(p)
		} else {
			c.Write(sumA)
		}
		if i%3 != 0 {
			c.Write(s)
		}
		if i%7 != 0 {
			c.Write(p)
		}
		if i&1 != 0 {
			c.Write(sumA)
		} else {
			c.Write(p)
		}
		sumA = c.Sum(sumA[:0])
	}

	var out strings.Builder
	out.WriteString("$6$")
	out.WriteString(salt)
	out.WriteByte('$')
	// The digest's bytes are encoded in this order, three at a time.
	order := [...][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48},
		{28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13},
		{56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41},
	}
	enc := func(b2, b1, b0 byte, n int) {
		w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
		for range n {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	for _, t := range order {
		enc(sumA[t[0]], sumA[t[1]], sumA[t[2]], 4)
	}
	enc(0, 0, sumA[63], 2)
	return out.String()
}

func repeatTo(block []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, block[:min(n-len(out), len(block))]...)
	}
	return out
}
