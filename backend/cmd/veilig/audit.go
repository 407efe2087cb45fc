package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/veilig/veilig/backend/store"
)

// errAuditTampered is verify's answer for a log with findings: the exit code is non-zero.
var errAuditTampered = errors.New("audit: the access log is not intact")

const auditUsage = `Usage:
  veilig audit verify [flags]   walk every chain of the access log; report each edited,
                                deleted, inserted or reordered entry, and each forged or
                                unrecorded retention cut; exit non-zero on any
`

// auditKeyFlag is where the access log's Ed25519 checkpoint key lives.
type auditKeyFlag struct{ file string }

func (f *auditKeyFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "audit-key-file", "", "file with the hex seed (32 bytes) of the Ed25519 key that signs the access log's checkpoints; default: <data-dir>/audit-key with the embedded database (created on first use), else none")
}

// key loads the checkpoint key: the configured file, or the data folder's (created on first
// use) in embedded mode; nil when neither is configured.
func (f *auditKeyFlag) key(c *common) (ed25519.PrivateKey, error) {
	path := f.file
	if path == "" && c.embedded() {
		path = filepath.Join(c.dataDir, "audit-key")
		if err := createSecret(path); err != nil {
			return nil, fmt.Errorf("audit key: %w", err)
		}
	}
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read audit key: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("the audit key file must hold 32 bytes in hex")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, auditUsage)
		return errNoCommand
	case args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		fmt.Fprint(stdout, auditUsage)
		return flag.ErrHelp
	case args[0] != "verify":
		fmt.Fprint(stderr, auditUsage)
		return fmt.Errorf("audit: unknown command %q", args[0])
	}
	fs := newFlagSet("audit verify", "[flags]", "Walk every chain of the access log; report each edited, deleted, inserted or reordered entry; exit non-zero on any.")
	var c common
	c.register(fs)
	var kf auditKeyFlag
	kf.register(fs)
	checkpoint := fs.Bool("checkpoint", true, "after a clean walk, sign every chain's head with the audit key (when there is one)")
	src, err := parseFlags(fs, args[1:], envSpec{prefix: "VEILIG", only: append(commonFlagNames, "audit-key-file")}, stdout)
	if err != nil {
		return err
	}
	if err := errors.Join(noArguments(fs), c.check(src)); err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	key, err := kf.key(&c)
	if err != nil {
		return err
	}
	st, err := c.openStore(ctx, log, false)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	p := store.AuditVerifyParams{Progress: func(n int64) {
		if n%100_000 == 0 {
			fmt.Fprintf(stderr, "audit verify: %d entries checked (%s)\n", n, time.Since(start).Round(time.Millisecond))
		}
	}, PageSize: 10_000}
	if key != nil {
		p.PublicKey, _ = key.Public().(ed25519.PublicKey)
	}
	rep, err := st.AuditVerify(ctx, p)
	if err != nil {
		return err
	}
	for _, pr := range rep.Problems {
		fmt.Fprintln(stdout, pr.String())
	}
	summary := fmt.Sprintf("%d entries in %d chains, %d checkpoints (%d unverified), %d cut chains (%d unverified), in %s",
		rep.Entries, rep.Chains, rep.Checkpoints, rep.CheckpointsUnverified, rep.Cuts, rep.CutsUnverified, time.Since(start).Round(time.Millisecond))
	if !rep.Clean() {
		fmt.Fprintf(stdout, "audit verify: NOT INTACT: %d findings; %s\n", len(rep.Problems), summary)
		return errAuditTampered
	}
	fmt.Fprintf(stdout, "audit verify: clean: %s\n", summary)
	if *checkpoint && key != nil {
		cp, err := st.AuditCheckpointWrite(ctx, uuid.NewString(), key, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "audit verify: signed checkpoint %s with key %s\n", cp.ID, cp.KeyID)
	}
	return nil
}
