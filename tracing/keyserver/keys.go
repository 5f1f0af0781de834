package keyserver

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// Names of the key files `bluesim serve --dev` keeps in its data
// directory, so that `bluesim loadtest --data DIR` can sign verification
// tokens the server accepts and verify the exports it signs.
const (
	// DevTokenKeyFile is the stand-in health authority's private key,
	// which signs verification tokens (what a verification server holds).
	DevTokenKeyFile = "dev-token-key.pem"
	// DevTokenPublicFile is its public key: the server's --verification-key.
	DevTokenPublicFile = "dev-token-public.pem"
	// DevExportKeyFile is the export signing key: the server's --signing-key.
	DevExportKeyFile = "dev-export-key.pem"
	// DevExportPublicFile is the public key phones verify exports with.
	DevExportPublicFile = "dev-export-public.pem"
)

// DevKeys are the development key pairs of a data directory.
type DevKeys struct {
	Token, Export *ecdsa.PrivateKey
}

// EnsureDevKeys loads the development keys from dir, generating and
// writing any that are missing (private keys mode 0600). It reports
// whether it generated any.
func EnsureDevKeys(dir string) (DevKeys, bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return DevKeys{}, false, err
	}
	var keys DevKeys
	made := false
	for _, p := range []struct {
		key       **ecdsa.PrivateKey
		priv, pub string
	}{{&keys.Token, DevTokenKeyFile, DevTokenPublicFile}, {&keys.Export, DevExportKeyFile, DevExportPublicFile}} {
		path := filepath.Join(dir, p.priv)
		k, err := LoadPrivateKey(path)
		if errors.Is(err, fs.ErrNotExist) {
			if k, err = gaen.GenerateSignatureKey(); err != nil {
				return DevKeys{}, false, err
			}
			if err := writeKeyPair(k, path, filepath.Join(dir, p.pub)); err != nil {
				return DevKeys{}, false, err
			}
			made = true
		} else if err != nil {
			return DevKeys{}, false, err
		}
		*p.key = k
	}
	return keys, made, nil
}

func writeKeyPair(k *ecdsa.PrivateKey, privPath, pubPath string) error {
	priv, err := gaen.SignatureKeyToPEM(k)
	if err != nil {
		return err
	}
	pub, err := gaen.SignaturePublicKeyToPEM(&k.PublicKey)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(pubPath, pub, atomicfile.Output); err != nil {
		return err
	}
	return atomicfile.WriteBytes(privPath, priv, atomicfile.Private)
}

// LoadPrivateKey reads an ECDSA P-256 private key PEM file.
func LoadPrivateKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := gaen.SignatureKeyFromPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey reads an ECDSA P-256 public key PEM file. A private key
// file is accepted too (its public half is used).
func LoadPublicKey(path string) (*ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if k, err := gaen.SignaturePublicKeyFromPEM(b); err == nil {
		return k, nil
	} else if priv, err2 := gaen.SignatureKeyFromPEM(b); err2 == nil {
		return &priv.PublicKey, nil
	} else {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
}
