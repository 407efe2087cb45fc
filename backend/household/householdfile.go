package household

import (
	"context"
	"errors"
	"fmt"

	"github.com/veilig/veilig/backend/household/fileout"
	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

// Access records of a household's file out (issue 14).
const (
	// ActionHouseholdPrint is the printable plan rendered.
	ActionHouseholdPrint = "household.print"
	// ActionHouseholdExport is the household's data exported (a GDPR access request).
	ActionHouseholdExport = "household.export"
	// ActionHouseholdImport is an export imported into this region.
	ActionHouseholdImport = "household.import"
)

var (
	opRenderPlan      = operation{veiligv1connect.HouseholdFileServiceRenderPlanProcedure, ActionHouseholdPrint}
	opExportHousehold = operation{veiligv1connect.HouseholdFileServiceExportHouseholdProcedure, ActionHouseholdExport}
)

// readFile authorizes op on a household, records it and reads the household's file in one
// transaction: the access record commits before the data is returned, and every part of the
// file is of the same moment.
func (s *Service) readFile(ctx context.Context, a Actor, op operation, householdID string) (*store.HouseholdFile, error) {
	now := s.Now()
	var f *store.HouseholdFile
	err := s.inTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := s.access(ctx, tx, a, op, householdID, now); err != nil {
			return err
		}
		f, err = tx.HouseholdFileRead(ctx, householdID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// RenderPlan returns the household's safety plan as a printable HTML page in the language
// that best matches lang (a BCP 47 tag; empty: the reader's language preference; Dutch by
// default), and that language. The care team
// and the household's privacy officers only (its rule); the rendering is recorded.
func (s *Service) RenderPlan(ctx context.Context, a Actor, householdID, lang string) ([]byte, string, error) {
	f, err := s.readFile(ctx, a, opRenderPlan, householdID)
	if err != nil {
		return nil, "", err
	}
	if lang == "" {
		// The reader's own language (DirectoryService.SetPreferences), else Dutch.
		p, err := s.db.PreferencesGet(ctx, a.Professional.ID)
		switch {
		case err == nil:
			lang = p.Language
		case !errors.Is(err, store.ErrNotFound):
			return nil, "", fmt.Errorf("language of %s: %w", a.Professional.ID, err)
		}
	}
	chosen := fileout.Language(lang)
	html, err := fileout.Render(f, chosen, fileout.Meta{GeneratedAt: s.Now(), GeneratedBy: a.Professional.DisplayName})
	if err != nil {
		return nil, "", err
	}
	return html, chosen, nil
}

// ExportHousehold returns the household's data as an export document (fileout.Format) and
// its content type. The care team and the household's privacy officers only (its rule); the
// export is recorded.
func (s *Service) ExportHousehold(ctx context.Context, a Actor, householdID string) ([]byte, string, error) {
	f, err := s.readFile(ctx, a, opExportHousehold, householdID)
	if err != nil {
		return nil, "", err
	}
	doc, err := fileout.Encode(f, a.Professional.ID, s.Now())
	if err != nil {
		return nil, "", err
	}
	return doc, fileout.ContentType, nil
}

// ImportHousehold reproduces an exported household in this region with its ids: the
// organizations, team and professionals it names are created when missing (existing ones are
// kept as they are), then the household with its care team, plan (every field write, delete
// and conflict), schedules and check-ins. A household already present changes nothing and
// is reported (true), so importing twice is harmless. The regional administrator only; the
// import is recorded on the household, in the transaction that writes it. A document that is
// not a valid export is refused as ErrInvalid, naming the field and the rule.
func (s *Service) ImportHousehold(ctx context.Context, a Actor, doc []byte) (householdID string, alreadyPresent bool, err error) {
	now := s.Now()
	f, parseErr := fileout.Decode(doc)
	err = s.inTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// Authorization first: who may not import learns nothing about the document.
		if err := decideRegional(ctx, a, veiligv1connect.HouseholdFileServiceImportHouseholdProcedure, ActionHouseholdImport, "", "region", ""); err != nil {
			return err
		}
		if parseErr != nil {
			return deny(a, refuse(ErrInvalid, parseErr.Error()), "", ActionHouseholdImport, "region", "")
		}
		ev := eventOf(a, f.Household.ID, ActionHouseholdImport, now)
		allowed(ctx, ev)
		present, err := tx.HouseholdFileWrite(ctx, f, now)
		if err != nil {
			return fmt.Errorf("import household %s: %w", f.Household.ID, err)
		}
		alreadyPresent = present
		return tx.AuditAppend(ctx, []store.AuditEvent{ev})
	})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Another household holds the code, or a row of the file's ids exists under
			// another household: nothing was written.
			return "", false, refuse(ErrInvalid, "the export's household code or ids are taken in this region by other records")
		}
		return "", false, err
	}
	return f.Household.ID, alreadyPresent, nil
}
