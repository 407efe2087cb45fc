package careapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/veilig/veilig/backend/store"
	"github.com/veilig/veilig/mobile-api/familylink"
	veiligv1 "github.com/veilig/veilig/proto/gen/veilig/v1"
	"github.com/veilig/veilig/proto/gen/veilig/v1/veiligv1connect"
)

var _ veiligv1connect.FamilyLinkServiceHandler = (*Service)(nil)

// defaultLinkValidity is how long a link works when the care team does not say.
const defaultLinkValidity = 7 * 24 * time.Hour

// WithPublicURL sets the base URL that family links are built on (e.g.
// https://veilig.example.org); without it links are relative ("/c/<token>").
func WithPublicURL(base string) Option {
	return func(s *Service) { s.publicURL = strings.TrimRight(base, "/") }
}

// CreateCheckInLink implements veiligv1connect.FamilyLinkServiceHandler.
func (s *Service) CreateCheckInLink(ctx context.Context, req *connect.Request[veiligv1.CreateCheckInLinkRequest]) (*connect.Response[veiligv1.CreateCheckInLinkResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	m := req.Msg
	hid := m.GetHouseholdId()
	if m.GetDuressPin() != "" && m.GetDuressPin() == m.GetPin() {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("duress_pin: must differ from pin"))
	}
	valid := defaultLinkValidity
	if h := m.GetValidHours(); h > 0 {
		valid = time.Duration(h) * time.Hour
	}
	now := utc(s.now())
	token, hash := familylink.NewToken()
	l := store.Link{ID: uuid.NewString(), TokenHash: hash, HouseholdID: hid, ScheduleID: m.GetScheduleId(), CreatedBy: c.professional.ID,
		CreatedAt: now, ExpiresAt: now.Add(valid)}
	if m.GetPin() != "" {
		l.PINHash = familylink.HashPIN(l.ID, m.GetPin())
	}
	if m.GetDuressPin() != "" {
		l.DuressPINHash = familylink.HashPIN(l.ID, m.GetDuressPin())
	}
	if err := s.domain.CreateLink(ctx, s.actor(ctx, c), l); err != nil {
		return nil, s.storeError(ctx, err, "schedule")
	}
	return connect.NewResponse(&veiligv1.CreateCheckInLinkResponse{Link: linkToProto(&l), Url: s.publicURL + "/c/" + token}), nil
}

// ListCheckInLinks implements veiligv1connect.FamilyLinkServiceHandler.
func (s *Service) ListCheckInLinks(ctx context.Context, req *connect.Request[veiligv1.ListCheckInLinksRequest]) (*connect.Response[veiligv1.ListCheckInLinksResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	links, err := s.domain.ListLinks(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId())
	if err != nil {
		return nil, s.storeError(ctx, err, "household")
	}
	res := &veiligv1.ListCheckInLinksResponse{}
	for _, l := range links {
		res.Links = append(res.Links, linkToProto(l))
	}
	return connect.NewResponse(res), nil
}

// RevokeCheckInLink implements veiligv1connect.FamilyLinkServiceHandler.
func (s *Service) RevokeCheckInLink(ctx context.Context, req *connect.Request[veiligv1.RevokeCheckInLinkRequest]) (*connect.Response[veiligv1.RevokeCheckInLinkResponse], error) {
	c, err := s.callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.domain.RevokeLink(ctx, s.actor(ctx, c), req.Msg.GetHouseholdId(), req.Msg.GetLinkId())
	if err != nil {
		return nil, s.storeError(ctx, err, "link")
	}
	return connect.NewResponse(&veiligv1.RevokeCheckInLinkResponse{Link: linkToProto(l)}), nil
}

func linkToProto(l *store.Link) *veiligv1.CheckInLink {
	return &veiligv1.CheckInLink{
		Id:           l.ID,
		HouseholdId:  l.HouseholdID,
		ScheduleId:   l.ScheduleID,
		CreatedBy:    l.CreatedBy,
		CreatedAt:    timestamppb.New(l.CreatedAt),
		ExpiresAt:    timestamppb.New(l.ExpiresAt),
		RevokedAt:    optionalTime(l.RevokedAt),
		LockedAt:     optionalTime(l.LockedAt),
		LastUsedAt:   optionalTime(l.LastUsedAt),
		HasPin:       l.PINHash != "",
		HasDuressPin: l.DuressPINHash != "",
	}
}
