package funds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/sha3"

	"entraide/internal/directory"
)

// NormalizeAccount returns a in the canonical form Key compares, so that
// the same account printed differently in two States' records is one
// account: an IBAN without spaces in upper case, a BIC in upper case, a
// chain's name in lower case and an address in the form its chain
// compares. It returns an error saying what to check when the account
// cannot be what it claims to be: an IBAN whose check digits do not
// match, a BIC of the wrong shape, an address that is not one of its
// chain. The holder loses surrounding and repeated spaces; the
// jurisdiction, when set, must be a participant's ISO 3166-1 alpha-3
// code.
func NormalizeAccount(a Account) (Account, error) {
	a.Holder = strings.Join(strings.Fields(a.Holder), " ")
	if a.Jurisdiction != "" {
		j := strings.ToUpper(strings.TrimSpace(a.Jurisdiction))
		if p, ok := directory.LookupParticipant(j); !ok || p.Code != j {
			return Account{}, fmt.Errorf("jurisdiction %q is not the ISO 3166-1 alpha-3 code of a State", a.Jurisdiction)
		}
		a.Jurisdiction = j
	}
	var err error
	switch a.Kind {
	case IBAN:
		if a.ID, err = normalizeIBAN(a.ID); err != nil {
			return Account{}, err
		}
		if a.Bank != "" {
			if a.Bank, err = normalizeBIC(a.Bank); err != nil {
				return Account{}, fmt.Errorf("the bank of an IBAN account is its BIC: %w", err)
			}
		}
	case BankAccount:
		a.ID = strings.Join(strings.Fields(a.ID), "")
		if a.ID == "" {
			return Account{}, errors.New("no account number")
		}
		if err := printable(a.ID); err != nil {
			return Account{}, fmt.Errorf("account number %q: %w", a.ID, err)
		}
		a.Bank = strings.Join(strings.Fields(a.Bank), " ")
		if a.Bank == "" {
			return Account{}, fmt.Errorf("account number %s without its bank: an account number is only unique at its bank (give its BIC or name)", a.ID)
		}
		if err := printable(a.Bank); err != nil {
			return Account{}, fmt.Errorf("bank %q: %w", a.Bank, err)
		}
		// A bank written as a BIC in one case is a BIC; a name in
		// mixed case ("Barclays") stays a name.
		if a.Bank == strings.ToUpper(a.Bank) || a.Bank == strings.ToLower(a.Bank) {
			if bic, err := normalizeBIC(a.Bank); err == nil {
				a.Bank = bic
			}
		}
	case Wallet:
		a.Bank = strings.ToLower(strings.TrimSpace(a.Bank))
		if !isChainName(a.Bank) {
			return Account{}, fmt.Errorf("chain %q: a wallet's chain is a lower-case name such as bitcoin or ethereum", a.Bank)
		}
		if a.ID, err = normalizeAddress(a.Bank, strings.TrimSpace(a.ID)); err != nil {
			return Account{}, err
		}
	default:
		return Account{}, fmt.Errorf("account kind %q: want %s, %s or %s", a.Kind, IBAN, BankAccount, Wallet)
	}
	return a, nil
}

// JurisdictionOf returns the State an account is in as its identifier
// says, and where that came from: the IBAN's country ("iban"), else the
// country of the BIC in Bank ("bic"). It returns "", "" for a wallet, an
// account number at a bank named only by name, and an IBAN or BIC of a
// territory that is not a participant in the Convention (XK, GI, GG,
// ...): an official sets those. It expects a normalized account.
func JurisdictionOf(a Account) (state, source string) {
	if a.Kind == IBAN {
		if len(a.ID) >= 2 {
			if code, ok := stateOf(a.ID[:2]); ok {
				return code, "iban"
			}
		}
		return "", ""
	}
	if a.Kind == BankAccount && isBIC(a.Bank) {
		if code, ok := stateOf(a.Bank[4:6]); ok {
			return code, "bic"
		}
	}
	return "", ""
}

// stateOf returns the alpha-3 code of the State whose alpha-2 code is
// alpha2. The European Union has no accounts of its own.
func stateOf(alpha2 string) (string, bool) {
	if len(alpha2) != 2 {
		return "", false
	}
	p, ok := directory.LookupParticipant(alpha2)
	if !ok || p.Status == directory.REIO {
		return "", false
	}
	return p.Code, true
}

// ibanLength is the length of an IBAN by country, from the IBAN registry
// (ISO 13616) the SWIFT publishes; a country it does not list takes any
// length from 15 to 34.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
	"MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
	"PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
	"SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// normalizeIBAN returns s without spaces in upper case, after checking
// its shape, its country's length and its ISO 7064 mod-97 check digits.
func normalizeIBAN(s string) (string, error) {
	iban := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(iban) < 15 || len(iban) > 34 {
		return "", fmt.Errorf("IBAN %q has %d characters, not 15 to 34: check the IBAN as printed in the record", s, len(iban))
	}
	for i := 0; i < len(iban); i++ {
		c := iban[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if (i < 2 && !letter) || (i >= 2 && i < 4 && !digit) || (!letter && !digit) {
			return "", fmt.Errorf("IBAN %q is not two letters, two check digits and letters or digits: check the IBAN as printed in the record", s)
		}
	}
	if n, ok := ibanLength[iban[:2]]; ok && len(iban) != n {
		return "", fmt.Errorf("IBAN %s has %d characters; an IBAN of %s has %d: check the IBAN as printed in the record", iban, len(iban), iban[:2], n)
	}
	// ISO 7064 mod 97-10: move the first four characters to the end,
	// letters become 10..35, and the number is 1 modulo 97.
	rem := 0
	for _, c := range iban[4:] + iban[:4] {
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
			rem = (rem*100 + v) % 97
			continue
		}
		rem = (rem*10 + v) % 97
	}
	if rem != 1 {
		return "", fmt.Errorf("IBAN %s: the check digits do not match: check the IBAN as printed in the record", iban)
	}
	return iban, nil
}

// isBIC reports whether s is a BIC in canonical form: 4 letters or digits
// of the party, 2 letters of the country, 2 of the location, and
// optionally 3 of the branch (ISO 9362).
func isBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if (i == 4 || i == 5) && !letter || !letter && !digit {
			return false
		}
	}
	return true
}

func normalizeBIC(s string) (string, error) {
	bic := strings.ToUpper(strings.TrimSpace(s))
	if !isBIC(bic) {
		return "", fmt.Errorf("BIC %q is not 8 or 11 letters and digits with the country in the 5th and 6th: check the BIC as printed in the record", s)
	}
	return bic, nil
}

// printable rejects control characters, which no account number or bank
// name holds and which would make the account ambiguous on screen.
func printable(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return errors.New("holds a control or invalid character")
		}
	}
	return nil
}

func isChainName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// evmChains use Ethereum's addresses: 0x and 20 bytes in hex, which they
// compare without case.
var evmChains = map[string]bool{
	"ethereum": true, "polygon": true, "bsc": true, "arbitrum": true, "optimism": true,
	"base": true, "avalanche": true, "fantom": true, "gnosis": true, "linea": true,
	"zksync": true, "scroll": true, "celo": true, "cronos": true, "ethereum-classic": true,
}

// normalizeAddress returns addr in the form its chain compares: lower
// case for an EVM chain (after checking an EIP-55 mixed-case checksum)
// and a bitcoin bech32 address, as written for a bitcoin base58 address
// (after its checksum), trimmed for any other chain.
func normalizeAddress(chain, addr string) (string, error) {
	if addr == "" {
		return "", errors.New("no address")
	}
	switch {
	case evmChains[chain]:
		return evmAddress(chain, addr)
	case chain == "bitcoin":
		return bitcoinAddress(addr)
	}
	if len(addr) > 128 {
		return "", fmt.Errorf("%s address of %d characters: at most 128", chain, len(addr))
	}
	for _, r := range addr {
		if r <= ' ' || r == 0x7f || r == '\uFFFD' {
			return "", fmt.Errorf("%s address %q holds a space or control character", chain, addr)
		}
	}
	return addr, nil
}

func evmAddress(chain, addr string) (string, error) {
	hexPart, ok := strings.CutPrefix(addr, "0x")
	if !ok {
		hexPart, ok = strings.CutPrefix(addr, "0X")
	}
	if _, err := hex.DecodeString(hexPart); !ok || err != nil || len(hexPart) != 40 {
		return "", fmt.Errorf("%s address %q is not 0x and 40 hexadecimal digits: check the address as printed in the record", chain, addr)
	}
	lower := strings.ToLower(hexPart)
	if hexPart != lower && hexPart != strings.ToUpper(hexPart) {
		// Mixed case is an EIP-55 checksum: a letter is upper case
		// where the hash of the lower-case address has a nibble >= 8.
		h := sha3.NewLegacyKeccak256()
		h.Write([]byte(lower))
		sum := h.Sum(nil)
		for i := 0; i < 40; i++ {
			c := hexPart[i]
			if c < 'A' && c >= '0' && c <= '9' {
				continue
			}
			nibble := sum[i/2] >> 4
			if i%2 == 1 {
				nibble = sum[i/2] & 0x0f
			}
			if (nibble >= 8) != (c >= 'A' && c <= 'F') {
				return "", fmt.Errorf("%s address %s: its mixed-case checksum (EIP-55) does not match: check the address as printed in the record", chain, addr)
			}
		}
	}
	return "0x" + lower, nil
}

const (
	base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	bech32Charset  = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
)

func bitcoinAddress(addr string) (string, error) {
	if lower := strings.ToLower(addr); strings.HasPrefix(lower, "bc1") {
		if addr != lower && addr != strings.ToUpper(addr) {
			return "", fmt.Errorf("bitcoin address %q mixes upper and lower case, which bech32 forbids: check the address as printed in the record", addr)
		}
		if err := bech32Check(lower); err != nil {
			return "", fmt.Errorf("bitcoin address %s: %w: check the address as printed in the record", addr, err)
		}
		return lower, nil
	}
	if addr[0] != '1' && addr[0] != '3' {
		return "", fmt.Errorf("bitcoin address %q starts with neither bc1, 1 nor 3: check the address as printed in the record", addr)
	}
	if err := base58Check(addr); err != nil {
		return "", fmt.Errorf("bitcoin address %s: %w: check the address as printed in the record", addr, err)
	}
	return addr, nil
}

// base58Check checks a legacy bitcoin address: 25 bytes in base58 whose
// last 4 are the first 4 of the double SHA-256 of the rest.
func base58Check(addr string) error {
	if len(addr) < 26 || len(addr) > 35 {
		return fmt.Errorf("%d characters, not 26 to 35", len(addr))
	}
	n := new(big.Int)
	for _, c := range addr {
		i := strings.IndexRune(base58Alphabet, c)
		if i < 0 {
			return fmt.Errorf("character %q is not base58", c)
		}
		n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(i)))
	}
	b := n.Bytes()
	for i := 0; i < len(addr) && addr[i] == '1'; i++ {
		b = append([]byte{0}, b...)
	}
	if len(b) != 25 {
		return fmt.Errorf("decodes to %d bytes, not 25", len(b))
	}
	first := sha256.Sum256(b[:21])
	second := sha256.Sum256(first[:])
	if string(second[:4]) != string(b[21:]) {
		return errors.New("its checksum does not match")
	}
	return nil
}

// bech32Check checks a segwit address (BIP 173, BIP 350): the human
// part bc, then data in the bech32 alphabet whose checksum is bech32's
// for version 0 and bech32m's for later versions.
func bech32Check(addr string) error {
	if len(addr) < 14 || len(addr) > 90 {
		return fmt.Errorf("%d characters, not 14 to 90", len(addr))
	}
	data := addr[3:]
	if len(data) < 7 {
		return errors.New("too short")
	}
	values := make([]byte, len(data))
	for i := 0; i < len(data); i++ {
		v := strings.IndexByte(bech32Charset, data[i])
		if v < 0 {
			return fmt.Errorf("character %q is not bech32", data[i])
		}
		values[i] = byte(v)
	}
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range append([]byte{3, 3, 0, 2, 3}, values...) { // "bc" expanded
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range gen {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	want := uint32(1) // bech32, witness version 0
	if values[0] != 0 {
		want = 0x2bc830a3 // bech32m
	}
	if chk != want {
		return errors.New("its checksum does not match")
	}
	return nil
}
