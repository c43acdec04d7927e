package nocloud

import (
	"strings"
	"testing"
)

func TestSHA512Crypt(t *testing.T) {
	// Expected values from `openssl passwd -6 -salt SALT PASSWORD` and the
	// SHA-crypt specification's own test vectors (default rounds).
	tests := []struct{ password, salt, want string }{
		{"secret", "abcdefgh", "$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."},
		{"Hello world!", "saltstring", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
	}
	for _, tt := range tests {
		if got := sha512Crypt(tt.password, tt.salt); got != tt.want {
			t.Errorf("sha512Crypt(%q, %q) = %s, want %s", tt.password, tt.salt, got, tt.want)
		}
	}
}

func TestHashPasswordSalts(t *testing.T) {
	a, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := HashPassword("pw")
	if a == b || !strings.HasPrefix(a, "$6$") || len(a) != 3+16+1+86 {
		t.Fatalf("hashes %q and %q: want two different $6$ hashes with 16-character salts", a, b)
	}
	salt := a[3:19]
	if sha512Crypt("pw", salt) != a {
		t.Fatal("the hash does not verify with its own salt")
	}
}
