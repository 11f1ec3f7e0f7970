//go:build kms

package main

// Built with -tags kms, the binary also opens keepers of the cloud KMSs
// and of HashiCorp Vault (--key-keeper awskms://..., gcpkms://...,
// azurekeyvault://..., hashivault://...). They are left out by default:
// their clients make the binary half as large again and slow to build.
import (
	_ "gocloud.dev/secrets/awskms"
	_ "gocloud.dev/secrets/azurekeyvault"
	_ "gocloud.dev/secrets/gcpkms"
	_ "gocloud.dev/secrets/hashivault"
)
