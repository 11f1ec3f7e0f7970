package funds

import (
	"strings"
	"testing"
)

func TestNormalizeAccount(t *testing.T) {
	tests := []struct {
		name string
		in   Account
		want Account
		err  string
	}{
		{"IBAN with spaces, lower case, BIC", Account{Kind: IBAN, ID: " fr14 2004 1010 0505 0001 3m02 606 ", Bank: "bnpafrpp", Holder: "  Société   Écran "},
			Account{Kind: IBAN, ID: "FR1420041010050500013M02606", Bank: "BNPAFRPP", Holder: "Société Écran"}, ""},
		{"IBAN of a country without a listed length", Account{Kind: IBAN, ID: "VN12345678901234567"}, Account{}, "the check digits do not match"},
		{"IBAN check digits", Account{Kind: IBAN, ID: "DE89370400440532013001"}, Account{}, "IBAN DE89370400440532013001: the check digits do not match: check the IBAN as printed in the record"},
		{"IBAN length of its country", Account{Kind: IBAN, ID: "DE8937040044053201300"}, Account{}, "an IBAN of DE has 22"},
		{"IBAN too short", Account{Kind: IBAN, ID: "DE89"}, Account{}, "not 15 to 34"},
		{"IBAN shape", Account{Kind: IBAN, ID: "D989370400440532013000"}, Account{}, "not two letters, two check digits"},
		{"IBAN of Kosovo", Account{Kind: IBAN, ID: "XK051212012345678906"}, Account{Kind: IBAN, ID: "XK051212012345678906"}, ""},
		{"IBAN with a bank name", Account{Kind: IBAN, ID: "DE89370400440532013000", Bank: "Commerz Bank"}, Account{}, "the bank of an IBAN account is its BIC"},
		{"account number at a BIC", Account{Kind: BankAccount, ID: " 0071 0012 34567", Bank: "bftvvnvx"}, Account{Kind: BankAccount, ID: "0071001234567", Bank: "BFTVVNVX"}, ""},
		{"account number at a named bank", Account{Kind: BankAccount, ID: "998877", Bank: " Barclays  Bank "}, Account{Kind: BankAccount, ID: "998877", Bank: "Barclays Bank"}, ""},
		{"account number without a bank", Account{Kind: BankAccount, ID: "998877"}, Account{}, "without its bank"},
		{"account number with a control character", Account{Kind: BankAccount, ID: "99\x008877", Bank: "B"}, Account{}, "control"},
		{"ethereum checksum address", Account{Kind: Wallet, ID: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", Bank: " Ethereum"},
			Account{Kind: Wallet, ID: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", Bank: "ethereum"}, ""},
		{"ethereum bad checksum", Account{Kind: Wallet, ID: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", Bank: "polygon"}, Account{}, "EIP-55"},
		{"ethereum too short", Account{Kind: Wallet, ID: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea", Bank: "bsc"}, Account{}, "0x and 40 hexadecimal digits"},
		{"bitcoin base58", Account{Kind: Wallet, ID: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Bank: "bitcoin"}, Account{Kind: Wallet, ID: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Bank: "bitcoin"}, ""},
		{"bitcoin base58 bad checksum", Account{Kind: Wallet, ID: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", Bank: "bitcoin"}, Account{}, "checksum does not match"},
		{"bitcoin base58 bad character", Account{Kind: Wallet, ID: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN0", Bank: "bitcoin"}, Account{}, "not base58"},
		{"bitcoin bech32 upper case", Account{Kind: Wallet, ID: "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", Bank: "bitcoin"}, Account{Kind: Wallet, ID: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Bank: "bitcoin"}, ""},
		{"bitcoin bech32m taproot", Account{Kind: Wallet, ID: "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", Bank: "bitcoin"}, Account{Kind: Wallet, ID: "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", Bank: "bitcoin"}, ""},
		{"bitcoin bech32 mixed case", Account{Kind: Wallet, ID: "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Bank: "bitcoin"}, Account{}, "mixes upper and lower case"},
		{"bitcoin bech32 bad checksum", Account{Kind: Wallet, ID: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", Bank: "bitcoin"}, Account{}, "checksum does not match"},
		{"other chain as written", Account{Kind: Wallet, ID: " TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7 ", Bank: "tron"}, Account{Kind: Wallet, ID: "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", Bank: "tron"}, ""},
		{"wallet without chain", Account{Kind: Wallet, ID: "abc"}, Account{}, "a wallet's chain"},
		{"jurisdiction lower case", Account{Kind: BankAccount, ID: "1", Bank: "B", Jurisdiction: "vnm"}, Account{Kind: BankAccount, ID: "1", Bank: "B", Jurisdiction: "VNM"}, ""},
		{"jurisdiction alpha-2", Account{Kind: BankAccount, ID: "1", Bank: "B", Jurisdiction: "VN"}, Account{}, "not the ISO 3166-1 alpha-3 code"},
		{"kind", Account{Kind: "card", ID: "4111"}, Account{}, `account kind "card"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeAccount(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("NormalizeAccount(%+v) = %+v, %v; want error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeAccount(%+v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			again, err := NormalizeAccount(got)
			if err != nil || again != got {
				t.Errorf("NormalizeAccount is not idempotent: %+v gives %+v, %v", got, again, err)
			}
		})
	}
}

func TestJurisdictionOf(t *testing.T) {
	tests := []struct {
		name          string
		in            Account
		state, source string
	}{
		{"IBAN", Account{Kind: IBAN, ID: "FR1420041010050500013M02606", Bank: "DEUTDEFF"}, "FRA", "iban"},
		{"IBAN of a territory that is not a participant", Account{Kind: IBAN, ID: "XK051212012345678906"}, "", ""},
		{"IBAN of Gibraltar with a British BIC", Account{Kind: IBAN, ID: "GI75NWBK000000007099453", Bank: "NWBKGB2L"}, "", ""},
		{"BIC", Account{Kind: BankAccount, ID: "0071001234567", Bank: "BFTVVNVX"}, "VNM", "bic"},
		{"BIC of the European Union's code", Account{Kind: BankAccount, ID: "1", Bank: "ABCDEU22"}, "", ""},
		{"bank by name", Account{Kind: BankAccount, ID: "1", Bank: "Emirates Islamic Bank"}, "", ""},
		{"wallet", Account{Kind: Wallet, ID: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Bank: "bitcoin"}, "", ""},
	}
	for _, tt := range tests {
		state, source := JurisdictionOf(tt.in)
		if state != tt.state || source != tt.source {
			t.Errorf("JurisdictionOf(%s) = %q, %q; want %q, %q", tt.name, state, source, tt.state, tt.source)
		}
	}
}

// TestSink checks that the cash and charges of a statement's account are
// named by that account's number, and that no other account is a sink.
func TestSink(t *testing.T) {
	own := Account{Kind: BankAccount, Bank: "BFTVVNVX", ID: "0071000987654"}
	for _, tc := range []struct {
		a        Account
		kind, of string
		ok       bool
	}{
		{Account{Kind: BankAccount, Bank: SinkCash, ID: own.Key()}, SinkCash, "0071000987654", true},
		{Account{Kind: BankAccount, Bank: SinkCharges, ID: "iban:FR7630006000011234567890189"}, SinkCharges, "FR7630006000011234567890189", true},
		{own, "", "", false},
		{Account{Kind: BankAccount, Bank: "cash", ID: "12345"}, "", "", false},
	} {
		kind, of, ok := tc.a.Sink()
		if kind != tc.kind || of != tc.of || ok != tc.ok {
			t.Errorf("%+v.Sink() = %q, %q, %v; want %q, %q, %v", tc.a, kind, of, ok, tc.kind, tc.of, tc.ok)
		}
	}
}
