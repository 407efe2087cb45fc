package main

import (
	"context"
	"errors"
	"io"
)

// runAdminInit is a placeholder so that the admin dispatcher compiles; the real bootstrap of
// the first regional administrator replaces this file.
func runAdminInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("admin init: not yet")
}
